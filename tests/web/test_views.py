"""The web UI through Django's test client, with the fixed cast (architecture.md, layer 8)."""

import csv
import datetime as dt
import io
import re

import pytest
from django.urls import reverse

from fupin.core import idcard
from fupin.core.models import AuditEntry
from fupin.jobs.models import Job
from fupin.registry.models import Household, IncomeRecord, Member
from tests.cast import TOWNSHIP, VILLAGE_A, VILLAGE_B
from tests.factories import family, household_row, make_household, member_row, new_id

pytestmark = pytest.mark.django_db

FULL_ID = re.compile(r"(?<!\d)\d{17}[\dX](?!\d)")


def html(response) -> str:
    return response.content.decode()


@pytest.fixture
def homes(cast):
    """One household in village A (head 王建国, pinyin wjg) and one in village B (李四)."""
    a = make_household(cast["clerk_a"], "A0001", VILLAGE_A, head_name="王建国", size=3)
    b = make_household(cast["clerk_b"], "B0001", VILLAGE_B, head_name="李四", size=2)
    return {"a": a, "b": b}


def as_user(client, user):
    client.force_login(user)
    return client


# ---------------------------------------------------------------- pages render for the right role

@pytest.mark.parametrize("who", ["city_officer", "county_officer", "township_officer", "clerk_a", "inspector"])
def test_main_pages_render_for_area_roles(client, cast, homes, who):
    as_user(client, cast[who])
    pages = [reverse("web:home"), reverse("web:households"), reverse("web:areas"),
             reverse("web:household", args=[homes["a"].pk])]
    for url in pages:
        r = client.get(url)
        assert r.status_code == 200, url
        assert "农户台账" in html(r)


def test_writer_pages_render_for_clerk(client, cast, homes):
    as_user(client, cast["clerk_a"])
    h = homes["a"]
    m = h.members.first()
    for url in [reverse("web:household_create"), reverse("web:household_edit", args=[h.pk]),
                reverse("web:member_create", args=[h.pk]), reverse("web:member_edit", args=[h.pk, m.pk]),
                reverse("web:import"), reverse("web:area", args=[VILLAGE_A])]:
        assert client.get(url).status_code == 200, url


def test_inspector_reads_but_cannot_write_or_import(client, cast, homes):
    as_user(client, cast["inspector"])
    page = html(client.get(reverse("web:household", args=[homes["a"].pk])))
    assert "修改农户信息" not in page and "查看完整号码" not in page
    assert client.get(reverse("web:household_edit", args=[homes["a"].pk])).status_code == 404
    assert client.get(reverse("web:import")).status_code == 403
    assert client.get(reverse("web:household_create")).status_code == 403


def test_anonymous_is_sent_to_login(client):
    r = client.get(reverse("web:households"))
    assert r.status_code == 302 and r["Location"].startswith(reverse("web:login"))


def test_login_page_is_chinese_and_logs_in(client, cast):
    r = client.get(reverse("web:login"))
    assert "用户名" in html(r) and "密码" in html(r)
    from tests.cast import PASSWORD

    r = client.post(reverse("web:login"), {"username": "clerk_a", "password": PASSWORD})
    assert r.status_code == 302
    assert "clerk_a" in html(client.get(reverse("web:home")))


def test_logout_is_a_post_and_ends_the_session(client, cast):
    as_user(client, cast["clerk_a"])
    assert client.post(reverse("web:logout")).status_code == 302
    assert client.get(reverse("web:home")).status_code == 302


def test_nav_shows_audit_only_to_audit_readers(client, cast):
    as_user(client, cast["clerk_a"])
    assert "审计日志" not in html(client.get(reverse("web:home")))
    as_user(client, cast["auditor"])
    assert "审计日志" in html(client.get(reverse("web:home")))


def test_language_switch_to_english(client, cast):
    as_user(client, cast["clerk_a"])
    r = client.post("/i18n/setlang/", {"language": "en", "next": reverse("web:home")}, follow=True)
    assert "Households" in html(r) and "农户台账" not in html(r)


# ---------------------------------------------------------------- home

def test_home_counts_are_those_of_the_users_scope(client, cast, homes):
    as_user(client, cast["clerk_a"])
    r = client.get(reverse("web:home"))
    assert r.context["counts"]["households"] == 1 and r.context["counts"]["people"] == 3
    as_user(client, cast["township_officer"])
    r = client.get(reverse("web:home"))
    assert r.context["counts"]["households"] == 2 and r.context["counts"]["people"] == 5
    assert dict(r.context["statuses"])["未脱贫"] == 2


# ---------------------------------------------------------------- scoping: clerk B never sees village A

def test_clerk_b_gets_404_for_every_village_a_household_url(client, cast, homes):
    as_user(client, cast["clerk_b"])
    h = homes["a"]
    m = h.members.first()
    urls = [reverse("web:household", args=[h.pk]), reverse("web:household_edit", args=[h.pk]),
            reverse("web:member_create", args=[h.pk]), reverse("web:member_edit", args=[h.pk, m.pk])]
    for url in urls:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"姓名": "x"}).status_code == 404, url
    r = client.post(reverse("web:household_unmask", args=[h.pk]), {"reason": "核对"})
    assert r.status_code == 404
    assert not AuditEntry.objects.filter(action="pii.unmask").exists()
    # nor through a member id of A's household behind B's own household
    mine = homes["b"]
    assert client.get(reverse("web:member_edit", args=[mine.pk, m.pk])).status_code == 404
    h.refresh_from_db()
    assert h.version == 1 and not m.__class__.objects.filter(name="x").exists()


def test_village_a_never_in_clerk_bs_list_or_search(client, cast, homes):
    as_user(client, cast["clerk_b"])
    a_head = homes["a"].members.get(relation="户主")
    for q in ["", "王", "王建国", "wjg", "A0001", a_head.id_number]:
        r = client.get(reverse("web:households"), {"q": q})
        table = html(r).split('id="household-table"')[1]
        assert r.context["rows"] == [] or q == "", q
        assert "A0001" not in table and "王建国" not in table, q
    page = html(client.get(reverse("web:households"), {"area": VILLAGE_A}))
    assert "A0001" not in page
    assert "B0001" in html(client.get(reverse("web:households")))


def test_clerk_b_gets_404_for_village_a_area_and_a_job_of_clerk_a(client, cast, homes):
    as_user(client, cast["clerk_b"])
    assert client.get(reverse("web:area", args=[VILLAGE_A])).status_code == 404
    job = Job.objects.create(actor=cast["clerk_a"], kind="import", params={}, result={"errors": []})
    assert client.get(reverse("web:job", args=[job.pk])).status_code == 404
    assert client.get(reverse("web:job_progress", args=[job.pk])).status_code == 404


# ---------------------------------------------------------------- list, search, paging

def test_search_by_pinyin_initials_id_number_and_number(client, cast, homes):
    as_user(client, cast["township_officer"])
    head = homes["a"].members.get(relation="户主")
    for q in ["wjg", "WJ", "A0001", head.id_number, "王建"]:
        rows = client.get(reverse("web:households"), {"q": q}).context["rows"]
        assert [h.number for h, _ in rows] == ["A0001"], q


def test_list_filters_and_columns(client, cast, homes):
    as_user(client, cast["township_officer"])
    make_household(cast["clerk_a"], "A0002", VILLAGE_A, head_name="赵六", size=1, 贫困户属性="低保贫困户",
                   主要致贫原因="因残")
    r = client.get(reverse("web:households"), {"attribute": "低保贫困户"})
    assert [h.number for h, _ in r.context["rows"]] == ["A0002"]
    r = client.get(reverse("web:households"), {"cause": "因病", "area": VILLAGE_A})
    assert [(h.number, n) for h, n in r.context["rows"]] == [("A0001", 3)]
    page = html(r)
    assert "沙田镇" in page and "水庄村" in page and "一般贫困户" in page and "未脱贫" in page


def test_list_and_detail_never_show_a_full_id_number(client, cast, homes):
    as_user(client, cast["clerk_a"])
    h = homes["a"]
    head = h.members.get(relation="户主")
    for url in [reverse("web:households") + "?q=" + head.id_number, reverse("web:household", args=[h.pk]),
                reverse("web:household_edit", args=[h.pk]),
                reverse("web:member_edit", args=[h.pk, head.pk])]:
        page = html(client.get(url))
        assert not FULL_ID.search(page), url
        assert "13807351234" not in page and "6230901234567890123" not in page, url
    detail = html(client.get(reverse("web:household", args=[h.pk])))
    assert head.id_number[:6] + "********" + head.id_number[-4:] in detail
    assert "138****1234" in detail


def test_keyset_paging_covers_every_row_once_and_goes_back(client, cast, monkeypatch):
    from fupin.web import selectors

    monkeypatch.setattr(selectors, "PAGE_SIZE", 5)
    for i in range(12):
        make_household(cast["clerk_a"], f"P{i:04d}", VILLAGE_A, size=1)
    as_user(client, cast["clerk_a"])
    seen, pages, params = [], [], {}
    while True:
        r = client.get(reverse("web:households"), params)
        nums = [h.number for h, _ in r.context["rows"]]
        pages.append((params, nums))
        seen += nums
        if not r.context["page"].next_key:
            break
        params = {"after": r.context["page"].next_key}
    assert seen == sorted(f"P{i:04d}" for i in range(12))
    assert [len(n) for _, n in pages] == [5, 5, 2]
    assert r.context["total"] == 12 and r.context["exact"]
    back = client.get(reverse("web:households"), {"before": r.context["page"].prev_key})
    assert [h.number for h, _ in back.context["rows"]] == pages[1][1]


def test_total_is_capped_not_counted_without_bound(client, cast, homes, monkeypatch):
    from fupin.web import selectors

    monkeypatch.setattr(selectors, "COUNT_CAP", 1)
    monkeypatch.setattr(selectors.capped_count, "__defaults__", (1,))
    as_user(client, cast["township_officer"])
    r = client.get(reverse("web:households"))
    assert r.context["exact"] is False and "超过" in html(r)


def test_htmx_request_gets_only_the_results_fragment(client, cast, homes):
    as_user(client, cast["clerk_a"])
    r = client.get(reverse("web:households"), {"q": "wjg"}, HTTP_HX_REQUEST="true")
    body = html(r)
    assert "A0001" in body and "<html" not in body


# ---------------------------------------------------------------- household page

def test_household_page_members_incomes_and_timeline(client, cast, homes):
    h = homes["a"]
    # The spouse died on 2017-06-30: 在户 on 2016-12-31, not on 2017-12-31 (Member.present_on).
    spouse = h.members.get(relation="配偶")
    Member.objects.filter(pk=spouse.pk).update(state="死亡", state_date=dt.date(2017, 6, 30))
    IncomeRecord.objects.create(household=h, year=2017, wage=5000, business=1000, property_income=0,
                                transfer=1000, business_cost=0)
    as_user(client, cast["clerk_a"])
    r = client.get(reverse("web:household", args=[h.pk]))
    incomes = {row.record.year: row for row in r.context["incomes"]}
    assert incomes[2016].present == 3 and str(incomes[2016].per_capita) == "3000.00"  # 9000 / 3
    assert incomes[2017].present == 2 and str(incomes[2017].per_capita) == "3500.00"  # 7000 / 2
    page = html(r)
    assert "9,000.00" in page and "3,000.00" in page and "3,500.00" in page
    assert "建档：户主 王建国，3 人" in page
    ages = {m["m"].relation: (m["m"].birth_date, m["age"]) for m in r.context["members"]}
    born, age = ages["户主"]
    today = dt.date.today()
    assert age == today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def test_timeline_is_newest_first(client, cast, homes):
    h = homes["a"]
    as_user(client, cast["clerk_a"])
    client.post(reverse("web:member_create", args=[h.pk]),
                {**member_row("", "王小明", new_id(dt.date(2012, 1, 1), "男"), "之孙子"), "户编号": ""})
    events = [r["e"].type for r in client.get(reverse("web:household", args=[h.pk])).context["events"]]
    assert events == ["member", "created"]


# ---------------------------------------------------------------- unmask (security.md 3)

def test_unmask_needs_a_reason(client, cast, homes):
    as_user(client, cast["clerk_a"])
    h = homes["a"]
    r = client.post(reverse("web:household_unmask", args=[h.pk]), {"reason": "  "})
    assert r.status_code == 400
    assert "须填写理由" in html(r) and not FULL_ID.search(html(r))
    assert not AuditEntry.objects.filter(action="pii.unmask").exists()


def test_unmask_with_reason_shows_full_numbers_once_and_is_audited(client, cast, homes):
    as_user(client, cast["clerk_a"])
    h = homes["a"]
    head = h.members.get(relation="户主")
    r = client.post(reverse("web:household_unmask", args=[h.pk]), {"reason": "核对低保名单"})
    assert r.status_code == 200
    assert head.id_number in html(r) and "13807351234" in html(r)
    assert "no-store" in r["Cache-Control"]
    e = AuditEntry.objects.get(action="pii.unmask")
    assert e.actor == cast["clerk_a"] and e.object_id == "A0001" and e.reason == "核对低保名单"
    # the next ordinary view is masked again
    assert not FULL_ID.search(html(client.get(reverse("web:household", args=[h.pk]))))


def test_unmask_without_permission_is_403_and_not_audited(client, cast, homes):
    as_user(client, cast["inspector"])
    r = client.post(reverse("web:household_unmask", args=[homes["a"].pk]), {"reason": "督查"})
    assert r.status_code == 403
    assert not FULL_ID.search(html(r))
    assert not AuditEntry.objects.filter(action="pii.unmask").exists()


# ---------------------------------------------------------------- create / edit through the forms

def create_post(number, village, head_name="陈明", **overrides):
    hh, members = family(number, village, head_name, size=1)
    data = {k: str(v) for k, v in hh.items()}
    for k, v in members[0].items():
        if k not in ("户编号", "姓名", "证件号码", "与户主关系"):
            data["户主." + k] = str(v)
    data["其他致贫原因"] = ["缺技术", "缺资金"]
    data.update(overrides)
    return data


def test_create_household_through_the_form(client, cast):
    as_user(client, cast["clerk_a"])
    r = client.post(reverse("web:household_create"), create_post("C0001", VILLAGE_A))
    h = Household.objects.get(number="C0001")
    assert r.status_code == 302 and r["Location"] == reverse("web:household", args=[h.pk])
    assert h.other_causes == ["缺技术", "缺资金"] and h.head_name == "陈明"
    assert h.members.get().relation == "户主"
    assert AuditEntry.objects.filter(action="household.create", actor=cast["clerk_a"]).count() == 1


def test_create_shows_validation_errors_in_chinese_next_to_the_fields(client, cast):
    as_user(client, cast["clerk_a"])
    data = create_post("C0002", VILLAGE_A, 工资性收入="-5", 住房安全等级="", **{"户主.性别": "女"})
    r = client.post(reverse("web:household_create"), data)
    assert r.status_code == 400
    page = html(r)
    assert "“工资性收入”不能为负数" in page
    assert "“住房安全等级”不能为空" in page
    assert "与证件号码" in page and "不符" in page  # the head's sex vs. the ID's digit 17
    assert "must be" not in page  # Chinese half only on a Chinese page
    fields = {fd.name: fd for _, fs in r.context["sections"] for fd in fs}
    assert fields["工资性收入"].errors and fields["工资性收入"].value == "-5"
    heads = {fd.name: fd for fd in r.context["head_fields"]}
    assert heads["户主.性别"].errors
    assert not Household.objects.filter(number="C0002").exists()


def test_clerk_b_cannot_create_in_village_a_through_the_form(client, cast):
    as_user(client, cast["clerk_b"])
    r = client.post(reverse("web:household_create"), create_post("C0003", VILLAGE_A))
    assert r.status_code == 400 and not Household.objects.filter(number="C0003").exists()
    # and the village picker offers only B
    r = client.get(reverse("web:household_create"))
    codes = [fd.choices for _, fs in r.context["sections"] for fd in fs if fd.name == "行政区划代码"][0]
    assert [c for c, _ in codes] == [VILLAGE_B]


def test_edit_household_round_trip_keeps_hidden_numbers(client, cast, homes):
    as_user(client, cast["clerk_a"])
    h = homes["a"]
    form = client.get(reverse("web:household_edit", args=[h.pk])).context
    values = {fd.name: fd.value for _, fs in form["sections"] for fd in fs}
    assert values["联系电话"] == "" and values["银行账号"] == ""  # never sent unmasked
    data = {k: v for k, v in values.items() if v not in ("", [])}
    data.update({"住房安全等级": "C", "version": "1", "其他致贫原因": ["缺技术"]})
    r = client.post(reverse("web:household_edit", args=[h.pk]), data)
    assert r.status_code == 302
    h.refresh_from_db()
    assert h.housing_grade == "C" and h.version == 2
    assert h.phone == "13807351234" and h.bank_account == "6230901234567890123"
    # a stale version is refused with a clear message
    r = client.post(reverse("web:household_edit", args=[h.pk]), {**data, "住房安全等级": "D"})
    assert r.status_code == 409 and "已被他人修改" in html(r)
    # a bad value comes back in Chinese next to its field
    r = client.post(reverse("web:household_edit", args=[h.pk]), {**data, "version": "2", "识别年度": "1999"})
    assert r.status_code == 400 and "“识别年度”应在 2013 到 2030 之间" in html(r)


def test_add_and_edit_member_through_the_form(client, cast, homes):
    as_user(client, cast["clerk_a"])
    h = homes["a"]
    idn = new_id(dt.date(2012, 4, 5), "女")
    data = {k: v for k, v in member_row(h.number, "王小红", idn, "之孙女").items() if k != "户编号"}
    assert client.post(reverse("web:member_create", args=[h.pk]), data).status_code == 302
    m = h.members.get(name="王小红")
    assert m.birth_date == idcard.birth_date(idn)  # taken from the ID number
    edit = client.get(reverse("web:member_edit", args=[h.pk, m.pk]))
    values = {fd.name: fd.value for fd in edit.context["fields"]}
    assert values["证件号码"] == "" and values["在校生状况"] == "非在校生"
    values.update({"在校生状况": "小学"})
    assert client.post(reverse("web:member_edit", args=[h.pk, m.pk]), values).status_code == 302
    m.refresh_from_db()
    assert m.school_status == "小学" and m.id_number == idn
    bad = {**values, "证件号码": "43102720120405123"}
    r = client.post(reverse("web:member_edit", args=[h.pk, m.pk]), bad)
    assert r.status_code == 400 and "证件号码应为 17 位数字加 1 位数字或 X" in html(r)


# ---------------------------------------------------------------- import

def csv_upload(name, rows, headers=None):
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=headers or list(rows[0].keys()))
    w.writeheader()
    w.writerows(rows)
    f = io.BytesIO(buf.getvalue().encode("utf-8"))
    f.name = name
    return f


def bad_files():
    hh, members = family("I0001", VILLAGE_A, "周强", size=2)
    members[1]["证件号码"] = members[1]["证件号码"][:-1] + ("0" if members[1]["证件号码"][-1] != "0" else "1")
    hh2 = household_row("I0002", VILLAGE_A, "吴刚", new_id(), 贫困户属性="中等户")
    m2 = member_row("I0002", "吴刚", hh2["户主证件号码"])
    return csv_upload("户.csv", [hh, hh2]), csv_upload("人.csv", members + [m2])


def test_import_page_shows_the_errors_table_for_a_bad_file(client, cast):
    as_user(client, cast["clerk_a"])
    hh, mm = bad_files()
    r = client.post(reverse("web:import"), {"households": hh, "members": mm}, follow=True)
    assert r.status_code == 200
    page = html(r)
    assert 'id="error-table"' in page and "未做任何修改" in page
    errors = r.context["errors"]
    assert {(e["sheet"], e["row"], e["column"], e["code"]) for e in errors} >= {
        ("人", 3, "证件号码", "E_ID_CHECKSUM"), ("户", 3, "贫困户属性", "E_ENUM")}
    assert "证件号码校验位错误" in page
    assert not Household.objects.filter(number__startswith="I").exists()
    assert not FULL_ID.search(page)
    # filter by code, and the report downloads in both formats
    job = Job.objects.get()
    r = client.get(reverse("web:job", args=[job.pk]), {"code": "E_ENUM"})
    assert [e["code"] for e in r.context["errors"]] == ["E_ENUM"]
    for fmt, magic in (("csv", "\ufeff工作表".encode()), ("xlsx", b"PK")):
        resp = client.get(reverse("web:job_report", args=[job.pk, fmt]))
        assert resp.status_code == 200
        assert b"".join(resp.streaming_content).startswith(magic), fmt


def test_import_a_good_file_and_dry_run(client, cast):
    as_user(client, cast["clerk_a"])
    hh, members = family("G0001", VILLAGE_A, "孙亮", size=2)
    r = client.post(reverse("web:import"), {"households": csv_upload("户.csv", [hh]),
                                            "members": csv_upload("人.csv", members), "dry_run": "1"}, follow=True)
    assert "校验通过" in html(r) and not Household.objects.filter(number="G0001").exists()
    r = client.post(reverse("web:import"), {"households": csv_upload("户.csv", [hh]),
                                            "members": csv_upload("人.csv", members)}, follow=True)
    assert "导入成功" in html(r) and r.context["result"]["created"] == 1
    assert Household.objects.get(number="G0001").members.count() == 2


@pytest.fixture
def eager_celery():
    """Run queued tasks in-process (Celery's eager mode), as the demo does."""
    from fupin.config.celery import app

    old = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = old


def test_big_upload_goes_to_a_job_with_a_progress_page(client, cast, settings, eager_celery,
                                                       django_capture_on_commit_callbacks):
    settings.IMPORT_BACKGROUND_BYTES = 10
    as_user(client, cast["clerk_a"])
    hh, mm = bad_files()
    with django_capture_on_commit_callbacks(execute=True) as queued:
        r = client.post(reverse("web:import"), {"households": hh, "members": mm})
    assert len(queued) == 1
    job = Job.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("web:job", args=[job.pk])
    # tests run Celery eagerly, so the job is finished once the request's transaction committed
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.result["error_count"] >= 2
    p = client.get(reverse("web:job_progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert p["HX-Refresh"] == "true"
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, done=5, total=20)
    page = html(client.get(reverse("web:job", args=[job.pk])))
    assert 'hx-trigger="every 1s"' in page and "25%" in page


def test_import_refuses_a_wrong_combination_of_files(client, cast):
    as_user(client, cast["clerk_a"])
    hh, _ = bad_files()
    r = client.post(reverse("web:import"), {"households": hh})
    assert r.status_code == 400 and "两个 CSV" in html(r) or "人.csv" in html(r)
    assert not Job.objects.exists()


def test_unreadable_workbook_is_reported_not_a_server_error(client, cast):
    as_user(client, cast["clerk_a"])
    f = io.BytesIO(b"this is not a zip file")
    f.name = "台账.xlsx"
    r = client.post(reverse("web:import"), {"xlsx": f}, follow=True)
    assert r.status_code == 200 and 'id="import-failed"' in html(r)


# ---------------------------------------------------------------- areas

def test_area_tree_counts_within_scope(client, cast, homes):
    make_household(cast["clerk_a"], "A0003", VILLAGE_A, size=1)
    as_user(client, cast["township_officer"])
    r = client.get(reverse("web:areas"))
    assert [(a.code, n) for a, n in r.context["rows"]] == [(TOWNSHIP, 3)]
    r = client.get(reverse("web:area", args=[TOWNSHIP]))
    counts = {a.code: n for a, n in r.context["children"]}
    assert counts[VILLAGE_A] == 2 and counts[VILLAGE_B] == 1
    assert client.get(reverse("web:area", args=["431027100000"])).status_code == 404  # another township


def test_village_page_shows_yearly_attributes(client, cast):
    from fupin.areas.models import VillageAttributes

    VillageAttributes.objects.create(village_id=VILLAGE_A, year=2017, rural_population=1234,
                                     items={"通硬化路": "是", "村集体经济收入": 52000})
    as_user(client, cast["clerk_a"])
    page = html(client.get(reverse("web:area", args=[VILLAGE_A])))
    assert "1,234" in page and "通硬化路：是" in page


# ---------------------------------------------------------------- audit

def test_audit_page_only_for_audit_readers_and_masks_ids(client, cast, homes):
    for who in ("clerk_a", "city_officer", "inspector"):
        as_user(client, cast[who])
        assert client.get(reverse("web:audit")).status_code == 404, who
    as_user(client, cast["auditor"])
    r = client.get(reverse("web:audit"), {"action": "member.create"})
    page = html(r)
    assert r.status_code == 200 and "member.create" in page
    assert not FULL_ID.search(page) and "********" in page
    assert {row["e"].action for row in r.context["rows"]} == {"member.create"}
    r = client.get(reverse("web:audit"), {"object_id": "B0001", "actor": "clerk_b"})
    assert {row["e"].object_id for row in r.context["rows"]} == {"B0001", "B0001/2016"}
    r = client.get(reverse("web:audit"), {"date_from": (dt.date.today() + dt.timedelta(days=1)).isoformat()})
    assert r.context["rows"] == []
