"""The sampling method itself (pure): sizes per township and reproducibility from the seed."""

from decimal import Decimal

import pytest

from fupin.spotchecks.sampling import sort_key, stratified_sample, stratum_size


@pytest.mark.parametrize("n,share,k", [(0, 20, 0), (1, 20, 1), (2, 20, 1), (7, 20, 1), (8, 20, 2),
                                       (10, 25, 3), (10, 24, 2), (5, 100, 5), (3, 1, 1), (1000, 20, 200)])
def test_each_township_share_rounded_half_up_at_least_one(n, share, k):
    assert stratum_size(n, Decimal(share)) == k


def _pool():
    return [(i, f"H{i:04d}", "T1" if i % 3 else "T2") for i in range(1, 61)]


def test_same_seed_same_sample_whatever_the_row_order():
    a = stratified_sample(_pool(), seed=42, share=Decimal(20))
    b = stratified_sample(list(reversed(_pool())), seed=42, share=Decimal(20))
    assert a == b
    assert stratified_sample(_pool(), seed=43, share=Decimal(20)) != a


def test_sample_is_stratified_and_follows_the_documented_order():
    pool = _pool()
    drawn = stratified_sample(pool, seed=7, share=Decimal(20))
    assert sum(t == "T1" for _, t in drawn) == 8 and sum(t == "T2" for _, t in drawn) == 4
    # the documented method: in each township, the first k by SHA-256("seed:户编号")
    t2 = sorted((sort_key(7, n), hid) for hid, n, t in pool if t == "T2")[:4]
    assert [hid for hid, t in drawn if t == "T2"] == [hid for _, hid in t2]
