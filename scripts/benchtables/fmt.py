"""Cell formatters (all through cookbook.units) and record accessors."""

from __future__ import annotations

from cookbook import units

__all__ = ["param", "stat", "metric", "text", "integer", "secs", "rate", "size", "ratio", "pct"]


def param(name):
    return lambda r: r["params"].get(name)


def stat(name):
    return lambda r: r["stats"][name]


def metric(name):
    return lambda r: r["metrics"][name]


def text(v) -> str:
    return "" if v is None else str(v)


def integer(v) -> str:
    return "" if v is None else f"{v:,}"


def secs(v) -> str:
    return units.seconds(v)


def rate(unit):
    return lambda v: units.si(v, unit)


def size(v) -> str:
    return units.binary_bytes(v)


def ratio(v) -> str:
    return f"{v:.3f}"


def pct(v) -> str:
    return f"{100 * v:.1f}%"
