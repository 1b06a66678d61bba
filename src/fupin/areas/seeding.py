"""Synthetic yearly village attributes for the demo (docs/seed.md): registered rural population
and the village-exit checklist of the pack in use, shaped so that some villages pass 6.2 and
some fail it for each reason. Reproducible from the seed; never used on real data."""

import random
from decimal import Decimal

from django.db.models import Count, Q

from fupin.areas.attributes import AttributesResult, attributes_apply, pack_checklist
from fupin.areas.models import Area, code_range


def seed_village_attributes(*, actor, year: int, root: str, seed: int = 0) -> int:
    """One attributes row per village under `root` for `year`; returns the number written."""
    from fupin.registry.models import Member

    rng = random.Random(f"{seed}:{year}:{root}")
    area = Area.objects.get(code=root)
    lo, hi = code_range(area.code, area.level)
    registered = dict(Member.objects.filter(household__village_id__gte=lo, household__village_id__lte=hi,
                                            household__kind="建档立卡户", state="在户")
                      .values_list("household__village_id").annotate(n=Count("id")).values_list(
                          "household__village_id", "n"))
    parsed = []
    for code in Area.objects.filter(Q(code__gte=lo) & Q(code__lte=hi), level=5).order_by("code") \
            .values_list("code", flat=True):
        people = registered.get(code, 0)
        # 2014 incidence of a village between 3% and 30% (郴州: about 405,000 of 3.5 million rural people).
        population = max(300, round(people / rng.uniform(0.03, 0.30))) if people else rng.randint(300, 3000)
        items = {}
        for column, kind in pack_checklist():
            if kind == "bool":
                items[column] = rng.random() < 0.93
            else:
                items[column] = str(Decimal(rng.randrange(10_000, 160_000, 500)).quantize(Decimal("0.01")))
        parsed.append({"code": code, "rural_population": population, "items": items})
    attributes_apply(actor, year, parsed, AttributesResult())
    return len(parsed)
