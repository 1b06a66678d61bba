"""Reading spot checks, scoped to the user's areas (architecture.md layer 2): a county outside
the user's areas does not exist for them (404), and so neither does its spot check."""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q

from fupin.accounts.access import access_area, scope_q
from fupin.accounts.models import Role
from fupin.areas.models import Area
from fupin.core.errors import NotFound
from fupin.policy.rules import SpotCheckFigures, rate
from fupin.spotchecks.models import SampledHousehold, SpotCheck, SurveyResponse

# domain.md 6.3: the county or city office draws the sample; a third-party team (the inspector
# role) records what it found. The administrator may do both.
DRAWERS = {Role.COUNTY, Role.CITY, Role.ADMIN}
RECORDERS = {Role.INSPECTOR, Role.ADMIN}
EXITED, ORDINARY = SampledHousehold.Part.EXITED, SampledHousehold.Part.ORDINARY


def can_draw(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (user.is_superuser or user.role in DRAWERS)


def can_record(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (user.is_superuser or user.role in RECORDERS)


def access_county(user, code: str) -> Area:
    """The county (level 3) if it lies inside the user's areas; NotFound otherwise."""
    return access_area(user, code, levels=(3,), what="县 / county")


def counties_in_scope(user):
    return Area.objects.filter(scope_q(user, "code"), level=3).order_by("code")


def access_spot_check(user, county: str, year: int) -> SpotCheck:
    access_county(user, county)
    spot = SpotCheck.objects.select_related("county", "drawn_by").filter(county_id=county, year=year).first()
    if spot is None:
        raise NotFound(f"{county} 尚未抽样 {year} / no spot check drawn for {county} {year}")
    return spot


def access_sampled(user, pk: int) -> SampledHousehold:
    s = SampledHousehold.objects.select_related("spot_check", "household", "township").filter(pk=pk).first()
    if s is None:
        raise NotFound()
    access_county(user, s.spot_check.county_id)
    return s


def spot_checks(user, year: int | None = None):
    qs = SpotCheck.objects.filter(scope_q(user, "county_id")).select_related("county", "drawn_by")
    return qs.filter(year=year) if year else qs


@dataclass(frozen=True)
class Figures:
    """The team's findings so far, and whether each part of the sample is fully verified."""

    found: SpotCheckFigures           # over the households with a recorded finding
    exited_total: int                 # households in the exited sample
    ordinary_total: int               # households in the ordinary sample

    @property
    def exited_complete(self) -> bool:
        return self.exited_total > 0 and self.found.exited_sampled == self.exited_total

    @property
    def ordinary_complete(self) -> bool:
        return self.ordinary_total > 0 and self.found.others_sampled == self.ordinary_total

    @property
    def wrongful_exit_rate(self):
        return rate(self.found.exited_wrong, self.found.exited_sampled)

    @property
    def missed_rate(self):
        return rate(self.found.others_poor, self.found.others_sampled)

    @property
    def approval_rate(self):
        return rate(self.found.satisfied, self.found.surveyed)

    def for_verdict(self) -> SpotCheckFigures:
        """What the county verdict reads (rules.county_exit_reasons): a part of the sample
        counts only once every household in it has a finding; an unfinished part is passed as
        nobody sampled, which the rule reports as NO_SPOT_CHECK."""
        f = self.found
        return SpotCheckFigures(
            exited_sampled=f.exited_sampled if self.exited_complete else 0,
            exited_wrong=f.exited_wrong if self.exited_complete else 0,
            others_sampled=f.others_sampled if self.ordinary_complete else 0,
            others_poor=f.others_poor if self.ordinary_complete else 0,
            surveyed=f.surveyed, satisfied=f.satisfied)


def figures_by_spot_check(spot_ids) -> dict[int, Figures]:
    """Figures of several spot checks with two grouped queries (not one per county)."""
    spot_ids = list(spot_ids)
    acc: dict[int, dict] = defaultdict(lambda: defaultdict(int))
    for r in (SampledHousehold.objects.filter(spot_check_id__in=spot_ids).values("spot_check_id", "part")
              .annotate(total=Count("id"), found=Count("id", filter=Q(finding__isnull=False)),
                        yes=Count("id", filter=Q(finding=True)), no=Count("id", filter=Q(finding=False)))):
        a = acc[r["spot_check_id"]]
        if r["part"] == EXITED:
            a["exited_total"], a["exited_sampled"], a["exited_wrong"] = r["total"], r["found"], r["no"]
        else:
            a["ordinary_total"], a["others_sampled"], a["others_poor"] = r["total"], r["found"], r["yes"]
    for r in (SurveyResponse.objects.filter(spot_check_id__in=spot_ids).values("spot_check_id")
              .annotate(n=Count("id"), yes=Count("id", filter=Q(satisfied=True)))):
        a = acc[r["spot_check_id"]]
        a["surveyed"], a["satisfied"] = r["n"], r["yes"]
    out = {}
    for sid in spot_ids:
        a = acc[sid]
        out[sid] = Figures(SpotCheckFigures(a["exited_sampled"], a["exited_wrong"], a["others_sampled"],
                                            a["others_poor"], a["surveyed"], a["satisfied"]),
                           a["exited_total"], a["ordinary_total"])
    return out


def figures(spot: SpotCheck) -> Figures:
    return figures_by_spot_check([spot.pk])[spot.pk]


def figures_for_counties(year: int, county_codes) -> dict[str, Figures]:
    """{county code: Figures} for the counties that have a spot check for `year`."""
    spots = dict(SpotCheck.objects.filter(year=year, county_id__in=list(county_codes)).values_list("pk", "county_id"))
    return {spots[sid]: f for sid, f in figures_by_spot_check(spots).items()}


def township_summary(spot: SpotCheck) -> list[dict]:
    """Per township: households drawn and verified in each part (the spot-check page's index)."""
    rows: dict[str, dict] = {}
    for r in (SampledHousehold.objects.filter(spot_check=spot).values("township_id", "township__name", "part")
              .annotate(n=Count("id"), done=Count("id", filter=Q(finding__isnull=False)))
              .order_by("township_id")):
        t = rows.setdefault(r["township_id"], {"code": r["township_id"], "name": r["township__name"],
                                               "exited": 0, "exited_done": 0, "ordinary": 0, "ordinary_done": 0})
        t[r["part"]], t[f"{r['part']}_done"] = r["n"], r["done"]
    return list(rows.values())


def sampled_in_township(spot: SpotCheck, township: str):
    return (SampledHousehold.objects.filter(spot_check=spot, township_id=township)
            .select_related("household", "recorded_by").order_by("part", "household__number"))


def survey_responses(spot: SpotCheck):
    return SurveyResponse.objects.filter(spot_check=spot).select_related("household").order_by("household__number")
