"""security.md 12 through the API: hypothesis-made values in every writable field never give a
server error, and a refused request writes nothing (all or nothing)."""

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fupin.registry.models import Household
from fupin.registry.validation import HOUSEHOLD_HEADERS, MEMBER_HEADERS
from tests.api.test_scoping import state
from tests.cast import VILLAGE_A
from tests.factories import family, member_row, new_id

pytestmark = pytest.mark.django_db

NASTY = ["'; DROP TABLE registry_household; --", "<script>alert(1)</script>", "=cmd|' /C calc'!A0", "\x00",
         "１２３４", "9" * 300, "-1", "1e309", "NaN", "2016-02-30", " ", "\u3000是\u3000", "X" * 61, "431027",
         "是", "否", "户主", "在户", "死亡", "1,000.005", "0x10", "\ud7ff", "Ｘ", "\t\n"]
VALUES = st.one_of(
    st.text(max_size=80), st.sampled_from(NASTY), st.integers(min_value=-10**30, max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False), st.booleans(), st.none(),
    st.lists(st.text(max_size=5), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
_n = itertools.count(1)


def fuzzed(row: dict, headers, changes: dict) -> dict:
    out = dict(row)
    for i, value in changes.items():
        out[headers[i % len(headers)]] = value
    return out


def changes_for(headers):
    return st.dictionaries(st.integers(0, len(headers) - 1), VALUES, min_size=1, max_size=4)


def check(response, before):
    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"code", "message", "extra"} and body["code"].startswith("E_")
        assert state() == before, "a refused request changed the registry"


@FUZZ
@given(hh_changes=changes_for(HOUSEHOLD_HEADERS), member_changes=changes_for(MEMBER_HEADERS))
def test_create_with_fuzzed_rows(cast, api, hh_changes, member_changes):
    number = f"FZ{next(_n):05d}"
    hh, members = family(number, VILLAGE_A)
    body = {"household": fuzzed(hh, HOUSEHOLD_HEADERS, hh_changes),
            "members": [fuzzed(members[0], MEMBER_HEADERS, member_changes), *members[1:]]}
    before = state()
    check(api(cast["clerk_a"]).post("/api/households/", body, format="json"), before)


@FUZZ
@given(changes=changes_for(HOUSEHOLD_HEADERS), use_put=st.booleans())
def test_update_with_fuzzed_columns(cast, api, homes, changes, use_put):
    h = Household.objects.get(pk=homes["A"].pk)
    if use_put:
        hh, _ = family(h.number, VILLAGE_A)
        hh["户主证件号码"] = h.members.get(relation="户主").id_number
        body = {**fuzzed(hh, HOUSEHOLD_HEADERS, changes), "version": h.version}
    else:
        body = {**fuzzed({}, HOUSEHOLD_HEADERS, changes), "version": h.version}
    before = state()
    c = api(cast["clerk_a"])
    check((c.put if use_put else c.patch)(f"/api/households/{h.number}/", body, format="json"), before)


@FUZZ
@given(changes=changes_for(MEMBER_HEADERS), new=st.booleans())
def test_member_writes_with_fuzzed_columns(cast, api, homes, changes, new):
    h = homes["A"]
    c = api(cast["clerk_a"])
    before = state()
    if new:
        body = fuzzed(member_row(h.number, "新成员", new_id(), "其他"), MEMBER_HEADERS, changes)
        r = c.post(f"/api/households/{h.number}/members/", body, format="json")
    else:
        member = h.members.get(relation="之子")
        r = c.patch(f"/api/households/{h.number}/members/{member.pk}/", fuzzed({}, MEMBER_HEADERS, changes),
                    format="json")
    check(r, before)


@FUZZ
@given(body=st.one_of(VALUES, st.dictionaries(st.sampled_from(["reason", "version", "household", "members"]),
                                               VALUES, max_size=3)))
def test_any_json_body_on_any_write_endpoint(cast, api, homes, body):
    h = homes["A"]
    member = h.members.first()
    c = api(cast["clerk_a"])
    for method, url in [("post", "/api/households/"), ("put", f"/api/households/{h.number}/"),
                        ("patch", f"/api/households/{h.number}/"), ("post", f"/api/households/{h.number}/members/"),
                        ("put", f"/api/households/{h.number}/members/{member.pk}/"),
                        ("post", f"/api/households/{h.number}/unmask/")]:
        before = state()
        check(getattr(c, method)(url, body, format="json"), before)


@FUZZ
@given(params=st.dictionaries(st.sampled_from(["area", "attribute", "cause", "status", "kind", "year", "q", "cursor",
                                               "page_size", "parent", "since", "until", "action", "actor"]),
                              st.one_of(st.text(max_size=40), st.just("a\x00")), max_size=4))
def test_any_query_parameters_on_the_lists(cast, api, params):
    for who, url in [("clerk_a", "/api/households/"), ("clerk_a", "/api/areas/"), ("auditor", "/api/audit/")]:
        r = api(cast[who]).get(url, params)
        assert r.status_code < 500
        assert r.status_code in (200, 400, 404), r.content


@pytest.mark.parametrize("value", ["一组\x00", "<script>alert(1)</script>", "'); DELETE FROM registry_member; --",
                                   "=HYPERLINK(\"http://x\")", "\u202e组一"])
def test_hostile_text_in_a_free_text_column_is_stored_safely_or_refused(cast, api, homes, value):
    """NUL cannot be stored by PostgreSQL: it must be a 400, never a 500."""
    h = homes["A"]
    before = state()
    r = api(cast["clerk_a"]).patch(f"/api/households/{h.number}/", {"村民小组": value, "version": 1}, format="json")
    check(r, before)
    if r.status_code == 200:
        h.refresh_from_db()
        assert h.group == value


def test_nul_in_a_reason_or_a_search_is_400(cast, api, homes):
    c = api(cast["clerk_a"])
    r = c.post(f"/api/households/{homes['A'].number}/unmask/", {"reason": "核对\x00"}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "E_INVALID"
    assert c.get("/api/households/", {"q": "张\x00"}).status_code == 400
