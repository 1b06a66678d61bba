"""Reads of assessment runs and results, limited to the user's areas (architecture.md, layer 2)."""

from django.db.models import QuerySet

from fupin.accounts.access import AREA_READERS, area_ranges, in_scope, scope_q
from fupin.core.errors import NotFound
from fupin.policy.models import AssessmentRun, HouseholdResult


def run_list(*, user, kind: str | None = None) -> QuerySet[AssessmentRun]:
    """Runs over an area inside the user's areas, newest first."""
    qs = AssessmentRun.objects.filter(scope_q(user, "area_id")).select_related("area", "actor")
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def access_run(user, pk) -> AssessmentRun:
    run = run_list(user=user).filter(pk=pk).first()
    if run is None:
        raise NotFound()
    return run


def run_household_results(*, user, run: AssessmentRun, passed: bool | None = None, reason: str = "",
                          village: str = "") -> QuerySet[HouseholdResult]:
    """A run's household results inside the user's areas (a city run read by a county officer
    shows only that county's households)."""
    qs = HouseholdResult.objects.filter(run=run).filter(scope_q(user, "household__village_id"))
    if passed is not None:
        qs = qs.filter(passed=passed)
    if reason:
        qs = qs.filter(reasons__contains=reason)
    if village:
        qs = qs.filter(household__village_id__startswith=village)
    return qs.select_related("household").order_by("household_id")


def household_results_by_year(household) -> list[HouseholdResult]:
    """The stored exit results of one (already access-checked) household: for each year the one
    of the latest succeeded run (domain.md section 3: kept per year, never overwritten)."""
    latest: dict[int, HouseholdResult] = {}
    qs = (HouseholdResult.objects.filter(household=household, run__status=AssessmentRun.Status.SUCCEEDED)
          .select_related("run").order_by("year", "-run__finished_at", "-run_id"))
    for r in qs:
        latest.setdefault(r.year, r)
    return [latest[y] for y in sorted(latest, reverse=True)]


def can_run_assessments(user) -> bool:
    """City and county offices run the annual assessment (domain.md section 1); admins too."""
    return bool(getattr(user, "is_superuser", False)) or getattr(user, "role", None) in ("city", "county", "admin")


def assessable_areas(user):
    """Areas a user may start a bulk run for: their own areas and what lies below them, down to townships."""
    from fupin.areas.models import Area

    if getattr(user, "role", None) not in AREA_READERS and not getattr(user, "is_superuser", False):
        return Area.objects.none()
    return Area.objects.filter(scope_q(user, "code"), level__lte=4).order_by("code")


__all__ = ["access_run", "area_ranges", "assessable_areas", "can_run_assessments", "household_results_by_year",
           "in_scope", "run_household_results", "run_list"]
