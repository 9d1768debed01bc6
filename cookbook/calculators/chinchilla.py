"""`cookbook chinchilla`: compute-optimal model size and tokens for a compute budget (Hoffmann et al. 2022)."""

from __future__ import annotations

from cookbook import flops as F
from cookbook.inputs import Calculator, Field
from cookbook.units import LEGEND_SI, si

FIELDS = (
    Field("compute", "float", "C, training compute budget in FLOPs (e.g. 5.76e23)", minimum=0),
    Field("tokens_per_param", "float", "tokens per parameter for the rule of thumb", default=20.0, minimum=0),
)


def compute(**inputs) -> dict:
    from cookbook.errors import CookbookError

    c = inputs.get("compute")
    if c is None:
        raise CookbookError("--compute is required: the training budget in FLOPs, e.g. 5.76e23")
    rule = F.chinchilla_rule(c, inputs["tokens_per_param"])
    rule["loss"] = F.chinchilla_loss(rule["params"], rule["tokens"])
    return {"compute": c, "rule": rule, "fit": F.chinchilla_fit(c),
            "fit_constants": dict(F.CHINCHILLA_FIT),
            "conventions": {"compute": "C = 6 * N * D (training FLOPs; N parameters, D tokens)",
                            "rule": f"D = {inputs['tokens_per_param']:g} * N",
                            "fit": "minimise L(N, D) = E + A/N^alpha + B/D^beta subject to C = 6ND "
                                   "(Hoffmann et al. 2022, approach 3)"}}


def rows(r: dict) -> list:
    ru, fi = r["rule"], r["fit"]
    return [("compute", si(r["compute"], "FLOP")),
            (f"rule ({r['conventions']['rule']})", f"N = {si(ru['params'])} params, D = {si(ru['tokens'])} tokens, "
                                                   f"predicted loss {ru['loss']:.3f}"),
            ("fitted law (approach 3)", f"N = {si(fi['params'])} params, D = {si(fi['tokens'])} tokens, "
                                        f"loss {fi['loss']:.3f}; N ~ C^{fi['a']:.3f}, D ~ C^{fi['b']:.3f}")]


CALCULATOR = Calculator(
    name="chinchilla", title="Compute-optimal size (Chinchilla)", fields=FIELDS, compute=compute, rows=rows,
    legend=LEGEND_SI, uses_model=False, extra={"example": {"compute": "5.76e23"}},  # the site's default inputs
    help="Compute-optimal parameters and tokens for a FLOP budget: the ~20 tokens/parameter rule and "
         "Hoffmann et al. 2022's fitted law.")
