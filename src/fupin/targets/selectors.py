"""Progress towards the year's targets, from the registry and the stored assessment results.

For area A (a city or county) and year Y, as of 31 December of Y (for the running year: today's
registry, since nobody has a state change dated in the future):

- people exited (done): members 在户 on that date of registered households in A whose exit year
  is Y and whose status is 已脱贫 — or 监测对象, an exited household later taken under monitoring
  is still one that exited in Y; a household that returned to poverty (返贫) is not counted;
- villages passed: villages in A whose latest village run of Y (policy.VillageResult of the
  newest succeeded run that assessed the village) passed;
- counties passed: the same with the county runs (policy.CountyResult);
- candidates: registered households in A still 未脱贫 or 返贫 whose latest household run of Y
  (policy.HouseholdResult) passed 6.1, and their members 在户;
- projection (预计): people exited + the people of the candidate households — the year ends
  there if every household that passes the exit assessment today completes the exit procedure.
  No month-by-month run-rate is drawn: the registry holds an exit year, not an exit date (the
  exit procedure, when built, will date each exit).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, Subquery

from fupin.accounts.access import access_area, scope_q
from fupin.areas.models import Area, code_range
from fupin.registry.choices import HouseholdKind, Status
from fupin.targets.models import Target
from fupin.targets.services import TARGET_LEVELS, area_code

EXITED = (Status.EXITED.value, Status.MONITORED.value)
NOT_EXITED = (Status.NOT_EXITED.value, Status.RETURNED.value)


def _present(day: dt.date) -> Q:
    return Q(state="在户") | Q(state_date__isnull=False, state_date__gt=day)


def target_areas(user) -> list[Area]:
    """Cities and counties in the user's areas (the areas a target can be read for)."""
    return list(Area.objects.filter(level__in=TARGET_LEVELS).filter(scope_q(user, "code")).order_by("code"))


def access_target_area(user, code: str) -> Area:
    return access_area(user, area_code(code), levels=TARGET_LEVELS)


def pct(done: int, target: int | None) -> int | None:
    """Whole per cent of the target (may exceed 100); None without a target."""
    if not target:
        return None
    return done * 100 // target


@dataclass(frozen=True)
class CountyStatus:
    code: str
    name: str
    in_target: bool
    passed: bool | None   # None: no county run of the year assessed it
    reasons: str = ""


@dataclass
class TargetProgress:
    area: Area
    year: int
    day: dt.date
    target: Target | None
    households_exited: int = 0
    people_exited: int = 0
    villages_assessed: int = 0
    villages_passed: int = 0
    counties: list[CountyStatus] = field(default_factory=list)
    candidate_households: int = 0
    candidate_people: int = 0

    @property
    def people_projected(self) -> int:
        return self.people_exited + self.candidate_people

    @property
    def counties_passed(self) -> int:
        return sum(1 for c in self.counties if c.passed)

    @property
    def target_counties_passed(self) -> int:
        return sum(1 for c in self.counties if c.in_target and c.passed)

    @property
    def people_pct(self) -> int | None:
        return pct(self.people_exited, self.target and self.target.people)

    @property
    def people_projected_pct(self) -> int | None:
        return pct(self.people_projected, self.target and self.target.people)

    @property
    def villages_pct(self) -> int | None:
        return pct(self.villages_passed, self.target and self.target.villages)

    @property
    def counties_pct(self) -> int | None:
        n = len(self.target.counties) if self.target else 0
        return pct(self.target_counties_passed, n)


def _latest(model, run_kind: str, year: int, **filters):
    """Rows of `model` from the newest succeeded run of `run_kind` and `year` that holds a row for
    the same object (run ids grow with time, so the newest run has the highest id)."""
    from fupin.policy.models import AssessmentRun

    key = {"HouseholdResult": "household_id", "VillageResult": "village_id", "CountyResult": "county_id"}[
        model.__name__]
    base = model.objects.filter(run__kind=run_kind, run__year=year, run__status=AssessmentRun.Status.SUCCEEDED)
    newer = base.filter(**{key: OuterRef(key)}, run_id__gt=OuterRef("run_id"))
    return base.filter(**filters).filter(~Exists(newer))


def target_progress(*, user, area: str, year: int) -> TargetProgress:
    """Target and progress of a city or county in the user's areas for `year` (NotFound otherwise)."""
    from fupin.policy.models import AssessmentRun, CountyResult, HouseholdResult, VillageResult
    from fupin.registry.models import Household, Member

    a = access_target_area(user, area)
    lo, hi = code_range(a.code, a.level)
    day = dt.date(year, 12, 31)
    p = TargetProgress(a, year, day, Target.objects.filter(area=a, year=year).first())
    in_area = {"village_id__gte": lo, "village_id__lte": hi}
    exited = Household.objects.filter(kind=HouseholdKind.REGISTERED, status__in=EXITED, exit_year=year, **in_area)
    p.households_exited = exited.count()
    p.people_exited = Member.objects.filter(_present(day), household__in=exited).count()

    villages = _latest(VillageResult, AssessmentRun.Kind.VILLAGES, year, village_id__gte=lo, village_id__lte=hi)
    p.villages_assessed = villages.count()
    p.villages_passed = villages.filter(passed=True).count()

    target_counties = set(p.target.counties if p.target else ())
    results = {r.county_id: r for r in _latest(CountyResult, AssessmentRun.Kind.COUNTIES, year,
                                               county_id__gte=lo, county_id__lte=hi).select_related("county")}
    names = dict(Area.objects.filter(code__in=target_counties | set(results)).values_list("code", "name"))
    p.counties = [CountyStatus(c, names.get(c, c), c in target_counties,
                               results[c].passed if c in results else None,
                               results[c].reasons if c in results else "")
                  for c in sorted(target_counties | set(results))]

    passing = _latest(HouseholdResult, AssessmentRun.Kind.HOUSEHOLDS, year, passed=True).filter(
        household__kind=HouseholdKind.REGISTERED, household__status__in=NOT_EXITED,
        household__village_id__gte=lo, household__village_id__lte=hi)
    p.candidate_households = passing.count()
    p.candidate_people = Member.objects.filter(_present(day), household_id__in=Subquery(
        passing.values("household_id"))).count()
    return p
