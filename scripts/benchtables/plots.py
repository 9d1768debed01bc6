"""Plots of one table as deterministic SVG (matplotlib Agg, fixed ``svg.hashsalt``, no date), plus the plotted data
as CSV. The drift test compares the CSV (the data behind the plot) byte for byte and only checks that the SVG
exists: SVG bytes depend on the matplotlib and font versions, the data does not.

GEMM plots on a GPU add the tile and wave quantization model of ``cookbook.gemm.quantization`` for a declared
128 x 256 tile and the SM count the record carries, scaled to the best measured rate; CPU plots say that there
is no GPU tile/wave quantization to show and plot the measurements only.
"""

from __future__ import annotations

import csv
import io

from benchtables.table import Table
from cookbook.gemm import quantization

__all__ = ["plot", "comm_overview", "PLOT_TILE"]

PLOT_TILE = (128, 256)
_SCALE = {"FLOP/s": (1e9, "GFLOP/s"), "B/s": (1e9, "GB/s")}


def _series_gemm(t: Table):
    dims = ("m", "n", "k")
    var = max(dims, key=lambda d: len({r["params"][d] for r in t.rows}))
    groups: dict = {}
    for r in t.rows:
        rest = ", ".join(f"{d.upper()}={r['params'][d]}" for d in dims if d != var)
        groups.setdefault(rest, []).append(r)
    out = []
    for rest, rs in groups.items():
        rs = sorted(rs, key=lambda r: r["params"][var])
        xs = [r["params"][var] for r in rs]
        out.append((f"median, {rest}", xs, [r["metrics"]["flop_per_s_median"] for r in rs]))
        out.append((f"best, {rest}", xs, [r["metrics"]["flop_per_s_best"] for r in rs]))
        if not t.cpu:
            out.append(_quant_series(rs, var, rest))
    return var.upper(), "FLOP/s", out, False


def _quant_series(rs, var, rest):
    dev = rs[0]["provenance"]
    idx = int(str(dev["device"]).split(":")[1]) if ":" in str(dev["device"]) else 0
    sms = dev["devices"][idx]["multi_processor_count"]
    best = max(r["metrics"]["flop_per_s_best"] for r in rs)
    eff = [quantization(r["params"]["m"], r["params"]["n"], *PLOT_TILE, sms, 1, r["params"].get("batch", 1)).efficiency
           for r in rs]
    top = max(eff)
    return (f"tile+wave model ({PLOT_TILE[0]}x{PLOT_TILE[1]} tiles, {sms} SMs) x best, {rest}",
            [r["params"][var] for r in rs], [best * e / top for e in eff])


def _series_by(t: Table, x_key: str, label_keys, metric: str, best: str | None = None):
    """One series per value of ``label_keys`` (x sorted); with ``best``, a dashed best-time series after each."""
    groups: dict = {}
    for r in t.rows:
        lab = ", ".join(f"{k}={r['params'][k]}" for k in label_keys)
        groups.setdefault(lab, []).append(r)
    out = []
    for lab, rs in groups.items():
        rs = sorted(rs, key=lambda r: r["params"][x_key])
        xs = [r["params"][x_key] for r in rs]
        out.append((f"median, {lab}" if best else lab, xs, [r["metrics"][metric] for r in rs]))
        if best:
            out.append((f"best, {lab}", xs, [r["metrics"][best] for r in rs]))
    return out


def _spec(t: Table):
    """(x label, y unit, [(series, xs, ys)], log x)."""
    kind = t.kind.plot
    if kind == "gemm":
        return _series_gemm(t)
    if kind == "attention":
        return "sequence length S", "FLOP/s", _series_by(t, "seq", ("backend", "pass"), "flop_per_s_median",
                                                         "flop_per_s_best"), True
    if kind == "membw":
        return "array size (bytes)", "B/s", _series_by(t, "array_bytes", ("kernel",), "bytes_per_s_median",
                                                        "bytes_per_s_best"), True
    return "message size S (bytes)", "B/s", _series_by(t, "size_bytes", ("placement",), "busbw_bytes_per_s_median",
                                                       "busbw_bytes_per_s_best"), True


def _csv(series) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["series", "x", "y"])
    for lab, xs, ys in series:
        for x, y in zip(xs, ys):
            w.writerow([lab, repr(x) if isinstance(x, float) else x, repr(float(y))])
    return buf.getvalue()


def _svg(t: Table, xlabel: str, unit: str, series, logx: bool) -> bytes:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    scale, label = _SCALE[unit]
    with matplotlib.rc_context({"svg.hashsalt": "cookbook-benchtables", "svg.fonttype": "path", "font.size": 9}):
        fig, ax = plt.subplots(figsize=(7.0, 3.6))
        colors: dict = {}
        for lab, xs, ys in series:
            style = "--" if lab.startswith(("best", "tile")) else "-"
            group = lab.split(", ", 1)[-1] if lab.startswith(("median, ", "best, ")) else lab
            color = colors.setdefault(group, f"C{len(colors) % 10}")
            ax.plot(xs, [y / scale for y in ys], style, color=color, marker="." if style == "-" else None, label=lab)
        if logx:
            ax.set_xscale("log", base=2)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(f"{label} (solid: median time; dashed: best)" if any(
            lab.startswith("best") for lab, _, _ in series) else f"{label} (median time)")
        where = "CPU measurement (not an accelerator figure)" if t.cpu else "GPU measurement"
        ax.set_title(f"{t.title}\n{where}; {getattr(t, 'label', 'table')} {t.id}", fontsize=8)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
        if t.cpu and t.kind.plot == "gemm":
            ax.text(0.01, 0.02, "CPU: no GPU tile/wave quantization; steps come from the BLAS library's blocking",
                    transform=ax.transAxes, fontsize=7, alpha=0.7)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "scripts/render_tables.py"})
        plt.close(fig)
    return buf.getvalue()


def plot(t: Table) -> tuple[bytes, str] | None:
    """(SVG bytes, plotted data CSV) for a table whose kind has a plot; None otherwise."""
    if t.kind.plot is None:
        return None
    xlabel, unit, series, logx = _spec(t)
    return _svg(t, xlabel, unit, series, logx), _csv(series)


def comm_overview(tables) -> tuple[bytes, str] | None:
    """busbw against message size for every collective of one record set (one line per op and placement)."""
    comm = [t for t in tables if t.kind.plot == "comm"]
    if not comm:
        return None
    series = []
    for t in comm:
        series += [(f"{t.kind.name}, {lab.split('=')[1]}", xs, ys)
                   for lab, xs, ys in _series_by(t, "size_bytes", ("placement",), "busbw_bytes_per_s_median")]
    head = comm[0]
    view = type("View", (), {"cpu": head.cpu, "kind": head.kind, "id": f"comm-busbw-{head.set_name}",
                             "title": f"busbw of every collective, set {head.set_name}", "label": "plot"})
    return _svg(view, "message size S (bytes)", "B/s", series, True), _csv(series)
