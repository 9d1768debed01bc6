"""`cookbook params`: exact parameter counts."""

from cookbook.inputs import Calculator, model_from_inputs
from cookbook.params import count_params
from cookbook.units import LEGEND_SI, count


def compute(**inputs) -> dict:
    m = model_from_inputs(inputs)
    return {"model": m.name, **count_params(m).as_dict()}


def rows(r: dict) -> list:
    out = [("model", r["model"]), ("total", count(r["total"])), ("active (per token)", count(r["active"])),
           ("non-embedding", count(r["non_embedding"]))]
    out += [(f"  {k}", count(v)) for k, v in r["breakdown"].items() if v]
    return out


CALCULATOR = Calculator(
    name="params", title="Parameters", fields=(), compute=compute, rows=rows,
    legend="parameters, exact; " + LEGEND_SI,
    help="Exact parameter count with a breakdown that sums to the total.")
