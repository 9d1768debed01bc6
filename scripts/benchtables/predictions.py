"""Predictions beside measurements: the package's GEMMs of a model (cookbook.gemm.layer_gemms + logits_gemm), their
ideal time at a declared peak, the measured time of each, the achieved fraction of peak, and the step time of
the whole model predicted from the measured GEMM times.

Peak convention: a CPU has no row in cookbook.hardware, so the peak is the MAMF the same record set measured for
the same dtype (mamf-finder's definition: the highest FLOP/s at the median time over the searched shapes), declared
on the page;
without a MAMF record in the set, the peak is the best median FLOP/s among the model's own GEMMs ("fraction of
best"). Step prediction: forward = L x (sum of one layer's GEMM times) + logits GEMM time; training step =
3 x forward (the backward runs two GEMMs of each forward GEMM's size, cookbook.gemm), so non-GEMM work (norms,
softmax, activations, optimizer) is left out and the prediction is a lower bound.
"""

from __future__ import annotations

from dataclasses import dataclass

from benchtables.errors import TableError
from benchtables.load import digest, record_id
from benchtables.table import Table, slug
from cookbook.flops import training_flops
from cookbook.gemm import layer_gemms, logits_gemm
from cookbook.presets import get_preset

__all__ = ["Prediction", "predictions", "PEAK_MAMF", "PEAK_BEST"]

PEAK_MAMF = "MAMF measured in this record set (same dtype)"
PEAK_BEST = "best median FLOP/s among these GEMMs (fraction of best)"


@dataclass(frozen=True)
class Prediction:
    id: str
    title: str
    set_name: str
    cpu: bool
    peak: float
    peak_source: str
    gemms: tuple           # (name, batch, m, n, k, flop, ideal_s, measured_s, fraction, record_id)
    layers: int
    tokens: int
    layer_fwd_measured: float | None   # the layer benchmark's median, same B, S, dtype (None: not in the set)
    layer_fwd_bwd_measured: float | None
    model_flops_step: int              # cookbook.flops.training_flops(..., attention="causal").model
    records: tuple

    @property
    def digest(self) -> str:
        return digest(self.records)

    def layer_sum(self, i: int) -> float:
        return sum(g[i] for g in self.gemms if g[0] != "logits")

    def logits(self, i: int) -> float:
        return sum(g[i] for g in self.gemms if g[0] == "logits")

    def forward(self, i: int) -> float:
        """Model forward from column i (6: ideal, 7: measured)."""
        return self.layers * self.layer_sum(i) + self.logits(i)

    def step(self, i: int) -> float:
        return 3 * self.forward(i)


def _peak(t: Table, tables) -> tuple[float, str, tuple]:
    """MAMF of the set for the table's dtype: the highest median-time FLOP/s over the MAMF shapes (mamf-finder's
    definition, computed over the shape records of that dtype); else the best of the table's own GEMMs."""
    dtype = t.rows[0]["params"]["dtype"]
    for m in tables:
        if m.kind.name == "mamf" and m.rows[0]["params"]["dtype"] == dtype:
            best = max(m.rows, key=lambda r: r["metrics"]["flop_per_s_median"])
            p = best["params"]
            return (best["metrics"]["flop_per_s_median"],
                    f"{PEAK_MAMF}: the highest median-time FLOP/s over the {len(m.rows)} shapes of table {m.id}, at "
                    f"M={p['m']}, N={p['n']}, K={p['k']}", m.rows)
    return max(r["metrics"]["flop_per_s_median"] for r in t.rows), PEAK_BEST, ()


def _layer_times(p: dict, tables):
    """(fwd, fwd_bwd) medians and records of the layer benchmark on the preset's own shape, same B, S, dtype."""
    model = get_preset(p["preset"])
    found, recs = {}, []
    for t in tables:
        for r in (t.rows if t.kind.name == "layer" else ()):
            q = r["params"]
            if (q["preset"], q["dtype"], q["batch_size"], q["seq"], q["hidden_size"], q["ffn_size"]) == (
                    p["preset"], p["dtype"], p["batch_size"], p["seq"], model.hidden_size, model.ffn):
                found[q["pass"]] = r["stats"]["median"]
                recs.append(r)
    return found.get("fwd"), found.get("fwd_bwd"), tuple(recs)


def _gemms(t: Table, peak: float) -> tuple:
    p = t.rows[0]["params"]
    model = get_preset(p["preset"])
    want = (*layer_gemms(model, p["batch_size"], p["seq"], p["tp"]), logits_gemm(model, p["batch_size"], p["seq"],
                                                                                 p["tp"]))
    by_name = {r["params"]["gemm"]: r for r in t.rows}
    out = []
    for g in want:
        r = by_name.get(g.name)
        if r is None:
            raise TableError(f"table {t.id}: no measured record for GEMM {g.name!r}; run bench gemm --preset")
        q = r["params"]
        if (q["m"], q["n"], q["k"], q.get("batch", 1)) != (g.m, g.n, g.k, g.batch):
            raise TableError(f"table {t.id}: GEMM {g.name} measured as {q['m']}x{q['n']}x{q['k']}, but the package "
                             f"gives {g.m}x{g.n}x{g.k} (batch {g.batch}); re-run with the current package")
        ideal, med = g.flops / peak, r["stats"]["median"]
        out.append((g.name, g.batch, g.m, g.n, g.k, g.flops, ideal, med, ideal / med, record_id(r)))
    return tuple(out)


def predictions(tables) -> list[Prediction]:
    """One prediction per model-GEMM table of one set."""
    out = []
    for t in tables:
        if t.kind.name != "gemm_model":
            continue
        p = t.rows[0]["params"]
        peak, source, peak_recs = _peak(t, tables)
        fwd, fwd_bwd, layer_recs = _layer_times(p, tables)
        model = get_preset(p["preset"])
        tid = slug(f"predictions-{p['preset']}-b{p['batch_size']}-s{p['seq']}-tp{p['tp']}-{p['dtype']}-"
                   f"{t.set_name}-v{t.version}")
        out.append(Prediction(
            tid, f"{p['preset']}, B={p['batch_size']}, S={p['seq']}, TP={p['tp']}, {p['dtype']}", t.set_name, t.cpu,
            peak, source, _gemms(t, peak), model.num_layers, p["batch_size"] * p["seq"], fwd, fwd_bwd,
            training_flops(model, p["batch_size"], p["seq"], attention="causal").model,
            t.rows + tuple(peak_recs) + layer_recs))
    return out
