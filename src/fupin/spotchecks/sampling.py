"""How the spot-check sample is drawn (domain.md 6.3): pure functions, no database.

Stratified by township. In each township the households are ordered by
SHA-256("<seed>:<户编号>") (hex, ties broken by 户编号) and the first k are taken, where
k = the township's count × share / 100 rounded half up, at least 1 where the township has any
household (never more than it has). The order depends only on the seed and the household
numbers, not on database ids or row order, so the same seed on the same registry gives the same
sample on SQLite and PostgreSQL, and anyone can re-derive it with a few lines of code.
"""

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal


def sort_key(seed: int, number: str) -> str:
    return hashlib.sha256(f"{seed}:{number}".encode()).hexdigest()


def stratum_size(n: int, share: Decimal) -> int:
    """How many of a township's `n` households are drawn at `share` per cent."""
    if n <= 0:
        return 0
    k = int((Decimal(n) * Decimal(share) / 100).to_integral_value(ROUND_HALF_UP))
    return min(n, max(1, k))


def stratified_sample(households: Iterable[tuple[int, str, str]], *, seed: int,
                      share: Decimal) -> list[tuple[int, str]]:
    """`households`: (id, 户编号, township code). Returns the drawn (id, township code), by
    township then draw order."""
    strata: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    for hid, number, township in households:
        strata[township].append((sort_key(seed, number), number, hid))
    out: list[tuple[int, str]] = []
    for township in sorted(strata):
        rows = sorted(strata[township])
        out.extend((hid, township) for _, _, hid in rows[:stratum_size(len(rows), share)])
    return out
