"""domain.md 6.4 new identification with the cross-check lists, at its edges: income equal to the
line qualifies; each list kind excludes; a business not in operation and a member no longer 在户
do not; one household and the bulk path agree; the bulk path stays in the user's areas."""

import csv
import datetime as dt

import pytest

from fupin.core.errors import ApplicationError, NotFound
from fupin.crosscheck.services import load_list
from fupin.policy.identification import identification_candidates, identification_check
from fupin.policy.packs import builtin
from tests.cast import OTHER_COUNTY_VILLAGE, VILLAGE_A, VILLAGE_B
from tests.crosscheck.conftest import household, list_csv, person

pytestmark = pytest.mark.django_db
HUNAN = builtin("hunan")  # line 2017: 3,026 yuan


def check(h, year=2017, day=None):
    return identification_check(h, year=year, pack=HUNAN, day=day)


@pytest.mark.parametrize(("net", "qualifies"), [
    ("9078.00", True),    # exactly 3,026.00 each: equal to the line qualifies (≤)
    ("9077.99", True),
    ("9078.01", False),   # 3,026.0033… each: above the line although it shows as 3,026.00
    ("0", True),
])
def test_income_at_or_below_the_line_qualifies(net, qualifies):
    h, _ = household(VILLAGE_A, "O-1", net=net)
    v = check(h)
    assert v.qualifies is qualifies
    assert v.reasons == (() if qualifies else ("INCOME",))
    assert v.line == 3026


@pytest.mark.parametrize(("kind", "columns"), [
    ("PUBLIC_SERVANT", {"单位": "桂东县财政局"}),
    ("VEHICLE", {"车牌号": "湘L12345"}),
    ("PROPERTY", {"房产地址": "郴州市北湖区人民路1号"}),
    ("BUSINESS", {"企业名称": "桂东县某某商贸有限公司", "状态": "在营"}),
])
def test_each_list_kind_excludes_and_names_the_member_and_the_row(system_user, tmp_path, kind, columns):
    on_list = person("王小二")
    h, _ = household(VILLAGE_A, "O-2", members=[person("王大"), on_list], net="100")
    load_list(actor=system_user, kind=kind, path=list_csv(tmp_path, [{"证件号码": on_list["id"], **columns}]))
    v = check(h)
    assert not v.qualifies and v.reasons == (f"EXCLUDED_{kind}",)
    [m] = v.matches
    assert (m.member_name, m.kind, m.row, m.columns, m.excludes) == ("王小二", kind, 2, columns, True)
    assert m.id_masked == on_list["id"][:6] + "*" * 8 + on_list["id"][-4:]


def test_several_kinds_are_all_reported_after_income(system_user, tmp_path):
    a, b = person("甲"), person("乙")
    h, _ = household(VILLAGE_A, "O-3", members=[a, b], net="99999")
    load_list(actor=system_user, kind="VEHICLE", path=list_csv(tmp_path, [{"证件号码": a["id"]}], name="v.csv"))
    load_list(actor=system_user, kind="PUBLIC_SERVANT", path=list_csv(tmp_path, [{"证件号码": b["id"]}], name="p.csv"))
    assert check(h).reasons == ("INCOME", "EXCLUDED_PUBLIC_SERVANT", "EXCLUDED_VEHICLE")


def test_a_business_not_in_operation_is_shown_but_does_not_exclude(system_user, tmp_path):
    owner = person("歇业户")
    h, _ = household(VILLAGE_A, "O-4", members=[owner], net="1000")
    load_list(actor=system_user, kind="BUSINESS", path=list_csv(tmp_path, [
        {"证件号码": owner["id"], "企业名称": "已注销的小店", "状态": "注销"}]))
    v = check(h)
    assert v.qualifies
    [m] = v.matches
    assert m.kind == "BUSINESS" and m.excludes is False and m.columns["状态"] == "注销"


def test_a_member_who_died_before_the_date_does_not_exclude_but_one_who_died_after_does(system_user, tmp_path):
    died = person("已故", state="死亡", state_date=dt.date(2017, 6, 1))
    h, _ = household(VILLAGE_A, "O-5", members=[person("在户者"), died], net="3000")
    load_list(actor=system_user, kind="PUBLIC_SERVANT", path=list_csv(tmp_path, [{"证件号码": died["id"]}]))
    v = check(h)
    assert v.qualifies and v.matches == ()
    # per-capita counts only the one member 在户: 3,000 ≤ 3,026
    assert v.per_capita == 3000
    # assessed as of a date before the death, the member was 在户 and excludes
    assert check(h, day=dt.date(2017, 5, 31)).reasons == ("EXCLUDED_PUBLIC_SERVANT",)


def test_without_an_income_record_for_the_year_it_cannot_qualify():
    h, _ = household(VILLAGE_A, "O-6", net="100", year=2016)
    assert check(h).reasons == ("NO_INCOME_DATA",)


def test_a_registered_household_is_not_checked_for_identification():
    h, _ = household(VILLAGE_A, "R-1", kind="建档立卡户", status="未脱贫")
    with pytest.raises(ApplicationError) as e:
        check(h)
    assert e.value.code == "E_INVALID"


def _street(tmp_path, system_user):
    """Five ordinary households in village A (one per case), one in B, one in another county, and a
    registered household in A that is never an identification candidate."""
    servant, dead, shopkeeper = person("公务员"), person("故人", state="死亡", state_date=dt.date(2017, 1, 1)), person(
        "店主")
    hs = {
        "A-ok": household(VILLAGE_A, "A-ok", net="9078")[0],
        "A-rich": household(VILLAGE_A, "A-rich", net="9078.01")[0],
        "A-servant": household(VILLAGE_A, "A-servant", members=[person(), servant], net="10")[0],
        "A-dead": household(VILLAGE_A, "A-dead", members=[person(), dead], net="10")[0],
        "A-closed": household(VILLAGE_A, "A-closed", members=[shopkeeper], net="10")[0],
        "A-noinc": household(VILLAGE_A, "A-noinc", net=None)[0],
        "B-ok": household(VILLAGE_B, "B-ok", net="100")[0],
        "X-ok": household(OTHER_COUNTY_VILLAGE, "X-ok", net="100")[0],
        "A-reg": household(VILLAGE_A, "A-reg", kind="建档立卡户", status="未脱贫", net="10")[0],
    }
    load_list(actor=system_user, kind="PUBLIC_SERVANT",
              path=list_csv(tmp_path, [{"证件号码": servant["id"]}, {"证件号码": dead["id"]}], name="p.csv"))
    load_list(actor=system_user, kind="BUSINESS",
              path=list_csv(tmp_path, [{"证件号码": shopkeeper["id"], "状态": "吊销"}], name="b.csv"))
    return hs


def test_bulk_and_single_household_agree(system_user, tmp_path):
    hs = _street(tmp_path, system_user)
    seen = {}
    res = identification_candidates(actor=system_user, year=2017, pack=HUNAN, area="431000000000",
                                    on_row=lambda r, reasons: seen.__setitem__(r.number, reasons))
    assert set(seen) == {n for n in hs if n != "A-reg"}
    for number, reasons in seen.items():
        assert reasons == check(hs[number]).reasons, number
    assert sorted(c.number for c in res.candidates) == ["A-closed", "A-dead", "A-ok", "B-ok", "X-ok"]
    assert res.households == 8 and res.by_reason == {"INCOME": 1, "EXCLUDED_PUBLIC_SERVANT": 1, "NO_INCOME_DATA": 1}
    assert res.people == 3 + 1 + 1 + 3 + 3


def test_bulk_stays_in_the_users_areas(cast, system_user, tmp_path):
    _street(tmp_path, system_user)
    mine = identification_candidates(actor=cast["clerk_b"], year=2017, pack=HUNAN)  # no area: the user's own
    assert [c.number for c in mine.candidates] == ["B-ok"] and mine.households == 1
    with pytest.raises(NotFound):
        identification_candidates(actor=cast["clerk_b"], year=2017, pack=HUNAN, area=VILLAGE_A)
    county = identification_candidates(actor=cast["county_officer"], year=2017, pack=HUNAN, area="431027000000")
    assert "X-ok" not in {c.number for c in county.candidates} and county.households == 7


def test_cli_writes_every_ordinary_household_with_its_verdict(system_user, tmp_path, capsys):
    from django.core.management import call_command

    _street(tmp_path, system_user)
    out = tmp_path / "id.csv"
    call_command("assess_identification", "--year", "2017", "--area", "431027000000", "--out", str(out))
    with open(out, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["户编号", "行政区划代码", "人均纯收入", "符合识别条件", "原因"]
    by_number = {r[0]: r for r in rows[1:]}
    assert by_number["A-ok"][2:] == ["3026.00", "是", ""]
    assert by_number["A-rich"][2:] == ["3026.00", "否", "INCOME"]
    assert by_number["A-servant"][3:] == ["否", "EXCLUDED_PUBLIC_SERVANT"]
    assert by_number["A-noinc"][2:] == ["", "否", "NO_INCOME_DATA"]
    assert set(by_number) == {"A-ok", "A-rich", "A-servant", "A-dead", "A-closed", "A-noinc", "B-ok"}
    assert "7 户一般农户" in capsys.readouterr().out
