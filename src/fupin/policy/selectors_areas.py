"""Reading village and county exit results (domain.md 6.2, 6.3), scoped to the user's areas.

"The result for year Y" is that of the latest succeeded run of that kind and year covering the
village or county (fupin.policy.models): per object, the newest run that has a row for it.
"""

from django.db.models import F, OuterRef, QuerySet, Subquery

from fupin.accounts.access import scope_q
from fupin.areas.models import Area
from fupin.policy.models import AssessmentRun, CountyResult, VillageResult

SUCCEEDED = AssessmentRun.Status.SUCCEEDED


def result_years(user, kind: str) -> list[int]:
    """Years with a succeeded run of `kind` (the year picker); runs are few, so not scoped by row."""
    return sorted(set(AssessmentRun.objects.filter(kind=kind, status=SUCCEEDED).values_list("year", flat=True)),
                  reverse=True)


def latest_village_results(user, *, year: int, area: Area | None = None) -> QuerySet[VillageResult]:
    same = VillageResult.objects.filter(village=OuterRef("village"), run__kind=AssessmentRun.Kind.VILLAGES,
                                        run__year=year, run__status=SUCCEEDED).order_by("-run_id")
    qs = (VillageResult.objects.filter(scope_q(user, "village_id"), run__kind=AssessmentRun.Kind.VILLAGES,
                                       run__year=year, run__status=SUCCEEDED)
          .annotate(latest=Subquery(same.values("run_id")[:1])).filter(run_id=F("latest")))
    if area:
        lo, hi = area.range
        qs = qs.filter(village_id__gte=lo, village_id__lte=hi)
    return qs.select_related("village", "run").order_by("village_id")


def latest_county_results(user, *, year: int) -> QuerySet[CountyResult]:
    same = CountyResult.objects.filter(county=OuterRef("county"), run__kind=AssessmentRun.Kind.COUNTIES,
                                       run__year=year, run__status=SUCCEEDED).order_by("-run_id")
    return (CountyResult.objects.filter(scope_q(user, "county_id"), run__kind=AssessmentRun.Kind.COUNTIES,
                                        run__year=year, run__status=SUCCEEDED)
            .annotate(latest=Subquery(same.values("run_id")[:1])).filter(run_id=F("latest"))
            .select_related("county", "run").order_by("county_id"))
