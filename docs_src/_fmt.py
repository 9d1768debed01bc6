"""Markdown building blocks for the chapter modules (numbers are formatted by cookbook.units)."""

from __future__ import annotations

from cookbook import units


def table(headers, rows, align=None) -> str:
    """A Markdown table; ``align`` is a string of l/r/c per column (default: first left, the rest right)."""
    align = align or "l" + "r" * (len(headers) - 1)
    rule = {"l": ":--", "r": "--:", "c": ":-:"}
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(rule[a] for a in align) + " |"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def n(x: int) -> str:
    """An exact integer with thousands separators."""
    return f"{x:,}"


def pct(x: float, digits: int = 1) -> str:
    return f"{100 * x:.{digits}f} %"


si = units.si
gib = units.binary_bytes


def sci(x: float, digits: int = 3) -> str:
    """A large number in KaTeX scientific notation: ``$7.72 \\times 10^{23}$``."""
    mant, exp = f"{x:.{digits - 1}e}".split("e")
    return f"${mant} \\times 10^{{{int(exp)}}}$"
