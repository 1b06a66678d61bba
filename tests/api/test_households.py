"""Households through the API: read, create, update, members, validation codes, conflicts."""

import datetime as dt
from decimal import Decimal

import pytest

from fupin.core.models import AuditEntry
from fupin.registry.models import Household, Member
from tests.cast import VILLAGE_A
from tests.factories import family, member_row, new_id

pytestmark = pytest.mark.django_db


def test_detail_has_members_incomes_conditions_and_causes(cast, api, homes):
    r = api(cast["clerk_a"]).get("/api/households/4310271012000001/")
    assert r.status_code == 200, r.content
    d = r.json()
    assert d["head_name"] == "张三" and d["village"] == VILLAGE_A and d["version"] == 1
    assert d["causes"] == {"main": "因病", "others": ["缺技术"]}
    assert d["living_conditions"]["housing_grade"] == "B" and d["living_conditions"]["safe_water"] is True
    assert [m["relation"] for m in d["members"]] == ["户主", "配偶", "之子"]
    (inc,) = d["incomes"]
    # 6000 + 2000 + 0 + 1500 - 500 = 9000, three members 在户 on 2016-12-31
    assert inc["year"] == 2016 and inc["net"] == "9000.00" and inc["present_members"] == 3
    assert inc["per_capita_net"] == "3000.00"


def test_per_capita_counts_members_present_on_31_december_and_is_null_without_any(cast, api, homes):
    h = homes["A"]
    spouse = h.members.get(relation="配偶")
    Member.objects.filter(pk=spouse.pk).update(state="迁出", state_date=dt.date(2016, 6, 1))
    inc = api(cast["clerk_a"]).get(f"/api/households/{h.number}/").json()["incomes"][0]
    assert inc["present_members"] == 2 and inc["per_capita_net"] == "4500.00"
    Member.objects.filter(household=h).update(state="死亡", state_date=dt.date(2016, 12, 31))
    inc = api(cast["clerk_a"]).get(f"/api/households/{h.number}/").json()["incomes"][0]
    assert inc["present_members"] == 0 and inc["per_capita_net"] is None and inc["net"] == "9000.00"


def test_create_returns_201_and_writes_through_the_service(cast, api):
    hh, members = family("NEW1", VILLAGE_A, head_name="王五")
    r = api(cast["clerk_a"]).post("/api/households/", {"household": hh, "members": members}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["number"] == "NEW1" and len(r.json()["members"]) == 3
    h = Household.objects.get(number="NEW1")
    assert h.members.count() == 3
    assert AuditEntry.objects.filter(action="household.create", object_id="NEW1", actor=cast["clerk_a"]).count() == 1


@pytest.mark.parametrize(("column", "value", "code"), [
    ("证件号码", "wrong-check", "E_ID_CHECKSUM"),
    ("性别", "flip", "E_SEX_MISMATCH"),
    ("证件号码", "43102719680309", "E_ID_FORMAT"),
    ("出生日期", "1968-03-10", "E_BIRTHDATE_MISMATCH"),
    ("与户主关系", "表哥", "E_ENUM"),
])
def test_member_errors_come_back_with_exchange_format_codes(cast, api, column, value, code):
    hh, members = family("BAD1", VILLAGE_A)
    if value == "wrong-check":
        good = members[1]["证件号码"]
        value = good[:17] + ("0" if good[17] != "0" else "1")
    if value == "flip":
        value = {"男": "女", "女": "男"}[members[1]["性别"]]
    members[1][column] = value
    r = api(cast["clerk_a"]).post("/api/households/", {"household": hh, "members": members}, format="json")
    assert r.status_code == 400, r.content
    body = r.json()
    assert body["code"] == "E_INVALID" and body["message"]
    errors = body["extra"]["errors"]
    assert {"sheet": "人", "row": 2, "column": column, "code": code} == {
        k: errors[0][k] for k in ("sheet", "row", "column", "code")}
    assert not Household.objects.filter(number="BAD1").exists()


def test_household_errors_are_all_reported_at_once(cast, api):
    hh, members = family("BAD2", VILLAGE_A, 住房安全等级="E", 工资性收入="-5", 行政区划代码="431027101299")
    r = api(cast["clerk_a"]).post("/api/households/", {"household": hh, "members": members}, format="json")
    assert r.status_code == 400
    got = {(e["column"], e["code"]) for e in r.json()["extra"]["errors"]}
    assert got == {("住房安全等级", "E_ENUM"), ("工资性收入", "E_NUMBER"), ("行政区划代码", "E_UNKNOWN_AREA")}


def test_bad_body_shapes_are_400_not_500(cast, api):
    c = api(cast["clerk_a"])
    for body in ([], {"household": "x", "members": []}, {"household": {}, "members": {}},
                 {"household": {}, "members": [1]}, {"members": []}):
        r = c.post("/api/households/", body, format="json")
        assert r.status_code == 400 and r.json()["code"] == "E_INVALID", body
    r = c.post("/api/households/", "{not json", content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "E_INVALID"


def test_put_updates_with_version_and_stale_version_is_409(cast, api, homes):
    h = homes["A"]
    head_id = h.members.get(relation="户主").id_number
    hh, _ = family(h.number, VILLAGE_A)
    hh.update({"户主证件号码": head_id, "住房安全等级": "C"})
    c = api(cast["clerk_a"])
    r = c.put(f"/api/households/{h.number}/", {**hh, "version": 1}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["living_conditions"]["housing_grade"] == "C" and r.json()["version"] == 2
    hh["住房安全等级"] = "D"
    r = c.put(f"/api/households/{h.number}/", {**hh, "version": 1}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "E_CONFLICT"
    h.refresh_from_db()
    assert h.housing_grade == "C" and h.version == 2


def test_put_without_version_is_refused(cast, api, homes):
    hh, _ = family(homes["A"].number, VILLAGE_A)
    r = api(cast["clerk_a"]).put(f"/api/households/{homes['A'].number}/", hh, format="json")
    assert r.status_code == 400 and r.json()["extra"]["field"] == "version"


def test_patch_changes_only_the_columns_sent(cast, api, homes):
    h = homes["A"]
    c = api(cast["clerk_a"])
    r = c.patch(f"/api/households/{h.number}/", {"饮水安全": "否", "工资性收入": "7,000", "version": 1}, format="json")
    assert r.status_code == 200, r.content
    d = r.json()
    assert d["living_conditions"]["safe_water"] is False and d["incomes"][0]["wage"] == "7000.00"
    assert d["living_conditions"]["housing_grade"] == "B" and d["causes"]["others"] == ["缺技术"]
    h.refresh_from_db()
    assert h.bank_account == "6230901234567890123" and h.phone == "13807351234"
    e = AuditEntry.objects.get(action="household.update", object_id=h.number)
    assert e.before == {"safe_water": True} and e.after == {"safe_water": False}


def test_patch_a_new_income_year_needs_its_income_columns(cast, api, homes):
    h = homes["A"]
    c = api(cast["clerk_a"])
    r = c.patch(f"/api/households/{h.number}/", {"收入年度": 2017, "version": 1}, format="json")
    assert r.status_code == 400
    assert {e["column"] for e in r.json()["extra"]["errors"]} >= {"工资性收入", "转移性收入"}
    income = {"收入年度": 2017, "工资性收入": 8000, "生产经营性收入": 0, "财产性收入": 0, "转移性收入": 100,
              "生产经营性支出": 0, "version": 1}
    r = c.patch(f"/api/households/{h.number}/", income, format="json")
    assert r.status_code == 200, r.content
    assert [i["year"] for i in r.json()["incomes"]] == [2017, 2016]
    assert h.incomes.get(year=2017).net == Decimal("8100")


def test_head_mismatch_on_put_is_reported(cast, api, homes):
    hh, _ = family(homes["A"].number, VILLAGE_A)  # a fresh, different head ID
    r = api(cast["clerk_a"]).put(f"/api/households/{homes['A'].number}/", {**hh, "version": 1}, format="json")
    assert r.status_code == 400
    assert [e["code"] for e in r.json()["extra"]["errors"]] == ["E_HEAD_MISMATCH"]


def test_add_and_change_member(cast, api, homes):
    h = homes["A"]
    c = api(cast["clerk_a"])
    idn = new_id(dt.date(2012, 4, 4), "女")
    r = c.post(f"/api/households/{h.number}/members/", member_row("", "张小妹", idn, "之女", 文化程度="小学",
                                                                  在校生状况="小学"), format="json")
    assert r.status_code == 201, r.content
    mid = r.json()["id"]
    assert r.json()["id_number"] == idn[:6] + "********" + idn[-4:]
    r = c.patch(f"/api/households/{h.number}/members/{mid}/", {"健康状况": "残疾"}, format="json")
    assert r.status_code == 200, r.content
    assert Member.objects.get(pk=mid).health == "残疾"
    r = c.put(f"/api/households/{h.number}/members/{mid}/", member_row(h.number, "张小妹", idn, "之女",
                                                                      性别="男"), format="json")
    assert r.status_code == 400 and r.json()["extra"]["errors"][0]["code"] == "E_SEX_MISMATCH"
    assert Member.objects.get(pk=mid).sex == "女"


def test_member_of_another_household_is_404_through_this_household(cast, api, homes):
    other = api(cast["township_officer"])
    b_member = homes["B"].members.first()
    r = other.patch(f"/api/households/{homes['A'].number}/members/{b_member.pk}/", {"健康状况": "残疾"}, format="json")
    assert r.status_code == 404 and r.json()["code"] == "E_NOT_FOUND"
    assert Member.objects.get(pk=b_member.pk).health == "健康"


def test_second_person_already_registered_names_the_household(cast, api, homes):
    head_id = homes["A"].members.get(relation="户主").id_number
    r = api(cast["clerk_a"]).post(f"/api/households/{homes['A'].number}/members/",
                                  member_row("", "重复", head_id, "其他"), format="json")
    assert r.status_code == 400
    assert r.json()["extra"]["errors"][0]["code"] in {"E_DUP_ID_IN_FILE", "E_DUP_ID_IN_REGISTRY"}
