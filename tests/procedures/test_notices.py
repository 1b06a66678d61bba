"""Public notices (domain.md 7): length from the pack, de-identified content in every form it is
published (page, PDF), objections that suspend the cases they name, public read without login."""

import datetime as dt
import hashlib
import re
import shutil
import subprocess

import pytest

from fupin.core.errors import ApplicationError, NotFound
from fupin.core.models import AuditEntry
from fupin.procedures import machines as m
from fupin.procedures import services as ps
from fupin.procedures.models import Notice
from tests.cast import VILLAGE_B
from tests.procedures.conftest import T0
from tests.procedures.helpers import advance_to, notice_days, open_case, person

ID = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
PHONE = re.compile(r"(?<!\d)1\d{10}(?!\d)")
ACCOUNT = re.compile(r"(?<!\d)\d{12,21}(?!\d)")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _at_village_notice(crew, household_for, n=3, name="exit"):
    cases = []
    for i in range(n):
        c = open_case(crew, name, household_for(name, head_name=["王建国", "李四", "赵六"][i % 3]), T0)
        advance_to(crew, c, "village_notice", T0)
        cases.append(c)
    return cases


def _pii(h) -> list[str]:
    return [h.phone, h.bank_account, *h.members.values_list("id_number", flat=True)]


def _assert_deidentified(text: str, households):
    assert not ID.search(text) and not PHONE.search(text) and not ACCOUNT.search(text)
    for h in households:
        for secret in _pii(h):
            assert secret and secret not in text


def test_one_village_notice_for_many_cases_runs_the_packs_days(crew, household_for):
    cases = _at_village_notice(crew, household_for)
    notice, out = ps.notice_create(actor=crew["clerk_a"], cases=cases, now=T0)
    assert [o.done for o in out] == [True, True, True]
    assert notice.level == "village" and notice.area_id == cases[0].household.village_id
    assert notice.end == T0 + dt.timedelta(days=notice_days()) == T0 + dt.timedelta(days=7)
    assert notice.title.endswith("拟退出贫困户公示") and "2017年" in notice.title
    assert [r["name"] for r in notice.rows] == ["王建国", "李四", "赵六"]
    assert set(notice.rows[0]) == {"name", "village", "group", "attribute", "matter"}
    assert AuditEntry.objects.filter(action="notice.create", object_id=str(notice.pk)).count() == 1
    assert cases[0].household.events.filter(type="notice").count() == 1
    # the same cases cannot be put on a second notice for the same step
    again, out = ps.notice_create(actor=crew["clerk_a2"], cases=cases, now=T0)
    assert again is None and {o.code for o in out} == {"E_NOTICE_SCOPE"}


def test_notice_skips_cases_of_other_steps_areas_and_levels(crew, household_for):
    at_notice = _at_village_notice(crew, household_for, n=1)[0]
    early = open_case(crew, "exit", household_for("exit"), T0)  # 入户核实, no notice there
    other = open_case(crew, "exit", household_for("exit", village=VILLAGE_B), T0, opener="clerk_b")
    notice, out = ps.notice_create(actor=crew["clerk_a"], cases=[at_notice, early, other], now=T0)
    by_case = {o.case_id: o for o in out}
    assert by_case[at_notice.pk].done
    assert by_case[early.pk].code == "E_NOTICE_SCOPE"
    assert by_case[other.pk].code == "E_NOTICE_SCOPE" or by_case[other.pk].code == "E_NOT_FOUND"
    assert notice.entries.count() == 1
    # a township officer does not post the village's notice (the village level does)
    c2 = _at_village_notice(crew, household_for, n=1)[0]
    none, out = ps.notice_create(actor=crew["township_officer"], cases=[c2], now=T0)
    assert none is None and out[0].code == "E_PERMISSION"


def test_every_notice_level_is_deidentified_in_page_and_pdf(crew, household_for, client):
    """Village, township and county notices of each procedure: no ID number, phone or account in the
    public page, the staff page or the PDF (security.md 2)."""
    households, notices = [], []
    for name in ("identification", "exit", "adjustment:removal", "monitoring", "adjustment:return"):
        h = household_for(name, head_name="王建国")
        households.append(h)
        case = open_case(crew, name, h, T0)
        t = T0
        for _ in range(12):
            if case.closed:
                break
            rule = case.machine.rule(case.state)
            if rule.notice:
                n, _ = ps.notice_create(actor=person(crew, case), cases=[case], now=t)
                notices.append(n)
                t = n.end
            kw = {"votes": {"agree": 9, "against": 1, "abstain": 0}} if rule.votes else {}
            if rule.method or case.state == "monitored":
                break
            ps.case_act(actor=person(crew, case), case=case, action=m.APPROVE, now=t, **kw)
            case.refresh_from_db()
    assert {n.level for n in notices} == {"village", "township", "county"}
    pdftotext = shutil.which("pdftotext")
    client.force_login(crew["county_officer"])
    for n in notices:
        public = client.get(f"/notices/{n.pk}/")
        staff = client.get(f"/procedures/notices/{n.pk}/")
        assert public.status_code == 200 and staff.status_code == 200
        for resp in (public, staff):
            _assert_deidentified(resp.content.decode(), households)
        assert "王建国" in public.content.decode()
        pdf = client.get(f"/notices/{n.pk}.pdf")
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
        content = b"".join(pdf.streaming_content)
        assert content.startswith(b"%PDF")
        if pdftotext:
            text = subprocess.run([pdftotext, "-", "-"], input=content, capture_output=True,
                                  check=True).stdout.decode()
            assert "王建国" in text and n.word in text
            _assert_deidentified(text, households)


def test_free_text_that_looks_like_a_number_is_masked_on_the_notice(crew, household_for):
    from fupin.registry.models import Household

    c = _at_village_notice(crew, household_for, n=1)[0]
    Household.objects.filter(pk=c.household_id).update(group="一组 电话13807351234")
    notice, _ = ps.notice_create(actor=crew["clerk_a"], cases=[c], now=T0)
    assert "13807351234" not in str(notice.rows) and "138****1234" in notice.rows[0]["group"]


def test_objection_suspends_named_cases_until_resolved(crew, household_for):
    cases = _at_village_notice(crew, household_for)
    notice, _ = ps.notice_create(actor=crew["clerk_a"], cases=cases, now=T0)
    objecting = cases[:2]
    obj = ps.objection_record(actor=crew["clerk_a"], notice=notice, cases=objecting,
                              content="群众反映该户有子女在城里买房", now=T0 + dt.timedelta(days=2))
    for c in cases:
        c.refresh_from_db()
    assert [c.suspended for c in cases] == [True, True, False]
    end = notice.end
    with pytest.raises(ApplicationError) as e:
        ps.case_act(actor=person(crew, cases[0]), case=cases[0], action=m.APPROVE, now=end)
    assert e.value.code == "E_CASE_SUSPENDED"
    ps.case_act(actor=person(crew, cases[2]), case=cases[2], action=m.APPROVE, now=end)  # the unnamed case goes on
    # a second objection on case 0: resolving the first one leaves case 0 suspended
    obj2 = ps.objection_record(actor=crew["township_officer"], notice=notice, cases=[cases[0]], content="又一反映",
                               now=end)
    ps.objection_resolve(actor=crew["township_officer"], objection=obj, upheld=False,
                         resolution="经核实，房产为亲属所有", now=end)
    obj.refresh_from_db()
    assert obj.resolved_by == crew["township_officer"] and obj.resolution and obj.upheld is False
    for c in cases:
        c.refresh_from_db()
    assert (cases[0].suspended, cases[1].suspended) == (True, False)
    ps.case_act(actor=person(crew, cases[1]), case=cases[1], action=m.APPROVE, now=end)
    ps.objection_resolve(actor=crew["clerk_a2"], objection=obj2, upheld=True, resolution="属实", now=end)
    cases[0].refresh_from_db()
    assert not cases[0].suspended
    ps.case_act(actor=person(crew, cases[0]), case=cases[0], action=m.REJECT, opinion="异议属实：城区有房", now=end)
    with pytest.raises(ApplicationError) as e:
        ps.objection_resolve(actor=crew["clerk_a2"], objection=obj2, upheld=True, resolution="再次", now=end)
    assert e.value.code == "E_TRANSITION"
    assert AuditEntry.objects.filter(action__startswith="objection.", object_id=str(notice.pk)).count() == 4
    assert cases[0].household.events.filter(type="objection").count() == 4


def test_objection_rules(crew, household_for):
    cases = _at_village_notice(crew, household_for, n=2)
    notice, _ = ps.notice_create(actor=crew["clerk_a"], cases=cases[:1], now=T0)
    with pytest.raises(ApplicationError) as e:  # the case is not on this notice
        ps.objection_record(actor=crew["clerk_a"], notice=notice, cases=[cases[1]], content="x", now=T0)
    assert e.value.code == "E_NOTICE_SCOPE"
    with pytest.raises(ApplicationError) as e:
        ps.objection_record(actor=crew["clerk_a"], notice=notice, cases=[cases[0]], content=" ", now=T0)
    assert e.value.code == "E_REASON_REQUIRED"
    with pytest.raises(NotFound):  # clerk B does not see village A's notice
        ps.objection_record(actor=crew["clerk_b"], notice=notice, cases=[cases[0]], content="x", now=T0)


def test_public_read_needs_no_login_and_staff_pages_are_scoped(crew, household_for, client):
    cases = _at_village_notice(crew, household_for, n=1)
    notice, _ = ps.notice_create(actor=crew["clerk_a"], cases=cases, now=dt.datetime.now(dt.UTC))
    assert client.get("/notices/").status_code == 200 and notice.title in client.get("/notices/").content.decode()
    assert client.get(f"/notices/{notice.pk}/").status_code == 200
    assert client.get(f"/notices/{notice.pk + 999}/").status_code == 404
    assert client.get(f"/procedures/notices/{notice.pk}/").status_code == 302  # to the login page
    client.force_login(crew["clerk_b"])
    assert client.get(f"/procedures/notices/{notice.pk}/").status_code == 404
    assert client.get(f"/procedures/cases/{cases[0].pk}/").status_code == 404
    assert notice.title not in client.get("/procedures/notices/").content.decode()
    client.force_login(crew["township_officer"])
    assert client.get(f"/procedures/notices/{notice.pk}/").status_code == 200
    assert Notice.objects.count() == 1


def test_an_upheld_objection_leaves_only_a_rejection(crew, household_for):
    """Resolving an objection lifts the suspension either way, but once it is upheld the step whose
    notice it was raised against cannot be approved — only rejected (domain.md 7)."""
    cases = _at_village_notice(crew, household_for, n=2)
    notice, _ = ps.notice_create(actor=crew["clerk_a"], cases=cases, now=T0)
    end = notice.end
    upheld = ps.objection_record(actor=crew["clerk_a"], notice=notice, cases=[cases[0]], content="子女在城里买房",
                                 now=T0)
    dismissed = ps.objection_record(actor=crew["clerk_a"], notice=notice, cases=[cases[1]], content="反映收入偏高",
                                    now=T0)
    ps.objection_resolve(actor=crew["township_officer"], objection=upheld, upheld=True, resolution="属实", now=end)
    ps.objection_resolve(actor=crew["township_officer"], objection=dismissed, upheld=False, resolution="不属实",
                         now=end)
    for c in cases:
        c.refresh_from_db()
        assert not c.suspended
    with pytest.raises(ApplicationError) as e:
        ps.case_act(actor=person(crew, cases[0]), case=cases[0], action=m.APPROVE, now=end)
    assert e.value.code == "E_OBJECTION_UPHELD" and "异议成立" in e.value.message and "rejected" in e.value.message
    cases[0].refresh_from_db()
    assert cases[0].state == "village_notice"
    out = ps.batch_act(actor=person(crew, cases[0]), cases=cases, action=m.APPROVE, now=end)
    assert [(o.case_id, o.done, o.code) for o in out] == [(cases[0].pk, False, "E_OBJECTION_UPHELD"),
                                                          (cases[1].pk, True, "")]
    ps.case_act(actor=person(crew, cases[0]), case=cases[0], action=m.REJECT, opinion="异议属实：城区有房", now=end)
    cases[0].refresh_from_db()
    assert cases[0].state == "rejected" and cases[0].closed


def test_public_notices_are_readable_while_running_and_for_the_grace_period_only(crew, household_for, client,
                                                                                settings):
    """Anonymous readers see running notices and those ended within FUPIN_NOTICE_PUBLIC_DAYS — page,
    list and PDF; ?all=1 does not widen that for them. Staff of the notice's area still see older ones."""
    settings.FUPIN_NOTICE_PUBLIC_DAYS = 30
    now = dt.datetime.now(dt.UTC)
    recent, old = _at_village_notice(crew, household_for, n=2)
    days = notice_days()
    n_recent, _ = ps.notice_create(actor=crew["clerk_a"], cases=[recent], now=now - dt.timedelta(days=days + 29),
                                   title="近期公示")
    n_old, _ = ps.notice_create(actor=crew["clerk_a"], cases=[old], now=now - dt.timedelta(days=days + 31),
                                title="过期公示")
    for query in ("", "?all=1"):
        page = client.get(f"/notices/{query}").content.decode()
        assert "近期公示" in page and "过期公示" not in page
    assert client.get(f"/notices/{n_recent.pk}/").status_code == 200
    assert client.get(f"/notices/{n_old.pk}/").status_code == 404
    assert client.get(f"/notices/{n_old.pk}.pdf").status_code == 404
    settings.FUPIN_NOTICE_PUBLIC_DAYS = 40  # the operator's setting decides
    assert client.get(f"/notices/{n_old.pk}/").status_code == 200
    settings.FUPIN_NOTICE_PUBLIC_DAYS = 30
    client.force_login(crew["township_officer"])  # staff of its area: the staff page links to its PDF
    assert client.get(f"/notices/{n_old.pk}/").status_code == 200
    assert "过期公示" in client.get("/notices/?all=1").content.decode()
    assert "过期公示" not in client.get("/notices/").content.decode()
    client.force_login(crew["clerk_b"])  # another village's clerk: like the public
    assert client.get(f"/notices/{n_old.pk}/").status_code == 404
    assert "过期公示" not in client.get("/notices/?all=1").content.decode()


def test_the_board_notice_pdf_is_rendered_once_and_served_from_storage(crew, household_for, client, settings):
    from pathlib import Path

    from fupin.areas.models import Area

    c = _at_village_notice(crew, household_for, n=1)[0]
    notice, _ = ps.notice_create(actor=crew["clerk_a"], cases=[c], now=dt.datetime.now(dt.UTC))
    first = client.get(f"/notices/{notice.pk}.pdf")
    body = b"".join(first.streaming_content)
    assert first.status_code == 200 and first["Content-Type"] == "application/pdf" and body.startswith(b"%PDF")
    notice.refresh_from_db()
    assert notice.pdf_sha256 == hashlib.sha256(body).hexdigest() and first["ETag"] == f'"{notice.pdf_sha256}"'
    stored = Path(settings.MEDIA_ROOT) / notice.pdf_path
    assert stored.read_bytes() == body and notice.pdf_sha256 in notice.pdf_path
    # a new rendering would show the issuer's new name: the second request gets the stored file
    Area.objects.filter(code=notice.area_id).update(name="改名村", full_name="改名村")
    again = client.get(f"/notices/{notice.pk}.pdf")
    assert b"".join(again.streaming_content) == body
    assert client.get(f"/notices/{notice.pk}.pdf", HTTP_IF_NONE_MATCH=f'"{notice.pdf_sha256}"').status_code == 304
