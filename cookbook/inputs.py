"""One description of every calculator's inputs, shared by the API, the CLI and the in-page forms.

A ``Calculator`` names its ``Field``s and a ``compute(**inputs) -> dict`` function. The CLI builds its flags from
the fields (``--batch-size`` for ``batch_size``), the site builds its forms from ``describe()`` (JSON), and the
page's worker calls ``run(name, inputs)`` exactly as the CLI does, so all three give the same numbers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from cookbook.errors import CookbookError
from cookbook.model import NORMS, POSITIONS, ModelConfig, MoEConfig

__all__ = ["Field", "Calculator", "MODEL_FIELDS", "model_from_inputs", "parse_inputs"]

KINDS = ("int", "float", "bool", "choice", "str", "json")


@dataclass(frozen=True)
class Field:
    """One input. ``default`` None means "not given" (the calculator decides). ``group`` sections the form."""

    name: str
    kind: str
    help: str
    default: object = None
    choices: tuple = ()
    group: str = "setup"
    minimum: float | None = None
    maximum: float | None = None

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def parse(self, value):
        """Coerce a value (a string from the CLI or a URL, or a Python value) and check its range."""
        if value is None or value == "":
            return None
        try:
            v = self._coerce(value)
        except (TypeError, ValueError):
            raise CookbookError(f"{self.flag} must be {self._expect()}, got {value!r}") from None
        if self.kind == "choice" and self.choices and v not in self.choices:
            raise CookbookError(f"{self.flag} must be one of {', '.join(map(str, self.choices))}; got {v!r}")
        if self.kind in ("int", "float"):
            if v != v or v in (float("inf"), float("-inf")):
                raise CookbookError(f"{self.flag} must be a finite number, got {value!r}")
            if self.minimum is not None and v < self.minimum:
                raise CookbookError(f"{self.flag} must be >= {self.minimum:g}, got {v:g}")
            if self.maximum is not None and v > self.maximum:
                raise CookbookError(f"{self.flag} must be <= {self.maximum:g}, got {v:g}")
        return v

    def _coerce(self, value):
        if self.kind == "int":
            if isinstance(value, bool):
                raise TypeError
            if isinstance(value, float):
                if not value.is_integer():
                    raise ValueError
                return int(value)
            if isinstance(value, str):
                s = value.strip().replace("_", "")
                return int(float(s)) if ("e" in s.lower() and float(s).is_integer()) else int(s)
            return int(value)
        if self.kind == "float":
            if isinstance(value, bool):
                raise TypeError
            return float(value)
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            s = str(value).strip().lower()
            if s in ("1", "true", "yes", "on"):
                return True
            if s in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if self.kind == "json":
            if isinstance(value, dict):
                return value
            try:
                return json.loads(value)
            except json.JSONDecodeError as e:
                raise CookbookError(f"{self.flag} is not valid JSON (line {e.lineno}, column {e.colno}: "
                                    f"{e.msg}); paste the whole config.json") from None
        return str(value)

    def _expect(self) -> str:
        return {"int": "an integer", "float": "a number", "bool": "true or false", "json": "a JSON object"}.get(
            self.kind, "text")

    def describe(self) -> dict:
        return {"name": self.name, "flag": self.flag, "kind": self.kind, "help": self.help, "default": self.default,
                "choices": list(self.choices), "group": self.group, "min": self.minimum, "max": self.maximum}


def _m(name, kind, help, **kw):
    return Field(name, kind, help, group="model", **kw)


# Model inputs: a preset, or a pasted/loaded Hugging Face config, or explicit shapes; explicit values override.
MODEL_FIELDS = (
    _m("preset", "choice", "a named real model (see `cookbook presets`)", choices=()),
    _m("hf_config", "json", "a Hugging Face config.json (the CLI's --hf-config takes a file path)"),
    _m("hidden_size", "int", "D, hidden size", minimum=1),
    _m("num_layers", "int", "L, transformer layers", minimum=1),
    _m("num_heads", "int", "H, attention heads", minimum=1),
    _m("num_kv_heads", "int", "K, key/value heads (H: MHA, 1: MQA, else GQA)", minimum=1),
    _m("head_dim", "int", "d_h, head dimension (default D/H)", minimum=1),
    _m("vocab_size", "int", "V, vocabulary size", minimum=1),
    _m("ffn_size", "int", "F, MLP intermediate size (default 4D)", minimum=1),
    _m("gated_mlp", "bool", "gated MLP (SwiGLU/GeGLU: three matrices)"),
    _m("tie_embeddings", "bool", "lm_head shares the token embedding"),
    _m("position", "choice", "position encoding", choices=POSITIONS),
    _m("max_position_embeddings", "int", "rows of a learned position table", minimum=1),
    _m("norm", "choice", "norm type", choices=NORMS),
    _m("qkv_bias", "bool", "biases on q/k/v projections"),
    _m("mlp_bias", "bool", "biases on MLP linears"),
    _m("sliding_window", "int", "sliding attention window W (every layer)", minimum=1),
    _m("num_experts", "int", "E, routed experts (MoE)", minimum=1),
    _m("top_k", "int", "k, experts per token (MoE)", minimum=1),
    _m("expert_ffn_size", "int", "routed expert intermediate size (default F)", minimum=1),
    _m("num_shared_experts", "int", "always-on shared experts (MoE)", minimum=0),
)
_SHAPE_REQUIRED = ("hidden_size", "num_layers", "num_heads", "vocab_size")
_MODEL_OVERRIDES = ("hidden_size", "num_layers", "num_heads", "num_kv_heads", "head_dim", "vocab_size", "ffn_size",
                    "gated_mlp", "tie_embeddings", "position", "max_position_embeddings", "norm", "qkv_bias",
                    "mlp_bias", "sliding_window")


def model_from_inputs(inputs: dict) -> ModelConfig:
    """The model a calculator works on: preset, else hf_config, else explicit fields; explicit fields override."""
    from cookbook.hf import from_hf_config
    from cookbook.presets import get_preset

    if inputs.get("preset") and inputs.get("hf_config"):
        raise CookbookError("give either --preset or --hf-config, not both")
    if inputs.get("preset"):
        base = get_preset(inputs["preset"])
    elif inputs.get("hf_config"):
        base = from_hf_config(inputs["hf_config"])
    else:
        missing = [f"--{k.replace('_', '-')}" for k in _SHAPE_REQUIRED if inputs.get(k) is None]
        if missing:
            raise CookbookError("no model given: use --preset NAME, --hf-config FILE, or set "
                                + ", ".join(missing))
        base = None
    changes = {k: inputs[k] for k in _MODEL_OVERRIDES if inputs.get(k) is not None}
    if "sliding_window" in changes:
        changes["layer_types"] = None
    if base is None:
        changes.setdefault("gated_mlp", False)
        m = ModelConfig(**changes)
    else:
        if ("num_layers" in changes and base.layer_types is not None
                and changes["num_layers"] != base.num_layers and "layer_types" not in changes):
            changes["layer_types"] = None if base.sliding_window is None else tuple(
                base.layer_types[i % len(base.layer_types)] for i in range(changes["num_layers"]))
        m = base.replace(**changes) if changes else base
    return _with_moe(m, inputs)


def _with_moe(m: ModelConfig, inputs: dict) -> ModelConfig:
    keys = ("num_experts", "top_k", "expert_ffn_size", "num_shared_experts")
    given = {k: inputs[k] for k in keys if inputs.get(k) is not None}
    if not given:
        return m
    old = m.moe
    kw = dict(num_experts=old.num_experts if old else None, top_k=old.top_k if old else None,
              expert_ffn_size=old.expert_ffn_size if old else m.ffn)
    if old:
        kw.update(num_shared_experts=old.num_shared_experts, shared_expert_ffn_size=old.shared_expert_ffn_size,
                  shared_expert_gate=old.shared_expert_gate, first_dense_layers=old.first_dense_layers,
                  layer_interval=old.layer_interval, dense_layers=old.dense_layers, router_bias=old.router_bias,
                  expert_bias=old.expert_bias)
    kw.update(given)
    if kw["num_experts"] is None:
        raise CookbookError("MoE fields given without --num-experts; set --num-experts (and --top-k)")
    if kw["top_k"] is None:
        raise CookbookError("--num-experts given without --top-k; set --top-k, the experts each token uses")
    if kw.get("num_shared_experts") and not kw.get("shared_expert_ffn_size"):
        kw["shared_expert_ffn_size"] = kw["expert_ffn_size"]
    return m.replace(moe=MoEConfig(**kw))


@dataclass(frozen=True)
class Calculator:
    """A named computation: its fields and a function of them returning a JSON-able dict.

    ``rows(result)`` gives the human table as (label, value) string pairs; ``legend`` the units used.
    """

    name: str
    title: str
    fields: tuple
    compute: object
    rows: object
    legend: str = ""
    uses_model: bool = True
    help: str = ""
    extra: dict = field(default_factory=dict)

    def all_fields(self) -> tuple:
        return (MODEL_FIELDS if self.uses_model else ()) + tuple(self.fields)

    def describe(self) -> dict:
        from cookbook.presets import preset_names
        fs = []
        for f in self.all_fields():
            d = f.describe()
            if f.name == "preset":
                d["choices"] = list(preset_names())
            fs.append(d)
        return {"name": self.name, "title": self.title, "help": self.help, "legend": self.legend, "fields": fs}


def parse_inputs(calc: Calculator, raw: dict) -> dict:
    """Coerce raw inputs (strings or values) by their fields; unknown names are an error."""
    by_name = {f.name: f for f in calc.all_fields()}
    unknown = sorted(set(raw) - set(by_name))
    if unknown:
        raise CookbookError(f"{calc.name}: unknown input(s) {', '.join(unknown)}; known: {', '.join(by_name)}")
    out = {}
    for name, f in by_name.items():
        v = f.parse(raw.get(name))
        out[name] = f.default if v is None else v
    return out
