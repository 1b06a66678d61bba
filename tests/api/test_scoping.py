"""security.md 1 through the API: out-of-scope objects are 404 (never 403) and nothing changes;
lists never leak; the township sees both villages; the auditor reads but writes nothing;
anonymous clients get 401 with the error shape."""

import pytest

from fupin.core.models import AuditEntry
from fupin.registry.models import Household, HouseholdEvent, IncomeRecord, Member
from tests.cast import VILLAGE_A, VILLAGE_B
from tests.factories import family, member_row, new_id

pytestmark = pytest.mark.django_db


def state():
    """Everything a write could touch, to compare before and after a refused request."""
    return (
        list(Household.objects.order_by("pk").values()),
        list(Member.objects.order_by("pk").values()),
        list(IncomeRecord.objects.order_by("pk").values()),
        AuditEntry.objects.count(),
        HouseholdEvent.objects.count(),
    )


def requests_against(h):
    """(method, url, body) for every household endpoint, aimed at household `h`."""
    n = h.number
    member = h.members.order_by("pk").first()
    hh, _ = family(n, h.village_id)
    hh["户主证件号码"] = member.id_number
    return [
        ("get", f"/api/households/{n}/", None),
        ("put", f"/api/households/{n}/", {**hh, "住房安全等级": "D", "version": h.version}),
        ("patch", f"/api/households/{n}/", {"住房安全等级": "D", "version": h.version}),
        ("post", f"/api/households/{n}/members/", member_row(n, "外人", new_id(), "其他")),
        ("put", f"/api/households/{n}/members/{member.pk}/", member_row(n, "改名", member.id_number, "户主")),
        ("patch", f"/api/households/{n}/members/{member.pk}/", {"姓名": "改名"}),
        ("post", f"/api/households/{n}/unmask/", {"reason": "核对身份"}),
    ]


def call(client, method, url, body):
    return getattr(client, method)(url, body, format="json") if body is not None else getattr(client, method)(url)


def test_clerk_b_gets_404_for_every_endpoint_of_village_a_and_nothing_changes(cast, api, homes):
    c = api(cast["clerk_b"])
    before = state()
    for method, url, body in requests_against(homes["A"]):
        r = call(c, method, url, body)
        assert r.status_code == 404, (method, url, r.status_code)
        assert r.json()["code"] == "E_NOT_FOUND"
        assert "张三" not in r.content.decode()
    assert state() == before
    assert not AuditEntry.objects.filter(action="pii.unmask").exists()


def test_the_same_requests_succeed_for_clerk_a(cast, api, homes):
    """Control: the requests above are valid, so clerk B's 404s come from the scope alone."""
    c = api(cast["clerk_a"])
    for i in range(len(requests_against(homes["A"]))):
        h = Household.objects.get(pk=homes["A"].pk)  # fresh version for each write
        method, url, body = requests_against(h)[i]
        r = call(c, method, url, body)
        assert r.status_code in (200, 201), (method, url, r.content)
    assert AuditEntry.objects.filter(action="pii.unmask", actor=cast["clerk_a"]).count() == 1


def test_clerk_b_cannot_create_in_village_a(cast, api):
    hh, members = family("X-A-1", VILLAGE_A)
    r = api(cast["clerk_b"]).post("/api/households/", {"household": hh, "members": members}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "E_UNKNOWN_AREA"
    assert not Household.objects.filter(number="X-A-1").exists()


def test_same_404_for_a_household_that_does_not_exist(cast, api, homes):
    """The 404 for village A's household is indistinguishable from a number nobody has."""
    c = api(cast["clerk_b"])
    hidden = c.get(f"/api/households/{homes['A'].number}/")
    missing = c.get("/api/households/NO-SUCH-NUMBER/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


@pytest.mark.parametrize("params", ["", "?area=431027101200", "?area=431027101000", "?q=张三", "?q=zs",
                                    "?status=未脱贫", "?kind=建档立卡户", "?year=2014", "?cause=因病"])
def test_clerk_b_lists_never_contain_village_a(cast, api, homes, params):
    head_a = homes["A"].members.get(relation="户主").id_number
    c = api(cast["clerk_b"])
    for p in [params, f"?q={head_a}"]:
        r = c.get(f"/api/households/{p}")
        assert r.status_code == 200
        villages = {row["village"] for row in r.json()["results"]}
        assert VILLAGE_A not in villages
        assert homes["A"].number not in r.content.decode()


def test_township_officer_sees_both_villages(cast, api, homes):
    c = api(cast["township_officer"])
    numbers = {row["number"] for row in c.get("/api/households/").json()["results"]}
    assert numbers == {homes["A"].number, homes["B"].number}
    for h in homes.values():
        assert c.get(f"/api/households/{h.number}/").status_code == 200


def test_officer_of_another_county_sees_nothing(cast, api, homes, django_user_model):
    from fupin.accounts.services import user_create
    from tests.cast import OTHER_COUNTY_VILLAGE

    other = user_create(actor=None, username="yizhang_clerk", role="village", area_codes=[OTHER_COUNTY_VILLAGE],
                        password="x", validate=False)
    c = api(other)
    assert c.get("/api/households/").json()["results"] == []
    assert c.get(f"/api/households/{homes['B'].number}/").status_code == 404


def test_auditor_reads_but_every_write_is_refused_and_changes_nothing(cast, api, homes):
    c = api(cast["auditor"])
    assert c.get(f"/api/households/{homes['A'].number}/").status_code == 200
    assert {row["number"] for row in c.get("/api/households/").json()["results"]} == {
        homes["A"].number, homes["B"].number}
    before = state()
    for method, url, body in requests_against(homes["A"])[1:]:
        r = call(c, method, url, body)
        assert r.status_code in (403, 404), (method, url, r.status_code)
        assert r.json()["code"] in ("E_PERMISSION", "E_NOT_FOUND")
    hh, members = family("AUD-1", VILLAGE_B)
    r = c.post("/api/households/", {"household": hh, "members": members}, format="json")
    assert r.status_code == 403 and r.json()["code"] == "E_PERMISSION"
    assert state() == before


def test_helper_without_pairings_sees_no_household(cast, api, homes):
    c = api(cast["helper"])
    assert c.get("/api/households/").json()["results"] == []
    for method, url, body in requests_against(homes["A"]):
        assert call(c, method, url, body).status_code == 404


ENDPOINTS = [("get", "/api/households/"), ("post", "/api/households/"), ("get", "/api/households/H/"),
             ("put", "/api/households/H/"), ("patch", "/api/households/H/"), ("post", "/api/households/H/members/"),
             ("put", "/api/households/H/members/1/"), ("post", "/api/households/H/unmask/"),
             ("get", "/api/areas/"), ("get", "/api/areas/431000000000/"), ("get", "/api/jobs/1/"),
             ("get", "/api/audit/")]


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_anonymous_gets_401_with_the_error_shape(api, db, method, url):
    r = getattr(api(), method)(url, {}, format="json") if method != "get" else api().get(url)
    assert r.status_code == 401
    body = r.json()
    assert body["code"] == "E_AUTH" and body["message"] and "extra" in body


def test_writes_need_the_csrf_token_of_the_session(cast, homes):
    """A forged cross-site request carrying only the session cookie is refused."""
    from rest_framework.test import APIClient

    c = APIClient(enforce_csrf_checks=True)
    c.force_login(cast["clerk_a"])
    r = c.patch(f"/api/households/{homes['A'].number}/", {"住房安全等级": "D", "version": 1}, format="json")
    assert r.status_code == 403 and r.json()["code"] == "E_PERMISSION"
    homes["A"].refresh_from_db()
    assert homes["A"].housing_grade == "B"
