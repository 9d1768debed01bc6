"""`cookbook params`: exact parameter counts (conventions in cookbook.params and in every output)."""

from cookbook.inputs import Calculator, model_from_inputs
from cookbook.params import count_params
from cookbook.presets import preset_source
from cookbook.units import LEGEND_SI, count


def compute(**inputs) -> dict:
    m = model_from_inputs(inputs)
    source = preset_source(inputs["preset"]) if inputs.get("preset") else None
    return {"model": m.name, "source": source, **count_params(m).as_dict()}


def rows(r: dict) -> list:
    out = [("model", r["model"])]
    if r.get("source"):
        out.append(("source", r["source"]))
    out += [("total", count(r["total"])), ("active (per token)", count(r["active"])),
            ("non-embedding", count(r["non_embedding"]))]
    out += [(f"  {k}", count(v)) for k, v in r["breakdown"].items() if v]
    out += [(f"convention: {k}", v) for k, v in r["conventions"].items()]
    return out


CALCULATOR = Calculator(
    name="params", title="Parameters", fields=(), compute=compute, rows=rows,
    legend="parameters, exact; " + LEGEND_SI,
    help="Exact parameter count with a breakdown that sums to the total.")
