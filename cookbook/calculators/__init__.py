"""The registry of calculators: the API, the CLI and the site all go through ``run``."""

from __future__ import annotations

import importlib

from cookbook.errors import CookbookError
from cookbook.inputs import Calculator, parse_inputs

__all__ = ["calculators", "get", "run", "rows", "describe"]

# each module defines CALCULATOR (or CALCULATORS, a tuple); order is the CLI's and the site's order
_MODULES = (
    "cookbook.calculators.params",
    "cookbook.calculators.flops", "cookbook.calculators.chinchilla",
    "cookbook.calculators.memory",
    "cookbook.calculators.time",
)
_cache: dict[str, Calculator] = {}


def calculators() -> dict[str, Calculator]:
    if not _cache:
        for name in _MODULES:
            mod = importlib.import_module(name)
            for c in getattr(mod, "CALCULATORS", None) or (mod.CALCULATOR,):
                _cache[c.name] = c
    return _cache


def get(name: str) -> Calculator:
    cs = calculators()
    if name not in cs:
        raise CookbookError(f"unknown calculator {name!r}; known: {', '.join(cs)}")
    return cs[name]


def run(name: str, inputs: dict | None = None) -> dict:
    """Run calculator ``name`` on raw ``inputs`` (strings or values); returns its JSON-able result."""
    c = get(name)
    return c.compute(**parse_inputs(c, dict(inputs or {})))


def rows(name: str, result: dict) -> list:
    """The human table of a result: [(label, value), ...]."""
    return [tuple(r) for r in get(name).rows(result)]


def describe() -> dict:
    """Every calculator's fields, for the site's generated forms."""
    return {n: c.describe() for n, c in calculators().items()}
