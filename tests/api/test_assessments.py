"""The assessment API: a household's exit verdict with reasons and figures, runs and their
results, scoped like every other endpoint (404 outside the user's areas)."""

import pytest

from fupin.policy.packs import get_pack
from fupin.policy.services import assess_households
from tests.cast import COUNTY, VILLAGE_A, VILLAGE_B
from tests.conftest import login
from tests.factories import make_household

pytestmark = pytest.mark.django_db


@pytest.fixture
def homes(cast, system_user):
    ok = make_household(system_user, "A-1", VILLAGE_A, size=2)  # 2016: 4,500.00 per person
    poor = make_household(system_user, "A-2", VILLAGE_A, size=2, 工资性收入=3904, 生产经营性收入=1000,
                          转移性收入=1500, 生产经营性支出=500, 住房安全等级="C")  # 2,952.00 = the 2016 line
    b = make_household(system_user, "B-1", VILLAGE_B, size=2)
    return ok, poor, b


def test_exit_verdict_with_reasons_and_figures(client, cast, homes):
    login(client, cast["clerk_a"])
    body = client.get("/api/households/A-2/exit/?year=2016").json()
    assert body["passed"] is False
    assert body["reasons"] == ["INCOME", "HOUSING"]  # the order of domain.md 6.1's table
    assert (body["per_capita"], body["line"]) == ("2952.00", "2952.00")
    assert body["facts"]["present"] == 2 and body["facts"]["housing_grade"] == "C"
    assert body["facts"]["water_is_criterion"] is False
    assert body["pack"]["name"] == "hunan"
    ok = client.get("/api/households/A-1/exit/?year=2016").json()
    assert ok["passed"] is True and ok["reasons"] == []


def test_exit_verdict_errors(client, cast, homes):
    login(client, cast["clerk_a"])
    r = client.get("/api/households/A-1/exit/")
    assert r.status_code == 400 and r.json()["code"] == "E_INVALID"
    r = client.get("/api/households/A-1/exit/?year=2013")  # the pack has no 2013 line
    assert r.status_code == 400 and r.json()["code"] == "E_POLICY_YEAR"
    assert client.get("/api/households/B-1/exit/?year=2016").status_code == 404  # clerk A, village B


def test_runs_and_results_are_scoped(client, cast, homes):
    run = assess_households(actor=cast["county_officer"], year=2016, pack=get_pack(), area=COUNTY)
    login(client, cast["township_officer"])
    runs = client.get("/api/assessment-runs/").json()["results"]
    assert [r["id"] for r in runs] == [run.pk] and runs[0]["counts"]["households"] == 3
    assert runs[0]["counts_scope"] == "yours"  # a county run, counted over the township's households
    results = client.get(f"/api/assessment-runs/{run.pk}/results/").json()["results"]
    assert [(r["household"], r["passed"], r["reasons"]) for r in results] == [
        ("A-1", True, []), ("A-2", False, ["INCOME", "HOUSING"]), ("B-1", True, [])]
    failed = client.get(f"/api/assessment-runs/{run.pk}/results/?passed=false").json()["results"]
    assert [r["household"] for r in failed] == ["A-2"]
    client.logout()
    # A village clerk reads the county run only for their own village: results and counts alike.
    login(client, cast["clerk_b"])
    mine = client.get(f"/api/assessment-runs/{run.pk}/").json()
    assert mine["counts"] == {"households": 1, "passed": 1, "failed": 0, "by_reason": {}}
    results = client.get(f"/api/assessment-runs/{run.pk}/results/").json()["results"]
    assert [r["household"] for r in results] == ["B-1"]
    # A run over another county is not there at all.
    other = assess_households(actor=cast["city_officer"], year=2016, pack=get_pack(), area="431022000000")
    assert client.get(f"/api/assessment-runs/{other.pk}/").status_code == 404


def test_reason_filter_matches_whole_codes_only(client, cast, homes, system_user):
    # A-3 has no 2016 income record: NO_INCOME_DATA, which must not be listed under INCOME.
    h = make_household(system_user, "A-3", VILLAGE_A, size=2)
    h.incomes.all().delete()
    run = assess_households(actor=cast["county_officer"], year=2016, pack=get_pack(), area=COUNTY)
    login(client, cast["county_officer"])
    income = client.get(f"/api/assessment-runs/{run.pk}/results/?reason=INCOME").json()["results"]
    assert [r["household"] for r in income] == ["A-2"]
    missing = client.get(f"/api/assessment-runs/{run.pk}/results/?reason=NO_INCOME_DATA").json()["results"]
    assert [r["household"] for r in missing] == ["A-3"]


def test_a_user_without_areas_cannot_assess_everything_by_leaving_out_the_area(cast):
    from fupin.accounts.models import User
    from fupin.core.errors import NotFound

    nobody = User.objects.create(username="nobody", role="county")
    with pytest.raises(NotFound):
        assess_households(actor=nobody, year=2016, pack=get_pack())
