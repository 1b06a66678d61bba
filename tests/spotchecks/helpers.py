"""Households for the spot-check tests, made through the registry service."""

import itertools

from tests.factories import family

SHATIAN, QINGQUAN = "431027101000", "431027102000"
QINGQUAN_VILLAGE = "431027102202"   # 清泉镇中坑村 (桂东县, another township than the cast's villages)
_n = itertools.count(1)


def household(actor, village, *, kind="建档立卡户", status="已脱贫", exit_year=2017, size=2, prefix="SC"):
    from fupin.registry.services import household_create

    number = f"{prefix}{next(_n):05d}"
    extra = {"户类型": kind, "脱贫状态": status if kind == "建档立卡户" else ""}
    if kind == "建档立卡户" and status == "已脱贫":
        extra["脱贫年度"] = exit_year
    row, members = family(number, village, size=size, **extra)
    return household_create(actor=actor, household=row, members=members)
