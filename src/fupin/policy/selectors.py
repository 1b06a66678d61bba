"""Reads of assessment runs and results, limited to the user's areas (architecture.md, layer 2)."""

from django.db.models import QuerySet

from fupin.accounts.access import AREA_READERS, area_ranges, in_scope, scope_q
from fupin.core.errors import NotFound
from fupin.policy.models import AssessmentRun, HouseholdResult


def _ancestor_codes(user) -> list[str]:
    """Codes of the areas above the user's own (a county run covers a township officer's township)."""
    from fupin.areas.models import PREFIX_LEN

    if getattr(user, "role", None) not in AREA_READERS or getattr(user, "is_superuser", False):
        return []
    codes = set()
    for a in user.areas.all():
        for level in range(1, a.level):
            p = a.code[: PREFIX_LEN[level]]
            codes.add(p + "0" * (12 - len(p)))
    return sorted(codes)


def run_list(*, user, kind: str | None = None) -> QuerySet[AssessmentRun]:
    """Runs over an area inside the user's areas, or over an area containing them (whose results
    the user then reads only for their own areas, see scoped_counts), newest first."""
    from django.db.models import Q

    qs = AssessmentRun.objects.filter(scope_q(user, "area_id") | Q(area_id__in=_ancestor_codes(user)))
    qs = qs.select_related("area", "actor")
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
        # Whole codes only: INCOME must not match NO_INCOME_DATA.
        from django.db.models import Q

        qs = qs.filter(Q(reasons=reason) | Q(reasons__startswith=reason + ";") | Q(reasons__endswith=";" + reason)
                       | Q(reasons__contains=";" + reason + ";"))
    if village:
        qs = qs.filter(household__village_id__startswith=village)
    return qs.select_related("household").order_by("household_id")


def run_monitoring_results(*, user, run: AssessmentRun, category: str = ""):
    """A monitoring run's flagged and eliminable households inside the user's areas."""
    from fupin.policy.models import MonitoringResult

    qs = MonitoringResult.objects.filter(run=run).filter(scope_q(user, "household__village_id"))
    if category:
        qs = qs.filter(category=category)
    return qs.select_related("household").order_by("household_id")


def covers_more_than(user, run: AssessmentRun) -> bool:
    """The run's area reaches beyond the user's areas."""
    return not (getattr(user, "is_superuser", False) or in_scope(user, run.area_id))


def scoped_counts(user, run: AssessmentRun) -> dict:
    """The run's counts; for a run over a wider area than the user's, counted again over the
    user's own households only (a township officer does not read the county's totals)."""
    if not covers_more_than(user, run) or run.kind != AssessmentRun.Kind.HOUSEHOLDS:
        return run.counts if not covers_more_than(user, run) else {}
    from django.db.models import Count

    out = {"households": 0, "passed": 0, "failed": 0, "by_reason": {}}
    # One row per distinct (verdict, reasons) combination: a few dozen, whatever the run's size.
    for passed, reasons, n in (run_household_results(user=user, run=run).order_by()
                               .values_list("passed", "reasons").annotate(n=Count("household_id"))):
        out["households"] += n
        out["passed" if passed else "failed"] += n
        for code in filter(None, reasons.split(";")):
            out["by_reason"][code] = out["by_reason"].get(code, 0) + n
    return out


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


__all__ = ["access_run", "area_ranges", "assessable_areas", "can_run_assessments", "covers_more_than",
           "household_results_by_year", "in_scope", "run_household_results", "run_list", "run_monitoring_results",
           "scoped_counts"]
