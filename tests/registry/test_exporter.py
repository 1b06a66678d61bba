"""Registry export: masking, formula injection, area scope, permission + reason + audit, and the
round trip full export -> import into an empty registry -> full export (exchange-format.md, Export)."""

import hashlib
import re

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from fupin.core.errors import ApplicationError
from fupin.core.models import AuditEntry
from fupin.registry.exporter import export_registry
from fupin.registry.importer import import_registry
from fupin.registry.models import Household, HouseholdEvent, IncomeRecord, Member
from fupin.registry.validation import HOUSEHOLD_HEADERS, MEMBER_HEADERS
from tests.cast import VILLAGE_A, VILLAGE_B
from tests.factories import make_household

pytestmark = pytest.mark.django_db

FULL_ID = re.compile(r"\d{17}[\dX]")
PHONE = re.compile(r"1\d{10}")
ACCOUNT = re.compile(r"\d{10,}")


def sheet_values(path):
    wb = CalamineWorkbook.from_path(str(path))
    return {name: wb.get_sheet_by_name(name).to_python() for name in ("户", "人")}


def all_text(path) -> str:
    return "\n".join(str(c) for rows in sheet_values(path).values() for row in rows for c in row)


@pytest.fixture
def two_villages(cast):
    a = [make_household(cast["clerk_a"], f"A{i}", VILLAGE_A, head_name="张三", size=3) for i in range(3)]
    b = [make_household(cast["clerk_b"], f"B{i}", VILLAGE_B, head_name="李四", size=2) for i in range(2)]
    return a, b


def test_masked_export_has_headers_and_no_full_id_phone_or_account(cast, two_villages, tmp_path):
    r = export_registry(actor=cast["township_officer"], out=tmp_path / "m.xlsx")
    assert (r.rows_households, r.rows_members) == (5, 13)
    values = sheet_values(tmp_path / "m.xlsx")
    assert values["户"][0] == HOUSEHOLD_HEADERS and values["人"][0] == MEMBER_HEADERS
    text = all_text(tmp_path / "m.xlsx")
    assert not FULL_ID.search(text) and not PHONE.search(text)
    account = HOUSEHOLD_HEADERS.index("银行账号")
    accounts = [row[account] for row in values["户"][1:]]
    assert all(a.endswith("0123") and not ACCOUNT.search(a) for a in accounts)
    assert re.search(r"431027\*{8}\d{3}[\dX]", text)  # masked IDs are there, in the masked form
    e = AuditEntry.objects.get(action="registry.export")
    assert e.actor == cast["township_officer"] and e.after["rows"] == 18
    assert e.after["sha256"] == hashlib.sha256((tmp_path / "m.xlsx").read_bytes()).hexdigest() == r.sha256


def test_clerk_b_export_does_not_contain_village_a(cast, two_villages, tmp_path):
    export_registry(actor=cast["clerk_b"], out=tmp_path / "b.xlsx", full_ids=True, reason="核对")
    values = sheet_values(tmp_path / "b.xlsx")
    assert sorted(row[0] for row in values["户"][1:]) == ["B0", "B1"]
    assert {row[0] for row in values["人"][1:]} == {"B0", "B1"}
    assert VILLAGE_A not in all_text(tmp_path / "b.xlsx")


def test_area_filter_narrows_within_scope(cast, two_villages, tmp_path):
    r = export_registry(actor=cast["county_officer"], out=tmp_path / "a.xlsx", area=VILLAGE_A)
    assert r.rows_households == 3
    r = export_registry(actor=cast["clerk_a"], out=tmp_path / "x.xlsx", area=VILLAGE_B)
    assert (r.rows_households, r.rows_members) == (0, 0)


@pytest.mark.parametrize("who", ["auditor", "inspector", "helper"])
def test_full_export_without_permission_is_refused(cast, two_villages, tmp_path, who):
    with pytest.raises(ApplicationError) as exc:
        export_registry(actor=cast[who], out=tmp_path / "f.xlsx", full_ids=True, reason="核查")
    assert exc.value.code == "E_PERMISSION"
    assert not (tmp_path / "f.xlsx").exists()
    assert not AuditEntry.objects.filter(action="registry.export_full").exists()


def test_full_export_without_reason_is_refused(cast, two_villages, tmp_path):
    with pytest.raises(ApplicationError) as exc:
        export_registry(actor=cast["county_officer"], out=tmp_path / "f.xlsx", full_ids=True, reason="  ")
    assert exc.value.code == "E_REASON_REQUIRED"
    assert not (tmp_path / "f.xlsx").exists()


def test_full_export_is_audited_once_with_reason_rows_and_hash(cast, two_villages, tmp_path):
    r = export_registry(actor=cast["county_officer"], out=tmp_path / "f.xlsx", full_ids=True, reason="年度动态调整核对")
    text = all_text(tmp_path / "f.xlsx")
    assert FULL_ID.search(text) and PHONE.search(text)
    e = AuditEntry.objects.get(action="registry.export_full")
    assert e.reason == "年度动态调整核对" and e.actor == cast["county_officer"]
    assert e.after["rows_households"] == 5 and e.after["rows_members"] == 13
    assert e.after["sha256"] == hashlib.sha256((tmp_path / "f.xlsx").read_bytes()).hexdigest() == r.sha256


def test_formula_like_cells_are_written_as_text(cast, tmp_path):
    h = make_household(cast["clerk_a"], "F1", VILLAGE_A, size=1)
    Household.objects.filter(pk=h.pk).update(group='=cmd|" /C calc"!A0', bank_name="+1+1", head_name="@SUM(A1)")
    Member.objects.filter(household=h).update(ethnicity="-2+3")
    export_registry(actor=cast["clerk_a"], out=tmp_path / "f.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "f.xlsx")
    row = {wb["户"].cell(1, c).value: wb["户"].cell(2, c) for c in range(1, wb["户"].max_column + 1)}
    for header, value in (("村民小组", '=cmd|" /C calc"!A0'), ("开户银行", "+1+1"), ("户主姓名", "@SUM(A1)")):
        assert row[header].value == value and row[header].data_type == "s"
    m = {wb["人"].cell(1, c).value: wb["人"].cell(2, c) for c in range(1, wb["人"].max_column + 1)}
    assert m["民族"].value == "-2+3" and m["民族"].data_type == "s"
    # and no formula at all anywhere in the raw sheet XML
    import zipfile

    with zipfile.ZipFile(tmp_path / "f.xlsx") as z:
        assert not any(b"<f>" in z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))


def test_year_picks_the_income_record_and_default_is_latest(cast, tmp_path):
    h = make_household(cast["clerk_a"], "Y1", VILLAGE_A, size=1)
    IncomeRecord.objects.create(household=h, year=2017, wage=8000)
    export_registry(actor=cast["clerk_a"], out=tmp_path / "d.xlsx")
    export_registry(actor=cast["clerk_a"], out=tmp_path / "y.xlsx", year=2016)
    col = HOUSEHOLD_HEADERS.index("收入年度")
    wage = HOUSEHOLD_HEADERS.index("工资性收入")
    d = sheet_values(tmp_path / "d.xlsx")["户"][1]
    y = sheet_values(tmp_path / "y.xlsx")["户"][1]
    assert (d[col], d[wage]) == (2017, 8000) and (y[col], y[wage]) == (2016, 6000)


def test_round_trip_full_export_import_into_empty_registry_export_again(cast, two_villages, tmp_path):
    a, _ = two_villages
    # make the data less uniform: decimals, an ordinary household, an exited one, a dead member, risks
    IncomeRecord.objects.filter(household=a[0]).update(wage="1234.56", risks=["大病", "灾害"], medical_spending="88.8")
    Household.objects.filter(pk=a[1].pk).update(status="已脱贫", exit_year=2016, other_causes=["缺技术", "缺资金"],
                                                forest_land="2.25", phone="07357654321")
    Household.objects.filter(pk=a[2].pk).update(kind="一般农户", attribute="", main_cause="", other_causes=[], status="",
                                                year_registered=None, bank_account="")
    Member.objects.filter(household=a[0], relation="之子").update(state="迁出", state_date="2017-03-01",
                                                                migrant_work="省外务工", migrant_months=10)
    first = tmp_path / "first.xlsx"
    export_registry(actor=cast["city_officer"], out=first, full_ids=True, reason="迁移")
    before = sheet_values(first)

    Member.objects.all().delete()
    HouseholdEvent.objects.all().delete()
    Household.objects.all().delete()
    assert Household.objects.count() == 0

    r = import_registry(actor=cast["city_officer"], xlsx=first)
    assert r.ok, r.errors
    assert (r.created, r.members_created) == (5, 13)
    second = tmp_path / "second.xlsx"
    export_registry(actor=cast["city_officer"], out=second, full_ids=True, reason="迁移核对")
    assert sheet_values(second) == before


def test_masked_export_cannot_be_reimported(cast, two_villages, tmp_path):
    export_registry(actor=cast["clerk_a"], out=tmp_path / "m.xlsx")
    r = import_registry(actor=cast["clerk_a"], xlsx=tmp_path / "m.xlsx", dry_run=True)
    assert not r.ok and {e.code for e in r.errors} >= {"E_ID_FORMAT"}
