"""Areas (own scope in full, ancestors by name only), jobs (own only), the audit trail
(auditor and admin only, masked), and keyset paging of the household list."""

import datetime as dt
import re

import pytest

from fupin.core import audit
from fupin.jobs.models import Job
from fupin.jobs.services import job_create
from tests.cast import COUNTY, TOWNSHIP, VILLAGE_A, VILLAGE_B
from tests.factories import make_household

pytestmark = pytest.mark.django_db


def codes(response):
    return [a["code"] for a in response.json()]


# ---------------------------------------------------------------- areas


def test_clerk_walks_down_the_ancestors_to_their_own_village_only(cast, api):
    c = api(cast["clerk_b"])
    assert codes(c.get("/api/areas/")) == ["430000000000"]
    assert codes(c.get("/api/areas/?parent=430000000000")) == ["431000000000"]
    assert codes(c.get("/api/areas/?parent=431000000000")) == [COUNTY]
    assert codes(c.get(f"/api/areas/?parent={COUNTY}")) == [TOWNSHIP]
    (village,) = c.get(f"/api/areas/?parent={TOWNSHIP}").json()
    assert village["code"] == VILLAGE_B and village["in_scope"] is True and village["parent"] == TOWNSHIP


def test_ancestors_show_only_code_name_and_level(cast, api):
    d = api(cast["clerk_b"]).get(f"/api/areas/{COUNTY}/").json()
    assert d == {"code": COUNTY, "name": "桂东县", "level": 3, "in_scope": False}


@pytest.mark.parametrize("code", [VILLAGE_A, "431022000000", "431022101201", "999999999999"])
def test_clerk_b_gets_404_for_areas_outside_scope_and_path(cast, api, code):
    c = api(cast["clerk_b"])
    for url in (f"/api/areas/{code}/", f"/api/areas/?parent={code}"):
        r = c.get(url)
        assert r.status_code == 404 and r.json()["code"] == "E_NOT_FOUND"


def test_township_officer_sees_every_village_of_the_township(cast, api):
    villages = api(cast["township_officer"]).get(f"/api/areas/?parent={TOWNSHIP}").json()
    assert {VILLAGE_A, VILLAGE_B} <= {v["code"] for v in villages}
    assert all(v["in_scope"] and v["level"] == 5 for v in villages)


# ---------------------------------------------------------------- jobs


def test_a_job_is_visible_to_its_owner_only(cast, api):
    job = job_create(actor=cast["clerk_a"], kind="import", params={})
    # job_progress defers writes inside a transaction (the test's); the worker's write is this update.
    Job.objects.filter(pk=job.pk).update(status="running", done=5, total=20, stage="校验")
    d = api(cast["clerk_a"]).get(f"/api/jobs/{job.pk}/").json()
    assert (d["status"], d["percent"], d["stage"]) == ("running", 25, "校验")
    for who in ("clerk_b", "township_officer", "auditor"):
        r = api(cast[who]).get(f"/api/jobs/{job.pk}/")
        assert r.status_code == 404 and r.json()["code"] == "E_NOT_FOUND"
    assert api(cast["clerk_a"]).get(f"/api/jobs/{job.pk + 1000}/").status_code == 404


# ---------------------------------------------------------------- audit


@pytest.mark.parametrize("who", ["clerk_a", "township_officer", "city_officer", "inspector", "helper"])
def test_audit_is_not_found_for_other_roles(cast, api, who):
    r = api(cast[who]).get("/api/audit/")
    assert r.status_code == 404 and r.json()["code"] == "E_NOT_FOUND"


def test_auditor_reads_the_trail_masked_and_filtered(cast, api, homes):
    c = api(cast["auditor"])
    r = c.get("/api/audit/?page_size=500")
    assert r.status_code == 200
    text = r.content.decode()
    assert not re.search(r"\d{17}[\dX]", text) and not re.search(r"(?<!\d)\d{11}(?!\d)", text)
    assert "6230901234567890123" not in text
    actions = {e["action"] for e in r.json()["results"]}
    assert {"household.create", "member.create", "income.set", "user.create"} <= actions
    r = c.get(f"/api/audit/?action=household.create&object_id={homes['A'].number}")
    (e,) = r.json()["results"]
    assert e["actor"] == "clerk_a" and e["after"]["phone"] == "138****1234"
    assert c.get("/api/audit/?object_type=member&actor=clerk_b").json()["results"][0]["object_id"] == homes["B"].number
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    assert c.get(f"/api/audit/?since={tomorrow}").json()["results"] == []
    assert len(c.get(f"/api/audit/?until={tomorrow}&action=household.create").json()["results"]) == 2
    r = c.get("/api/audit/?since=yesterday")
    assert r.status_code == 400 and r.json()["extra"]["parameter"] == "since"


def test_auditor_does_not_see_entries_of_other_cities(cast, api):
    audit.record(actor=cast["city_officer"], action="household.update", object_type="household", object_id="CS-1",
                 area_code="430102001001")  # 长沙, outside 郴州
    assert api(cast["auditor"]).get("/api/audit/?object_id=CS-1").json()["results"] == []


# ---------------------------------------------------------------- paging


def test_keyset_paging_walks_every_household_once_in_order_and_back(cast, api):
    for i in range(4):
        make_household(cast["clerk_a"], f"A{i:03d}", VILLAGE_A)
        make_household(cast["clerk_b"], f"B{i:03d}", VILLAGE_B)
    c = api(cast["township_officer"])
    seen, pages, url = [], [], "/api/households/?page_size=3"
    while url:
        d = c.get(url).json()
        pages.append(d)
        seen += [(r["village"], r["number"]) for r in d["results"]]
        url = d["next"]
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 8
    assert [len(p["results"]) for p in pages] == [3, 3, 2]
    assert pages[0]["previous"] is None
    back = c.get(pages[2]["previous"]).json()
    assert back["results"] == pages[1]["results"]
    assert c.get(back["previous"]).json()["results"] == pages[0]["results"]


def test_paging_keeps_filters_and_refuses_a_bad_cursor(cast, api, homes):
    c = api(cast["township_officer"])
    d = c.get(f"/api/households/?area={VILLAGE_B}&page_size=1").json()
    assert [r["village"] for r in d["results"]] == [VILLAGE_B] and d["next"] is None
    for bad in ("not-a-cursor", "WyJmIl0", "e30"):
        r = c.get(f"/api/households/?cursor={bad}")
        assert r.status_code == 400 and r.json()["code"] == "E_INVALID"
    r = c.get("/api/households/?year=twenty")
    assert r.status_code == 400 and r.json()["extra"]["parameter"] == "year"
