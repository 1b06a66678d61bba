"""Yearly targets (set by the city and county offices, audited) and progress towards them, from a
small hand-built registry and stored assessment runs; every number is counted by hand below."""

import datetime as dt
from decimal import Decimal

import pytest

from fupin.core.errors import NotFound, PermissionDenied, ValidationFailed
from fupin.core.models import AuditEntry
from fupin.policy.models import AssessmentRun, CountyResult, VillageResult
from fupin.policy.packs import builtin
from fupin.policy.services import assess_households
from fupin.registry.models import IncomeRecord
from fupin.targets.models import Target
from fupin.targets.selectors import target_progress
from fupin.targets.services import target_set
from tests.cast import CITY, COUNTY, OTHER_COUNTY_VILLAGE, TOWNSHIP, VILLAGE_A, VILLAGE_B
from tests.crosscheck.conftest import household, person

pytestmark = pytest.mark.django_db
HUNAN = builtin("hunan")
OTHER_COUNTY = "431022000000"


# --- setting targets ------------------------------------------------------------------------------

def test_city_sets_the_2017_chenzhou_targets_and_the_change_is_audited(cast):
    t = target_set(actor=cast["city_officer"], area="431000", year=2017, villages=276, people=100_000,
                   counties=["431027"])
    assert (t.area_id, t.villages, t.people, t.counties) == (CITY, 276, 100_000, [COUNTY])
    # a partial change keeps the other figures
    t = target_set(actor=cast["city_officer"], area=CITY, year=2017, people=101_000)
    assert (t.villages, t.people, t.counties) == (276, 101_000, [COUNTY])
    entries = list(AuditEntry.objects.filter(action="targets.set").order_by("id"))
    assert len(entries) == 2 and entries[1].before == {"people": 100_000} and entries[1].after == {"people": 101_000}
    assert entries[1].actor == cast["city_officer"] and entries[1].area_code == CITY
    # setting the same figures again writes nothing
    target_set(actor=cast["city_officer"], area=CITY, year=2017, people=101_000)
    assert AuditEntry.objects.filter(action="targets.set").count() == 2


def test_county_sets_its_own_county_only(cast):
    assert target_set(actor=cast["county_officer"], area=COUNTY, year=2017, people=30_000).people == 30_000
    with pytest.raises(NotFound):
        target_set(actor=cast["county_officer"], area=CITY, year=2017, people=1)
    with pytest.raises(NotFound):
        target_set(actor=cast["county_officer"], area=OTHER_COUNTY, year=2017, people=1)


@pytest.mark.parametrize("name", ["township_officer", "inspector", "auditor"])
def test_other_roles_may_not_set_targets(cast, name):
    area = TOWNSHIP if name == "township_officer" else COUNTY
    with pytest.raises(PermissionDenied):
        target_set(actor=cast[name], area=area, year=2017, people=1)
    assert not Target.objects.exists()


def test_clerks_outside_the_area_get_not_found(cast):
    with pytest.raises(NotFound):
        target_set(actor=cast["clerk_a"], area=COUNTY, year=2017, people=1)


@pytest.mark.parametrize(("kwargs", "field", "code"), [
    ({"area": TOWNSHIP, "people": 1}, "area", "E_INVALID"),
    ({"year": 2050, "people": 1}, "year", "E_NUMBER"),
    ({"people": -1}, "people", "E_NUMBER"),
    ({"villages": -5}, "villages", "E_NUMBER"),
    ({"counties": ["431022"]}, "counties", "E_UNKNOWN_AREA"),       # a county, but not of 桂东县's target area
    ({"counties": ["431027101000"]}, "counties", "E_UNKNOWN_AREA"),  # a township is no county
    ({}, "", "E_REQUIRED"),
])
def test_invalid_targets_are_refused_with_the_field_named(cast, kwargs, field, code):
    args = {"area": COUNTY, "year": 2017, **kwargs}
    actor = cast["city_officer"]
    with pytest.raises(ValidationFailed) as e:
        target_set(actor=actor, **args)
    assert [(x["field"], x["code"]) for x in e.value.errors] == [(field, code)]
    assert not Target.objects.exists()


def test_cli_sets_a_target(system_user, capsys):
    # call_command, not fupin.cli.main: the latter closes the database connection the test runs in
    from django.core.management import CommandError, call_command

    call_command("targets_set", "--area", "431000", "--year", "2017", "--villages", "276", "--people", "100000",
                 "--counties", "431027")
    t = Target.objects.get(area_id=CITY, year=2017)
    assert (t.villages, t.people, t.counties) == (276, 100_000, [COUNTY])
    assert "431000000000 2017" in capsys.readouterr().out
    with pytest.raises(CommandError) as e:
        call_command("targets_set", "--area", "431000", "--year", "2017", "--counties", "439999")
    assert e.value.returncode == 1 and "E_UNKNOWN_AREA" in capsys.readouterr().err
    assert Target.objects.get(area_id=CITY, year=2017).counties == [COUNTY]


# --- progress -------------------------------------------------------------------------------------

def _run(kind, year, area, actor, status=AssessmentRun.Status.SUCCEEDED):
    return AssessmentRun.objects.create(kind=kind, year=year, as_of=dt.date(year, 12, 31), area_id=area,
                                        pack_name="hunan", pack_version="1", pack_sha256="x", actor=actor,
                                        status=status)


def _village(run, code, passed):
    VillageResult.objects.create(run=run, village_id=code, poor_people=1, rural_population=100, passed=passed,
                                 incidence=Decimal("1.00"), reasons="" if passed else "INCIDENCE")


@pytest.fixture
def registry(system_user):
    """By hand (2017):
    exited in 2017 — E1 (3 people, A), E2 (3 people, one died 2017-06-01 → 2, B), E4 (监测对象, 2, A),
                      E5 (3, other county); not counted: E3 (exited 2016), R1 (返贫), O1 (an ordinary one);
    household runs — C1 (3 people, passes), C2 (fails), C3 (passed in the first run, fails in the
                      second), C4 (2 people, passes; in the other county), C5 (passed, exited since → an exit);
    village runs   — run 1: A passed, B failed; run 2: B passed; a failed run: A failed (ignored); other
                      county's village passed;
    county runs    — 431027 passed, 431022 failed.
    """
    day_died = dt.date(2017, 6, 1)
    household(VILLAGE_A, "E1", kind="建档立卡户", status="已脱贫", exit_year=2017)
    household(VILLAGE_B, "E2", kind="建档立卡户", status="已脱贫", exit_year=2017,
              members=[person(), person(), person("故", state="死亡", state_date=day_died)])
    household(VILLAGE_A, "E3", kind="建档立卡户", status="已脱贫", exit_year=2016)
    household(VILLAGE_A, "E4", kind="建档立卡户", status="监测对象", exit_year=2017, members=[person(), person()])
    household(OTHER_COUNTY_VILLAGE, "E5", kind="建档立卡户", status="已脱贫", exit_year=2017)
    household(VILLAGE_A, "R1", kind="建档立卡户", status="返贫", exit_year=2017)
    household(VILLAGE_A, "O1", kind="一般农户", exit_year=2017)
    household(VILLAGE_A, "C1", kind="建档立卡户", status="未脱贫", net="30000")
    household(VILLAGE_A, "C2", kind="建档立卡户", status="未脱贫", net="300")
    c3, _ = household(VILLAGE_B, "C3", kind="建档立卡户", status="未脱贫", net="30000")
    household(OTHER_COUNTY_VILLAGE, "C4", kind="建档立卡户", status="未脱贫", net="30000",
              members=[person(), person()])
    c5, _ = household(VILLAGE_B, "C5", kind="建档立卡户", status="未脱贫", net="30000")
    assess_households(actor=system_user, year=2017, pack=HUNAN, area=CITY)
    assess_households(actor=system_user, year=2016, pack=HUNAN, area=CITY)  # another year: ignored
    IncomeRecord.objects.filter(household=c3, year=2017).update(wage=Decimal(300))
    assess_households(actor=system_user, year=2017, pack=HUNAN, area=VILLAGE_B)
    c5.status, c5.exit_year = "已脱贫", 2017
    c5.save()
    r1 = _run(AssessmentRun.Kind.VILLAGES, 2017, CITY, system_user)
    _village(r1, VILLAGE_A, True)
    _village(r1, VILLAGE_B, False)
    _village(r1, OTHER_COUNTY_VILLAGE, True)
    r2 = _run(AssessmentRun.Kind.VILLAGES, 2017, TOWNSHIP, system_user)
    _village(r2, VILLAGE_B, True)
    _village(_run(AssessmentRun.Kind.VILLAGES, 2017, CITY, system_user, AssessmentRun.Status.FAILED), VILLAGE_A, False)
    rc = _run(AssessmentRun.Kind.COUNTIES, 2017, CITY, system_user)
    for code, passed in ((COUNTY, True), (OTHER_COUNTY, False)):
        CountyResult.objects.create(run=rc, county_id=code, poor_people=1, rural_population=100, passed=passed,
                                    reasons="" if passed else "INCIDENCE")


def test_city_progress_counts_by_hand(cast, registry):
    target_set(actor=cast["city_officer"], area=CITY, year=2017, villages=4, people=20, counties=["431027"])
    p = target_progress(user=cast["city_officer"], area=CITY, year=2017)
    assert p.households_exited == 5            # E1 E2 E4 E5 C5
    assert p.people_exited == 3 + 2 + 2 + 3 + 3
    assert (p.villages_assessed, p.villages_passed) == (3, 3)
    assert [(c.code, c.in_target, c.passed) for c in p.counties] == [(OTHER_COUNTY, False, False), (COUNTY, True, True)]
    assert (p.candidate_households, p.candidate_people) == (2, 3 + 2)   # C1, C4
    assert p.people_projected == 13 + 5
    assert (p.people_pct, p.people_projected_pct, p.villages_pct, p.counties_pct) == (65, 90, 75, 100)


def test_county_progress_sees_only_its_county(cast, registry):
    p = target_progress(user=cast["county_officer"], area="431027", year=2017)
    assert p.target is None and p.people_pct is None
    assert (p.households_exited, p.people_exited) == (4, 3 + 2 + 2 + 3)
    assert (p.villages_assessed, p.villages_passed) == (2, 2)
    assert [(c.code, c.passed) for c in p.counties] == [(COUNTY, True)]
    assert (p.candidate_households, p.candidate_people) == (1, 3)


def test_another_year_has_its_own_numbers(cast, registry):
    p = target_progress(user=cast["city_officer"], area=CITY, year=2016)
    assert (p.households_exited, p.people_exited, p.villages_passed, p.counties) == (1, 3, 0, [])
    # the 2016 run assessed the 2016 income records, which these households do not have
    assert p.candidate_households == 0


@pytest.mark.parametrize(("name", "area"), [("county_officer", CITY), ("township_officer", COUNTY),
                                            ("clerk_a", COUNTY), ("helper", COUNTY), ("county_officer", OTHER_COUNTY)])
def test_progress_outside_the_users_areas_is_not_found(cast, name, area):
    with pytest.raises(NotFound):
        target_progress(user=cast[name], area=area, year=2017)


def test_progress_of_a_non_target_level_area_is_not_found(cast):
    with pytest.raises(NotFound):
        target_progress(user=cast["city_officer"], area=VILLAGE_A, year=2017)
