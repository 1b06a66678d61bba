"""Registry import: every validation code with sheet/row/column, normalisation, cross-row rules,
all-or-nothing, dry run, idempotence, updates by 户编号, audit and the background job
(exchange-format.md)."""

import csv
import datetime as dt

import openpyxl
import pytest
from django.db import connection

from fupin.core import idcard
from fupin.core.errors import ApplicationError
from fupin.core.models import AuditEntry
from fupin.jobs.models import Job
from fupin.registry.importer import import_registry, write_error_report
from fupin.registry.models import Household, HouseholdEvent, IncomeRecord, Member
from fupin.registry.validation import HOUSEHOLD_HEADERS, MEMBER_HEADERS
from tests.cast import VILLAGE_A, VILLAGE_B
from tests.factories import family, make_household, member_row, new_id
from tests.registry.exchange_files import families, write_csv_pair, write_xlsx

pytestmark = pytest.mark.django_db


def registry_audit():
    return AuditEntry.objects.filter(object_type__in=["household", "income", "member"])


def counts():
    return (Household.objects.count(), Member.objects.count(), IncomeRecord.objects.count(),
            AuditEntry.objects.count(), HouseholdEvent.objects.count())


def run(actor, tmp_path, hh, mm, **kw):
    path = write_xlsx(tmp_path / "in.xlsx", hh, mm, **{k: kw.pop(k) for k in ("hh_headers", "m_headers") if k in kw})
    return import_registry(actor=actor, xlsx=path, **kw)


def errs(result):
    return [(e.sheet, e.row, e.column, e.code) for e in result.errors]


def test_valid_workbook_creates_everything_with_audit_and_events(cast, tmp_path):
    hh, mm = families(3, VILLAGE_A)
    r = run(cast["clerk_a"], tmp_path, hh, mm)
    assert r.ok, r.errors
    assert (r.created, r.changed, r.unchanged, r.members_created, r.members_changed) == (3, 0, 0, 9, 0)
    h = Household.objects.get(number="H00001")
    assert h.village_id == VILLAGE_A and h.head_initials == "zs" and h.members.count() == 3
    assert h.incomes.get(year=2016).net == 9000
    assert set(h.members.values_list("name_initials", flat=True)) == {"zs", "lxy", "zw"}
    actions = sorted(registry_audit().values_list("action", flat=True))
    assert actions == ["household.create"] * 3 + ["income.set"] * 3 + ["member.create"] * 9
    assert set(registry_audit().values_list("actor__username", flat=True)) == {"clerk_a"}
    assert HouseholdEvent.objects.filter(type="created").count() == 3
    assert HouseholdEvent.objects.get(household=h).actor == cast["clerk_a"]


def test_csv_pair_imports_like_the_workbook(cast, tmp_path):
    hh, mm = families(2, VILLAGE_A)
    hp, mp = write_csv_pair(tmp_path, hh, mm)
    r = import_registry(actor=cast["clerk_a"], households=hp, members=mp)
    assert r.ok and r.created == 2 and r.members_created == 6


# --- every validation code, with sheet, Excel row number and column --------------------------------

def _id_with_bad_date():
    first17 = "431027" + "19701332" + "123"
    return first17 + idcard.check_char(first17)


def _bad_checksum(idn):
    return idn[:17] + ("0" if idn[17] != "0" else "1")


CASES = {
    # code: (mutate(hh, mm) -> None, expected (sheet, row, column))
    "E_REQUIRED": (lambda hh, mm: hh[1].update({"户主姓名": "  "}), ("户", 3, "户主姓名")),
    "E_ENUM": (lambda hh, mm: mm[4].update({"与户主关系": "儿子"}), ("人", 6, "与户主关系")),
    "E_NUMBER": (lambda hh, mm: hh[0].update({"工资性收入": "-5"}), ("户", 2, "工资性收入")),
    "E_ID_FORMAT": (lambda hh, mm: mm[1].update({"证件号码": "43102719700101"}), ("人", 3, "证件号码")),
    "E_ID_CHECKSUM": (lambda hh, mm: mm[2].update({"证件号码": _bad_checksum(mm[2]["证件号码"])}), ("人", 4, "证件号码")),
    "E_ID_BIRTHDATE": (lambda hh, mm: mm[5].update({"证件号码": _id_with_bad_date()}), ("人", 7, "证件号码")),
    "E_SEX_MISMATCH": (lambda hh, mm: mm[1].update({"性别": "男"}), ("人", 3, "性别")),
    "E_BIRTHDATE_MISMATCH": (lambda hh, mm: mm[0].update({"出生日期": "1968-03-10"}), ("人", 2, "出生日期")),
    "E_UNKNOWN_AREA": (lambda hh, mm: hh[1].update({"行政区划代码": "431027101999"}), ("户", 3, "行政区划代码")),
    "E_UNKNOWN_HOUSEHOLD": (lambda hh, mm: mm[3].update({"户编号": "NOPE"}), ("人", 5, "户编号")),
    "E_EXIT_YEAR": (lambda hh, mm: hh[0].update({"脱贫状态": "已脱贫"}), ("户", 2, "脱贫年度")),
    "E_HEAD_MISMATCH": (lambda hh, mm: hh[1].update({"户主姓名": "王五"}), ("户", 3, "户主姓名")),
    "E_NO_HEAD": (lambda hh, mm: mm[3].update({"与户主关系": "其他"}), ("户", 3, "户编号")),
    "E_MULTIPLE_HEADS": (lambda hh, mm: mm[4].update({"与户主关系": "户主"}), ("人", 6, "与户主关系")),
}


@pytest.mark.parametrize("code", sorted(CASES))
def test_each_validation_code_names_sheet_row_and_column(cast, tmp_path, code):
    hh, mm = families(3, VILLAGE_A)
    mutate, where = CASES[code]
    mutate(hh, mm)
    before = counts()
    r = run(cast["clerk_a"], tmp_path, hh, mm)
    assert (*where, code) in errs(r), errs(r)
    assert all(e.message for e in r.errors)
    assert counts() == before


def test_missing_required_column_is_one_whole_file_error(cast, tmp_path):
    hh, mm = families(2, VILLAGE_A)
    headers = [h for h in MEMBER_HEADERS if h != "姓名"]
    r = run(cast["clerk_a"], tmp_path, hh, mm, m_headers=headers)
    assert errs(r) == [("人", None, "姓名", "E_MISSING_COLUMN")]
    assert Household.objects.count() == 0


def test_duplicate_household_number_reported_on_the_second_row(cast, tmp_path):
    hh, mm = families(2, VILLAGE_A)
    hh.append(dict(hh[0]))
    r = run(cast["clerk_a"], tmp_path, hh, mm)
    assert errs(r) == [("户", 4, "户编号", "E_DUP_HOUSEHOLD_NO")]


def test_duplicate_id_in_file_reports_each_later_occurrence(cast, tmp_path):
    hh, mm = families(3, VILLAGE_A)
    dup = mm[1]["证件号码"]
    mm[4].update({"证件号码": dup, "性别": "女"})
    mm[7].update({"证件号码": dup, "性别": "女"})
    r = run(cast["clerk_a"], tmp_path, hh, mm)
    found = [e for e in errs(r) if e[3] == "E_DUP_ID_IN_FILE"]
    assert found == [("人", 6, "证件号码", "E_DUP_ID_IN_FILE"), ("人", 9, "证件号码", "E_DUP_ID_IN_FILE")]


def test_person_active_in_another_household_is_refused_naming_it(cast, tmp_path):
    other = make_household(cast["clerk_a"], "OLD1", VILLAGE_A)
    taken = other.members.get(relation="之子").id_number
    hh, mm = families(1, VILLAGE_A)
    mm[2]["证件号码"] = taken
    r = run(cast["clerk_a"], tmp_path, hh, mm)
    assert errs(r) == [("人", 4, "证件号码", "E_DUP_ID_IN_REGISTRY")]
    assert "OLD1" in r.errors[0].message
    assert not Household.objects.filter(number="H00001").exists()


def test_empty_household_reported_on_household_row(cast, tmp_path):
    hh, mm = families(3, VILLAGE_A)
    mm = [m for m in mm if m["户编号"] != "H00002"]
    r = run(cast["clerk_a"], tmp_path, hh, mm)
    assert errs(r) == [("户", 3, "户编号", "E_EMPTY_HOUSEHOLD")]


def test_village_outside_the_actors_scope_is_unknown(cast, tmp_path):
    hh, mm = families(1, VILLAGE_A)
    r = run(cast["clerk_b"], tmp_path, hh, mm)
    assert errs(r) == [("户", 2, "行政区划代码", "E_UNKNOWN_AREA")]
    assert Household.objects.count() == 0


def test_every_error_of_the_file_is_reported_not_only_the_first(cast, tmp_path):
    hh, mm = families(4, VILLAGE_A)
    hh[0]["住房安全等级"] = "E"
    hh[2]["不愁吃"] = "maybe"
    mm[4]["性别"] = "男"  # the second household's spouse (女), row 6
    mm[10]["户编号"] = "X"
    r = run(cast["clerk_a"], tmp_path, hh, mm)
    assert {(e[1], e[3]) for e in errs(r)} >= {(2, "E_ENUM"), (4, "E_ENUM"), (6, "E_SEX_MISMATCH"),
                                              (12, "E_UNKNOWN_HOUSEHOLD")}


def test_missing_registered_only_column_is_fine_for_ordinary_households(cast, tmp_path):
    headers = [h for h in HOUSEHOLD_HEADERS if h != "识别年度"]
    hh, mm = families(2, VILLAGE_A, size=2)
    for h in hh:
        h.update({"户类型": "一般农户", "贫困户属性": "", "主要致贫原因": "", "其他致贫原因": "", "脱贫状态": ""})
    r = run(cast["clerk_a"], tmp_path, hh, mm, hh_headers=headers)
    assert r.ok, errs(r)
    assert Household.objects.get(number="H00001").kind == "一般农户"
    hh2, mm2 = families(2, VILLAGE_A, prefix="R", size=2)
    r2 = run(cast["clerk_a"], tmp_path, hh2, mm2, hh_headers=headers)
    assert errs(r2) == [("户", None, "识别年度", "E_MISSING_COLUMN")]


# --- normalisation -----------------------------------------------------------------------------------

def test_normalisation_full_width_lowercase_x_floats_separators_and_yes_no_variants(cast, tmp_path):
    head_id = idcard.make("431027", dt.date(1972, 1, 1), 1)
    while not head_id.endswith("X"):  # need an ID with an X check character
        head_id = idcard.make("431027", dt.date(1972, 1, 1), int(head_id[14:17]) + 2)
    hh, mm = family("N1", VILLAGE_A, size=2)
    mm[0]["证件号码"] = head_id[:17] + "x"
    mm[0]["性别"] = "男"
    full_width = mm[1]["证件号码"].translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})
    mm[1]["证件号码"] = "\u3000" + full_width + " "
    hh.update({"户主证件号码": head_id.lower(), "行政区划代码": float(VILLAGE_A), "识别年度": 2014.0,
                  "收入年度": "２０１６", "工资性收入": 3026.0, "生产经营性收入": "3,026", "转移性收入": "１５００",
                  "不愁吃": "Y", "不愁穿": "√", "已完成危房改造": "n", "易地扶贫搬迁入住": "0", "饮水安全": "1",
                  "住房安全等级": "b", "联系电话": "138-0735-1234", "村民小组": "  一组\u3000"})
    mm[1].update({"基本医疗保险": "×", "基本养老保险": "y", "务工时间": 6.0})
    r = run(cast["clerk_a"], tmp_path, [hh], mm)
    assert r.ok, errs(r)
    h = Household.objects.get(number="N1")
    assert h.village_id == VILLAGE_A and h.year_registered == 2014 and h.group == "一组"
    assert (h.food_ok, h.clothing_ok, h.renovated, h.relocated, h.safe_water) == (True, True, False, False, True)
    assert h.housing_grade == "B" and h.phone == "13807351234"
    inc = h.incomes.get()
    assert inc.year == 2016 and inc.wage == 3026 and inc.business == 3026 and inc.transfer == 1500
    ids = set(h.members.values_list("id_number", flat=True))
    assert ids == {head_id, full_width.translate({0xFF10 + i: ord(str(i)) for i in range(10)})}
    spouse = h.members.get(relation="配偶")
    assert spouse.medical_insurance is False and spouse.pension_insurance is True and spouse.migrant_months == 6


# --- semantics ---------------------------------------------------------------------------------------

def test_all_or_nothing_one_bad_row_changes_nothing(cast, tmp_path):
    make_household(cast["clerk_a"], "KEEP", VILLAGE_A)
    hh, mm = families(50, VILLAGE_A)
    mm[-1]["文化程度"] = "博士"
    before = counts()
    r = run(cast["clerk_a"], tmp_path, hh, mm)
    assert [e[3] for e in errs(r)] == ["E_ENUM"]
    assert counts() == before


def test_dry_run_reports_counts_and_writes_nothing(cast, tmp_path):
    hh, mm = families(3, VILLAGE_A)
    before = counts()
    r = run(cast["clerk_a"], tmp_path, hh, mm, dry_run=True)
    assert r.ok and r.dry_run and (r.created, r.members_created) == (3, 9)
    assert counts() == before
    mm[0]["性别"] = "女"
    r = run(cast["clerk_a"], tmp_path, hh, mm, dry_run=True)
    assert [e[3] for e in errs(r)] == ["E_SEX_MISMATCH"] and counts() == before


def test_importing_the_same_file_twice_changes_nothing_the_second_time(cast, tmp_path):
    hh, mm = families(5, VILLAGE_A)
    path = write_xlsx(tmp_path / "a.xlsx", hh, mm)
    first = import_registry(actor=cast["clerk_a"], xlsx=path)
    assert first.created == 5
    before = counts()
    second = import_registry(actor=cast["clerk_a"], xlsx=path)
    assert (second.created, second.changed, second.unchanged, second.members_created, second.members_changed) == (
        0, 0, 5, 0, 0)
    assert counts() == before
    assert "0 新增 created, 0 修改 changed" in second.summary()


def test_update_by_household_number_with_member_missing_warning(cast, tmp_path):
    h = make_household(cast["clerk_a"], "U1", VILLAGE_A, size=3)
    head = h.members.get(relation="户主")
    son = h.members.get(relation="之子")
    hh, _ = family("U1", VILLAGE_A)
    hh["户主证件号码"] = head.id_number
    hh.update({"住房安全等级": "C", "工资性收入": 7000})
    newborn = member_row("U1", "张小", new_id(dt.date(2016, 4, 1), "女"), "之女")
    mm = [member_row("U1", head.name, head.id_number, "户主", 健康状况="患有大病"), newborn]
    r = run(cast["township_officer"], tmp_path, [hh], mm)
    assert r.ok, errs(r)
    assert (r.created, r.changed, r.unchanged, r.members_created, r.members_changed) == (0, 1, 0, 1, 1)
    assert len(r.warnings) == 1 and "U1" in r.warnings[0] and "李秀英" in r.warnings[0]
    assert son.id_number not in " ".join(r.warnings)  # warnings show masked IDs only
    h.refresh_from_db()
    assert h.housing_grade == "C" and h.version == 2
    assert h.incomes.get(year=2016).wage == 7000
    assert h.members.count() == 4 and Member.objects.filter(pk=son.pk, household=h).exists()
    assert h.members.get(pk=head.pk).health == "患有大病"
    upd = AuditEntry.objects.get(action="household.update", object_id="U1")
    assert upd.before == {"housing_grade": "B"} and upd.after == {"housing_grade": "C"}
    assert upd.actor == cast["township_officer"]
    assert AuditEntry.objects.get(action="member.update").after == {"health": "患有大病"}
    assert AuditEntry.objects.filter(action="member.create", object_id="U1", actor=cast["township_officer"]).count() == 1
    ev = HouseholdEvent.objects.filter(household=h, type="updated").get()
    assert "住房安全等级" in ev.message and "新增成员 1 人" in ev.message


def test_new_income_year_for_existing_household_is_added(cast, tmp_path):
    h = make_household(cast["clerk_a"], "Y1", VILLAGE_A, size=1)
    head = h.members.get()
    hh, _ = family("Y1", VILLAGE_A, size=1)
    hh.update({"户主证件号码": head.id_number, "收入年度": 2017, "工资性收入": 9000})
    r = run(cast["clerk_a"], tmp_path, [hh], [member_row("Y1", head.name, head.id_number)])
    assert r.ok and r.changed == 1
    assert sorted(h.incomes.values_list("year", flat=True)) == [2016, 2017]


def test_member_of_the_same_household_is_not_a_registry_duplicate(cast, tmp_path):
    h = make_household(cast["clerk_a"], "S1", VILLAGE_A, size=2)
    hh, _ = family("S1", VILLAGE_A)
    rows = [member_row("S1", m.name, m.id_number, m.relation) for m in h.members.all()]
    hh["户主证件号码"] = rows[0]["证件号码"]
    r = run(cast["clerk_a"], tmp_path, [hh], rows)
    assert r.ok, errs(r)
    assert (r.changed, r.unchanged, r.members_changed) == (0, 1, 0)


def test_new_head_next_to_a_stored_head_left_out_of_the_file_is_a_second_head(cast, tmp_path):
    make_household(cast["clerk_a"], "M1", VILLAGE_A, size=2)
    new_head = member_row("M1", "赵六", new_id())
    hh, _ = family("M1", VILLAGE_A, head_name="赵六")
    hh["户主证件号码"] = new_head["证件号码"]
    r = run(cast["clerk_a"], tmp_path, [hh], [new_head])
    assert ("人", 2, "与户主关系", "E_MULTIPLE_HEADS") in errs(r)


def test_members_may_name_a_household_already_in_the_system(cast, tmp_path):
    h = make_household(cast["clerk_a"], "E1", VILLAGE_A, size=2)
    baby = member_row("E1", "张宝", new_id(dt.date(2017, 1, 1), "男"), "之子")
    r = run(cast["clerk_a"], tmp_path, [], [baby])
    assert r.ok, errs(r)
    assert r.members_created == 1 and h.members.count() == 3


def test_household_of_another_village_cannot_be_reached_by_member_rows(cast, tmp_path):
    make_household(cast["clerk_a"], "A1", VILLAGE_A, size=1)
    r = run(cast["clerk_b"], tmp_path, [], [member_row("A1", "张宝", new_id(), "之子")])
    assert errs(r) == [("人", 2, "户编号", "E_UNKNOWN_HOUSEHOLD")]


def test_household_number_taken_outside_the_actors_areas_is_refused(cast, tmp_path):
    make_household(cast["clerk_a"], "T1", VILLAGE_A, size=1)
    hh, mm = family("T1", VILLAGE_B, size=1)
    r = run(cast["clerk_b"], tmp_path, [hh], mm)
    assert ("户", 2, "户编号", "E_DUP_HOUSEHOLD_NO") in errs(r)
    assert Household.objects.get(number="T1").village_id == VILLAGE_A


def test_read_only_roles_cannot_import(cast, tmp_path):
    hh, mm = families(1, VILLAGE_A)
    with pytest.raises(ApplicationError) as exc:
        run(cast["auditor"], tmp_path, hh, mm)
    assert exc.value.code == "E_PERMISSION"


def test_error_report_csv_and_xlsx(cast, tmp_path):
    hh, mm = families(2, VILLAGE_A)
    mm[0]["性别"] = "女"
    r = run(cast["clerk_a"], tmp_path, hh, mm)
    out = write_error_report(r.errors, tmp_path / "e.csv")
    with open(out, encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["工作表", "行号", "列", "错误代码", "说明"]
    assert rows[1][:4] == ["人", "2", "性别", "E_SEX_MISMATCH"]
    ws = openpyxl.load_workbook(write_error_report(r.errors, tmp_path / "e.xlsx")).active
    assert [c.value for c in ws[2]][:4] == ["人", 2, "性别", "E_SEX_MISMATCH"]


# --- the background job -------------------------------------------------------------------------------

def test_run_import_job_records_progress_result_and_job_id_on_audit_rows(cast, tmp_path):
    from fupin.jobs.services import job_create
    from fupin.jobs.tasks import run_import

    hh, mm = families(4, VILLAGE_A)
    path = write_xlsx(tmp_path / "job.xlsx", hh, mm)
    job = job_create(actor=cast["clerk_a"], kind="registry_import", params={"xlsx": str(path), "dry_run": False})
    run_import.apply(args=(job.pk,))  # local and synchronous, whatever the broker settings
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.result["created"] == 4 and job.result["members_created"] == 12
    assert job.percent == 100
    assert set(registry_audit().values_list("job_id", flat=True)) == {job.pk}
    assert set(registry_audit().values_list("actor__username", flat=True)) == {"clerk_a"}


def test_a_jobs_progress_ends_at_the_end_however_rarely_it_is_written(cast, tmp_path, monkeypatch):
    # Progress writes are throttled (JOB_PROGRESS_EVERY). The file's size is an estimate (blank lines
    # count in it, are skipped as rows), so the end is not "done == total": the last batch is always
    # written, and the finished job shows every row done.
    from fupin.jobs.services import job_create
    from fupin.jobs.tasks import run_import
    from fupin.registry import importer

    monkeypatch.setattr(importer, "BATCH", 3)
    monkeypatch.setattr(importer, "JOB_PROGRESS_EVERY", 3600)
    hp, mp = write_csv_pair(tmp_path, *families(4, VILLAGE_A))
    with open(mp, "a", encoding="utf-8") as fh:
        fh.write("\n\n\n")
    job = job_create(actor=cast["clerk_a"], kind="registry_import",
                     params={"households": str(hp), "members": str(mp), "dry_run": False})
    run_import.apply(args=(job.pk,))
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.done == 16 and job.total > 16 and "members" in job.stage


def test_run_import_job_with_errors_fails_and_writes_the_report(cast, tmp_path):
    from fupin.jobs.services import job_create
    from fupin.jobs.tasks import run_import

    hh, mm = families(2, VILLAGE_A)
    mm[0]["姓名"] = ""
    path = write_xlsx(tmp_path / "job.xlsx", hh, mm)
    report = tmp_path / "errors.csv"
    job = job_create(actor=cast["clerk_a"], kind="registry_import",
                     params={"xlsx": str(path), "dry_run": False, "errors": str(report)})
    run_import.apply(args=(job.pk,))  # local and synchronous, whatever the broker settings
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.result["error_count"] >= 1
    assert report.exists() and Household.objects.count() == 0


def test_many_small_batches_write_every_row_audit_and_event_and_a_late_error_undoes_all(cast, tmp_path, monkeypatch):
    """Batches are written while later ones are read (on PostgreSQL from a second thread, each
    batch held until the next one has made its look-ups): with batches of 4 rows every row,
    audit entry and event still arrives, a re-import and an update read the stored rows back, and
    an error in the last batch rolls back everything written before it."""
    from fupin.registry import importer

    monkeypatch.setattr(importer, "BATCH", 4)
    hh, mm = families(11, VILLAGE_A)
    hp, mp = write_csv_pair(tmp_path, hh, mm)
    r = import_registry(actor=cast["clerk_a"], households=hp, members=mp)
    assert r.ok, errs(r)
    assert (r.created, r.members_created) == (11, 33)
    assert (Household.objects.count(), Member.objects.count(), IncomeRecord.objects.count()) == (11, 33, 11)
    assert registry_audit().count() == 11 + 11 + 33
    assert HouseholdEvent.objects.filter(type="created").count() == 11
    assert set(Household.objects.get(number="H00011").members.values_list("name_initials", flat=True)) == {
        "zs", "lxy", "zw"}

    before = counts()
    again = import_registry(actor=cast["clerk_a"], households=hp, members=mp)
    assert (again.created, again.changed, again.unchanged, again.members_created) == (0, 0, 11, 0)
    assert counts() == before

    for h in hh[8:]:
        h["住房安全等级"] = "C"
    mm[-1]["健康状况"] = "患有大病"
    hp, mp = write_csv_pair(tmp_path, hh, mm)
    upd = import_registry(actor=cast["clerk_a"], households=hp, members=mp)
    assert (upd.created, upd.changed, upd.unchanged, upd.members_changed) == (0, 3, 8, 1), errs(upd)
    assert HouseholdEvent.objects.filter(type="updated").count() == 3
    assert registry_audit().filter(action__in=["household.update", "member.update"]).count() == 4

    before = counts()
    more_hh, more_mm = families(9, VILLAGE_A, prefix="N")
    more_mm[-1]["文化程度"] = "博士"
    hp, mp = write_csv_pair(tmp_path, more_hh, more_mm)
    bad = import_registry(actor=cast["clerk_a"], households=hp, members=mp)
    assert [e[3] for e in errs(bad)] == ["E_ENUM"]
    assert counts() == before


def test_collector_thresholds_are_raised_for_the_import_only(cast, tmp_path, monkeypatch):
    # importer.import_registry makes the cyclic collector's passes rarer while it runs, and must give
    # the process (a Celery worker, the web server in the demo) its own settings back, even on failure
    import gc

    from fupin.registry import importer

    before = gc.get_threshold()
    seen = []
    real_run = importer._Importer.run

    def spy(self):
        seen.append(gc.get_threshold())
        real_run(self)

    monkeypatch.setattr(importer._Importer, "run", spy)
    hh, mm = families(2, VILLAGE_A)
    assert run(cast["clerk_a"], tmp_path, hh, mm).created == 2
    assert seen[-1][0] >= importer.GC_THRESHOLD
    assert gc.get_threshold() == before

    def boom(self):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer._Importer, "run", boom)
    with pytest.raises(RuntimeError):
        run(cast["clerk_a"], tmp_path, hh, mm)
    assert gc.get_threshold() == before


def test_member_audit_rows_hold_exactly_the_written_values(cast, tmp_path):
    # `after` is the single path's snapshot of the row, value by value and in its order of keys
    # (json keeps the order written, migration core 0006).
    from fupin.registry.services import MEMBER_FIELDS, snapshot

    hh, mm = families(2, VILLAGE_A, prefix="SA")
    mm[1].update({"务工状况": "省外务工", "务工时间": 7, "是否现役军人": "是", "民族": "瑶族"})
    mm[2].update({"基本医疗保险": "否", "姓名": "O'Brien \\ \"张\""})
    r = run(cast["clerk_a"], tmp_path, hh, mm)
    assert r.ok, r.errors
    rows = list(AuditEntry.objects.filter(action="member.create", object_id__startswith="SA").order_by("id"))
    members = list(Member.objects.filter(household__number__startswith="SA").select_related("household")
                   .order_by("id"))
    assert len(rows) == len(members) == 6
    for e, m in zip(rows, members, strict=True):
        assert e.after == snapshot(m, MEMBER_FIELDS), m.name
        assert list(e.after) == MEMBER_FIELDS  # as the single path writes them
        assert (e.object_type, e.object_id, e.area_code, e.before) == ("member", m.household.number, VILLAGE_A, None)
        assert (e.actor_id, e.actor_name) == (cast["clerk_a"].pk, "clerk_a")
    assert rows[1].after["migrant_months"] == 7 and rows[1].after["soldier"] is True
    assert rows[0].after["birth_date"] == members[0].birth_date.isoformat() and rows[0].after["state_date"] is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL planner settings")
def test_the_imports_planner_settings_end_with_it(cast, tmp_path):
    # The import turns off sequential scans, parallel workers and JIT for its own look-ups
    # (importer.PLANNER_SETTINGS); inside an enclosing transaction (this test's) they are restored,
    # so that the caller's next queries plan as before.
    from fupin.registry.importer import PLANNER_SETTINGS

    def current():
        with connection.cursor() as c:
            return {name: c.execute("SELECT current_setting(%s)", [name]).fetchone()[0] for name in PLANNER_SETTINGS}

    before = current()
    assert before != PLANNER_SETTINGS
    hh, mm = families(2, VILLAGE_A, prefix="PS")
    r = run(cast["clerk_a"], tmp_path, hh, mm)
    assert r.ok, r.errors
    assert current() == before
