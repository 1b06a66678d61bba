"""Money is Decimal yuan with 2 places; never float."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def yuan(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def fmt(value) -> str:
    """2,980.50"""
    if value is None:
        return "—"
    return f"{Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP):,}"
