"""Exact arithmetic for notes and shares.

Notes are means of quarter points: computed as fractions, carried as 28-digit decimals. A note
truly below a threshold differs from it by far more than 10⁻²⁰, so 49.99… never reaches 50 by
rounding error, and 0.75 × 4 is exactly 3.
"""

from __future__ import annotations

import math
from decimal import ROUND_DOWN, Context, Decimal
from fractions import Fraction

_CONTEXT = Context(prec=28)


def to_decimal(value: Fraction | int) -> Decimal:
    value = Fraction(value)
    return _CONTEXT.divide(Decimal(value.numerator), Decimal(value.denominator))


def carried(value: Decimal | None, places: int = 20) -> Decimal | None:
    """``value`` cut (toward zero) to at most ``places`` decimals, to travel in an event (scores are /100, at most
    24 digits). Cutting keeps every comparison with a threshold written with ``places`` decimals or fewer: a note
    at or above 80 stays at or above it, one below stays below. Shorter values are returned as they are.
    """
    if value is None or -value.as_tuple().exponent <= places:  # type: ignore[operator]
        return value
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN, context=_CONTEXT)


def ceil_share(share: Decimal, count: int) -> int:
    """⌈share × count⌉, exactly (« en arrondissant si nécessaire à l'entier supérieur »)."""
    return math.ceil(Fraction(share) * count)


def at_least_share(part: int, whole: int, share: Decimal) -> bool:
    """part / whole ≥ share, exactly; false when nothing was asked (whole = 0)."""
    return whole > 0 and Fraction(part, whole) >= Fraction(share)


def smallest_root_ceiling(n: int, root: int) -> int:
    """The smallest k ≥ 0 with k^root ≥ n: ⌈√n⌉ for root 2, computed on integers."""
    if n <= 0:
        return 0
    k = max(0, int(round(n ** (1.0 / root))) - 1)
    while k**root < n:
        k += 1
    while k > 0 and (k - 1) ** root >= n:
        k -= 1
    return k


def percent(share: Decimal) -> str:
    """0.75 → '75 %', 0.05 → '5 %'."""
    return f"{(Decimal(share) * 100).normalize():f} %"
