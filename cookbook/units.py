"""Formatting at the edge: raw SI numbers in, labelled strings out.

Decimal prefixes (k, M, G, T, P, E: powers of 1000) for counts, FLOPs, FLOP/s and bandwidth; binary prefixes
(KiB, MiB, GiB, TiB: powers of 1024) for memory capacity. Every table prints the legend it uses.
"""

from __future__ import annotations

__all__ = ["si", "binary_bytes", "count", "seconds", "LEGEND_SI", "LEGEND_BYTES"]

_SI = ((1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))
_BIN = ((1 << 40, "TiB"), (1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB"))
LEGEND_SI = "k, M, G, T, P, E = 10^3, 10^6, 10^9, 10^12, 10^15, 10^18"
LEGEND_BYTES = "KiB, MiB, GiB, TiB = 2^10, 2^20, 2^30, 2^40 bytes"


def si(x: float, unit: str = "", digits: int = 3) -> str:
    """``si(1.234e12, 'FLOP')`` -> ``'1.23 TFLOP'`` (3 significant digits)."""
    ax = abs(x)
    if ax >= 1e21:  # past exa: scientific notation (5.76e+23 FLOP) reads better than 5.76e+05 EFLOP
        return f"{x:.{digits}g} {unit}".rstrip()
    for scale, p in _SI:
        if ax >= scale:
            return f"{x / scale:.{digits}g} {p}{unit}".rstrip()
    return f"{x:.{digits}g} {unit}".rstrip()


def count(n: int) -> str:
    """An exact integer with thousands separators and its SI value: ``8,030,261,248 (8.03 G)``."""
    return f"{n:,} ({si(n)})" if abs(n) >= 1000 else f"{n:,}"


def binary_bytes(n: float, digits: int = 2) -> str:
    """Bytes in binary units: ``binary_bytes(16 * 2**30)`` -> ``'16.00 GiB'``."""
    for scale, p in _BIN:
        if abs(n) >= scale:
            return f"{n / scale:.{digits}f} {p}"
    return f"{n:.0f} B"


def seconds(t: float) -> str:
    """A duration: ms below a second, s below an hour, then h and days."""
    if t < 1:
        return f"{t * 1e3:.3g} ms"
    if t < 3600:
        return f"{t:.3g} s"
    if t < 86400 * 2:
        return f"{t / 3600:.3g} h"
    return f"{t / 86400:.3g} days"
