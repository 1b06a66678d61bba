"""Loading cross-check lists (fupin.crosscheck): every validation error with its row and column,
all or nothing, versions replacing each other, masking, and the bulk look-up."""

import datetime as dt

import pytest

from fupin.core import idcard
from fupin.core.errors import ApplicationError, PermissionDenied
from fupin.core.models import AuditEntry
from fupin.crosscheck.models import ListEntry, ListVersion
from fupin.crosscheck.selectors import exclusions_for, household_exclusions, list_entries, registered_on_lists
from fupin.crosscheck.services import load_list
from tests.cast import OTHER_COUNTY_VILLAGE, VILLAGE_A, VILLAGE_B
from tests.crosscheck.conftest import household, list_csv, person
from tests.factories import new_id

pytestmark = pytest.mark.django_db


def errors_of(res):
    return [(e.row, e.column, e.code) for e in res.errors]


def test_a_valid_list_is_loaded_with_its_own_columns(system_user, tmp_path):
    a, b = new_id(), new_id()
    path = list_csv(tmp_path, [{"证件号码": a, "姓名": "李四", "单位": "桂东县财政局"},
                               {"证件号码": f" {b.lower()[:-1]}{b[-1].lower()} ", "姓名": "赵六", "单位": "沙田镇政府"}])
    res = load_list(actor=system_user, kind="PUBLIC_SERVANT", path=path)
    assert res.ok and res.rows == 2 and res.excluding == 2
    v = ListVersion.objects.get(kind="PUBLIC_SERVANT", current=True)
    assert (v.source_name, v.rows, v.loaded_by) == ("list.csv", 2, system_user)
    assert len(v.sha256) == 64
    e = ListEntry.objects.get(id_number=a)
    assert e.data == {"姓名": "李四", "单位": "桂东县财政局"} and e.row == 2
    # normalised like the registry: trimmed, lowercase x → X
    assert exclusions_for([a, b, new_id()]) == {a: {"PUBLIC_SERVANT"}, b: {"PUBLIC_SERVANT"}}


@pytest.mark.parametrize(("cell", "code"), [
    ("", "E_REQUIRED"),
    ("43102719700517", "E_ID_FORMAT"),
    ("43102719700517001A", "E_ID_FORMAT"),
    ("CHECKSUM", "E_ID_CHECKSUM"),
    ("BIRTHDATE", "E_ID_BIRTHDATE"),
])
def test_each_bad_id_number_is_reported_with_its_row_and_column(system_user, tmp_path, cell, code):
    good = new_id()
    if cell == "CHECKSUM":
        cell = good[:17] + ("0" if good[17] != "0" else "1")
    if cell == "BIRTHDATE":
        first17 = "431027" + "20991231" + "001"
        cell = first17 + idcard.check_char(first17)
    path = list_csv(tmp_path, [{"证件号码": new_id(), "单位": "甲"}, {"证件号码": cell, "单位": "乙"}])
    res = load_list(actor=system_user, kind="VEHICLE", path=path)
    assert errors_of(res) == [(3, "证件号码", code)]
    assert not ListVersion.objects.exists() and not ListEntry.objects.exists()
    # the message never repeats the number
    assert all(cell[6:14] not in e.message for e in res.errors if len(cell) == 18)


def test_missing_id_column_is_a_whole_file_error(system_user, tmp_path):
    path = list_csv(tmp_path, [{"身份证": new_id(), "车牌号": "湘L12345"}])
    res = load_list(actor=system_user, kind="VEHICLE", path=path)
    assert errors_of(res) == [(None, "证件号码", "E_MISSING_COLUMN")]


def test_business_list_needs_a_status_column_and_a_status_on_each_row(system_user, tmp_path):
    res = load_list(actor=system_user, kind="BUSINESS",
                    path=list_csv(tmp_path, [{"证件号码": new_id(), "企业名称": "某某合作社"}]))
    assert errors_of(res) == [(None, "状态", "E_MISSING_COLUMN")]
    res = load_list(actor=system_user, kind="BUSINESS", path=list_csv(tmp_path, [
        {"证件号码": new_id(), "企业名称": "甲", "状态": "在营"}, {"证件号码": new_id(), "企业名称": "乙", "状态": ""}]))
    assert errors_of(res) == [(3, "状态", "E_REQUIRED")]


def test_an_overlong_cell_and_an_empty_list_are_refused(system_user, tmp_path):
    res = load_list(actor=system_user, kind="PROPERTY",
                    path=list_csv(tmp_path, [{"证件号码": new_id(), "房产地址": "郴" * 201}]))
    assert errors_of(res) == [(2, "房产地址", "E_INVALID")]
    res = load_list(actor=system_user, kind="PROPERTY", path=list_csv(tmp_path, [], header=["证件号码", "房产地址"]))
    assert errors_of(res) == [(None, "", "E_REQUIRED")]


def test_all_or_nothing_one_bad_row_keeps_the_previous_version(system_user, tmp_path):
    kept = new_id()
    assert load_list(actor=system_user, kind="VEHICLE", path=list_csv(tmp_path, [{"证件号码": kept}], name="a.csv")).ok
    rows = [{"证件号码": new_id(), "车牌号": f"湘L{i:05d}"} for i in range(50)] + [{"证件号码": "x", "车牌号": "湘L0"}]
    res = load_list(actor=system_user, kind="VEHICLE", path=list_csv(tmp_path, rows, name="b.csv"))
    assert errors_of(res) == [(52, "证件号码", "E_ID_FORMAT")]
    assert list(ListVersion.objects.values_list("source_name", "current")) == [("a.csv", True)]
    assert list(ListEntry.objects.values_list("id_number", flat=True)) == [kept]


def test_a_new_version_replaces_the_previous_one_of_its_kind_only(system_user, tmp_path):
    old, new, other = new_id(), new_id(), new_id()
    load_list(actor=system_user, kind="VEHICLE", path=list_csv(tmp_path, [{"证件号码": old}], name="v1.csv"))
    load_list(actor=system_user, kind="PROPERTY", path=list_csv(tmp_path, [{"证件号码": other}], name="p1.csv"))
    res = load_list(actor=system_user, kind="VEHICLE", path=list_csv(tmp_path, [{"证件号码": new}], name="v2.csv"))
    assert res.ok
    versions = list(ListVersion.objects.filter(kind="VEHICLE").order_by("pk").values_list("source_name", "current",
                                                                                           "rows"))
    assert versions == [("v1.csv", False, 1), ("v2.csv", True, 1)]
    assert ListVersion.objects.get(source_name="v1.csv").replaced_at is not None
    assert exclusions_for([old, new, other]) == {new: {"VEHICLE"}, other: {"PROPERTY"}}
    # the same file again changes nothing (idempotent)
    again = load_list(actor=system_user, kind="VEHICLE", path=list_csv(tmp_path, [{"证件号码": new}], name="v2.csv"))
    assert again.unchanged and ListVersion.objects.filter(kind="VEHICLE").count() == 2


def test_loading_is_audited_without_any_id_number(system_user, tmp_path):
    idn = new_id()
    load_list(actor=system_user, kind="PUBLIC_SERVANT", path=list_csv(tmp_path, [{"证件号码": idn, "单位": "县委"}]))
    entry = AuditEntry.objects.get(action="crosscheck.load")
    assert entry.actor == system_user and entry.after["rows"] == 1 and entry.after["kind"] == "PUBLIC_SERVANT"
    assert idn not in str(entry.before) + str(entry.after)


def test_only_the_city_office_and_administrators_load_lists(cast, tmp_path):
    path = list_csv(tmp_path, [{"证件号码": new_id()}])
    for name in ("county_officer", "township_officer", "clerk_a", "inspector", "auditor"):
        with pytest.raises(PermissionDenied):
            load_list(actor=cast[name], kind="VEHICLE", path=path)
    assert load_list(actor=cast["city_officer"], kind="VEHICLE", path=path).ok


def test_unreadable_files_and_unknown_kinds_are_refused_whole(system_user, tmp_path):
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("证件号码,单位\n".encode("gb18030"))
    with pytest.raises(ApplicationError) as e:
        load_list(actor=system_user, kind="VEHICLE", path=gbk)
    assert e.value.code == "E_FILE_FORMAT"
    with pytest.raises(ApplicationError) as e:
        load_list(actor=system_user, kind="BICYCLE", path=gbk)
    assert e.value.code == "E_INVALID"


def test_business_entries_exclude_only_when_in_operation(system_user, tmp_path):
    open_, lasting, closed, revoked = new_id(), new_id(), new_id(), new_id()
    res = load_list(actor=system_user, kind="BUSINESS", path=list_csv(tmp_path, [
        {"证件号码": open_, "企业名称": "甲", "状态": "在营"},
        {"证件号码": lasting, "企业名称": "乙", "状态": "存续（在营、开业、在册）"},
        {"证件号码": closed, "企业名称": "丙", "状态": "注销"},
        {"证件号码": revoked, "企业名称": "丁", "状态": "吊销，未注销"}]))
    assert res.ok and res.rows == 4 and res.excluding == 2
    assert exclusions_for([open_, lasting, closed, revoked]) == {open_: {"BUSINESS"}, lasting: {"BUSINESS"}}


def test_entries_are_shown_masked_and_only_to_list_managers(cast, system_user, tmp_path):
    idn = new_id()
    load_list(actor=system_user, kind="VEHICLE", path=list_csv(tmp_path, [{"证件号码": idn, "车主证件": idn,
                                                                           "车牌号": "湘L12345"}]))
    rows = list_entries(cast["city_officer"], "VEHICLE")
    assert rows[0]["id_masked"] == idcard.mask(idn) and idn not in str(rows)
    from fupin.core.errors import NotFound

    with pytest.raises(NotFound):
        list_entries(cast["county_officer"], "VEHICLE")


def test_bulk_lookup_by_household_counts_only_members_present_on_the_day(system_user, tmp_path):
    alive, dead, moved_later = person("甲"), person("乙", state="死亡", state_date=dt.date(2017, 3, 1)), \
        person("丙", state="迁出", state_date=dt.date(2018, 2, 1))
    h1, _ = household(VILLAGE_A, "H1", members=[alive, person("丁")])
    household(VILLAGE_A, "H2", members=[person("戊"), dead])
    h3, _ = household(VILLAGE_A, "H3", members=[person("己"), moved_later])
    load_list(actor=system_user, kind="PUBLIC_SERVANT", path=list_csv(tmp_path, [
        {"证件号码": alive["id"]}, {"证件号码": dead["id"]}, {"证件号码": moved_later["id"]}]))
    got = household_exclusions(h1.pk, h3.pk, day=dt.date(2017, 12, 31))
    assert got == {h1.pk: {"PUBLIC_SERVANT"}, h3.pk: {"PUBLIC_SERVANT"}}  # 乙 died before the day
    assert household_exclusions(h1.pk, h3.pk, day=dt.date(2018, 12, 31)) == {h1.pk: {"PUBLIC_SERVANT"}}


def test_registered_households_on_lists_are_scoped_to_the_user(cast, system_user, tmp_path):
    on_a, on_b, on_other, ordinary = person("甲"), person("乙"), person("丙"), person("丁")
    household(VILLAGE_A, "R-A", members=[on_a], kind="建档立卡户", status="未脱贫")
    household(VILLAGE_B, "R-B", members=[on_b], kind="建档立卡户", status="已脱贫", exit_year=2016)
    household(OTHER_COUNTY_VILLAGE, "R-X", members=[on_other], kind="建档立卡户", status="未脱贫")
    household(VILLAGE_A, "O-A", members=[ordinary])  # an ordinary household is no finding
    load_list(actor=system_user, kind="PROPERTY", path=list_csv(tmp_path, [
        {"证件号码": p["id"], "房产地址": "郴州市北湖区"} for p in (on_a, on_b, on_other, ordinary)]))
    from fupin.areas.models import Area
    from fupin.core.errors import NotFound

    city, county, village_a = (Area.objects.get(code=c) for c in ("431000000000", "431027000000", VILLAGE_A))
    assert [h.number for h in registered_on_lists(city, user=cast["city_officer"])] == ["R-X", "R-A", "R-B"]
    hits = registered_on_lists(county, user=cast["county_officer"])
    assert [(h.number, h.kinds, h.id_masked) for h in hits] == [
        ("R-A", ("PROPERTY",), idcard.mask(on_a["id"])), ("R-B", ("PROPERTY",), idcard.mask(on_b["id"]))]
    assert [h.number for h in registered_on_lists(village_a, user=cast["clerk_a"])] == ["R-A"]
    with pytest.raises(NotFound):
        registered_on_lists(village_a, user=cast["clerk_b"])


def test_an_excel_file_is_refused_with_a_hint_and_a_repeated_column_is_a_warning(system_user, tmp_path):
    xlsx = tmp_path / "list.xlsx"
    xlsx.write_bytes(b"PK\x03\x04" + b"\0" * 100)
    with pytest.raises(ApplicationError) as e:
        load_list(actor=system_user, kind="VEHICLE", path=xlsx)
    assert e.value.code == "E_FILE_FORMAT" and "CSV UTF-8" in e.value.message
    idn = new_id()
    path = tmp_path / "dup.csv"
    path.write_text(f"证件号码,车牌号,车牌号\n{idn},湘L1,湘L2\n", encoding="utf-8")
    res = load_list(actor=system_user, kind="VEHICLE", path=path)
    assert res.ok and len(res.warnings) == 1 and ListEntry.objects.get().data == {"车牌号": "湘L1"}


def test_cli_writes_the_error_report_and_exits_1_without_printing_an_id(system_user, tmp_path, capsys):
    import csv

    from django.core.management import CommandError, call_command

    good, bad = new_id(), new_id()
    bad = bad[:17] + ("0" if bad[17] != "0" else "1")
    path = list_csv(tmp_path, [{"证件号码": good, "单位": "甲"}, {"证件号码": bad, "单位": "乙"}], name="servants.csv")
    with pytest.raises(CommandError) as e:
        call_command("crosscheck_load", "PUBLIC_SERVANT", str(path))
    assert e.value.returncode == 1
    with open(tmp_path / "servants-errors.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows == [["工作表", "行号", "列", "错误代码", "说明"],
                    ["财政供养人员", "3", "证件号码", "E_ID_CHECKSUM", rows[1][4]]]
    out = capsys.readouterr()
    assert "E_ID_CHECKSUM" in out.err and bad not in out.err + out.out + str(e.value) and good not in out.err
    assert not ListVersion.objects.exists()
    fixed = list_csv(tmp_path, [{"证件号码": good, "单位": "甲"}], name="servants.csv")
    call_command("crosscheck_load", "财政供养人员", str(fixed))
    assert "1 行 rows" in capsys.readouterr().out


def test_a_file_over_max_bytes_is_refused_unread_and_changes_nothing(system_user, tmp_path):
    path = list_csv(tmp_path, [{"证件号码": new_id()} for _ in range(100)], name="名单.csv")
    with pytest.raises(ApplicationError) as e:
        load_list(actor=system_user, kind="VEHICLE", path=path, max_bytes=path.stat().st_size - 1)
    assert e.value.code == "E_FILE_TOO_LARGE" and "名单.csv 大小" in e.value.message
    assert not ListVersion.objects.exists()
    res = load_list(actor=system_user, kind="VEHICLE", path=path, max_bytes=path.stat().st_size)
    assert res.ok and res.version.rows == 100
