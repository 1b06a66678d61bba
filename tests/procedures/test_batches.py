"""Batches as a clerk works them: propose the households that pass the exit assessment, put many
cases on one notice, approve the selected cases — each case on its own, with a summary line."""

import datetime as dt

from fupin.policy.models import AssessmentRun, HouseholdResult
from fupin.procedures import machines as m
from fupin.procedures import services as ps
from fupin.procedures.models import Case
from tests.cast import TOWNSHIP, VILLAGE_A, VILLAGE_B
from tests.procedures.conftest import T0
from tests.procedures.helpers import advance_to, open_case


def test_propose_exits_from_the_assessment(crew, household_for):
    from fupin.policy.packs import get_pack
    from fupin.policy.services import household_exit

    rich = [household_for("exit", head_name=f"甲{i}") for i in range(3)]
    rich.append(household_for("exit", village=VILLAGE_B, head_name="乙"))
    poor = household_for("exit", head_name="丙")
    poor.incomes.update(wage=0, business=0, transfer=0)
    already = household_for("exit", head_name="丁")
    open_case(crew, "exit", already, T0)
    exited = household_for("monitoring")  # already 已脱贫: not a candidate at all
    verdicts = {h.pk: household_exit(h, year=2016, pack=get_pack()).passed for h in [*rich, poor, already]}
    assert verdicts[poor.pk] is False and all(verdicts[h.pk] for h in rich)

    out = ps.batch_propose_exits(actor=crew["township_officer"], area_code=TOWNSHIP, year=2016, now=T0)
    by_number = {o.household: o for o in out}
    assert exited.number not in by_number
    assert all(by_number[h.number].done for h in rich)
    assert by_number[poor.number].code == "NOT_PASSED" and "未达到退出标准" in by_number[poor.number].message
    assert by_number[already.number].code == "E_CASE_OPEN"
    assert Case.objects.filter(kind="exit", state="verification").count() == 5
    assert all(c.opened_by == crew["township_officer"] for c in Case.objects.filter(household__in=rich))


def test_propose_exits_reads_the_latest_stored_run(crew, household_for):
    """A stored run's verdict wins over computing now (the result for year Y is the latest succeeded run)."""
    a, b = household_for("exit"), household_for("exit")
    run = AssessmentRun.objects.create(kind=AssessmentRun.Kind.HOUSEHOLDS, year=2016, as_of=dt.date(2016, 12, 31),
                                       area_id=TOWNSHIP, pack_name="hunan", pack_version="1", pack_sha256="0" * 64,
                                       status=AssessmentRun.Status.SUCCEEDED, actor=crew["county_officer"])
    HouseholdResult.objects.create(run=run, household=a, year=2016, passed=False,
                                   reasons="HOUSING")
    out = {o.household: o for o in ps.batch_propose_exits(actor=crew["clerk_a"], area_code=VILLAGE_A, year=2016,
                                                          now=T0)}
    assert not out[a.number].done and "HOUSING" in out[a.number].message
    assert out[b.number].done  # no stored result: computed now, passes


def test_one_notice_for_forty_cases_then_batch_approve(crew, household_for):
    cases = []
    for i in range(40):
        c = open_case(crew, "exit", household_for("exit", head_name=f"户{i}"), T0)
        cases.append(c)
    out = ps.batch_act(actor=crew["clerk_a2"], cases=cases, action=m.APPROVE, opinion="核实", now=T0)
    assert all(o.done for o in out)
    out = ps.batch_act(actor=crew["clerk_a"], cases=cases, action=m.APPROVE, opinion="已签字", now=T0)
    assert all(o.done for o in out)
    notice, out = ps.notice_create(actor=crew["clerk_a"], cases=cases, now=T0)
    assert notice.entries.count() == 40 and len(notice.rows) == 40 and all(o.done for o in out)
    # before the end nothing passes, each case says why
    out = ps.batch_act(actor=crew["clerk_a2"], cases=cases, action=m.APPROVE, now=notice.end - dt.timedelta(hours=1))
    assert {o.code for o in out} == {"E_NOTICE_RUNNING"}
    # one case suspended by an objection and one stale version: the others go through
    ps.objection_record(actor=crew["clerk_a"], notice=notice, cases=[cases[0]], content="反映", now=T0)
    versions = {c.pk: Case.objects.get(pk=c.pk).version for c in cases}
    versions[cases[1].pk] -= 1
    out = ps.batch_act(actor=crew["clerk_a2"], cases=cases, action=m.APPROVE, versions=versions, now=notice.end)
    codes = {o.case_id: o.code for o in out if not o.done}
    assert codes == {cases[0].pk: "E_CASE_SUSPENDED", cases[1].pk: "E_CONFLICT"}
    assert Case.objects.filter(state="township_review").count() == 38


def test_batch_reports_cases_outside_scope_as_not_found(crew, household_for):
    mine = open_case(crew, "exit", household_for("exit"), T0)
    theirs = open_case(crew, "exit", household_for("exit", village=VILLAGE_B), T0, opener="clerk_b")
    out = ps.batch_act(actor=crew["clerk_a2"], cases=[mine, theirs, 999999], action=m.APPROVE, now=T0)
    assert [(o.case_id, o.done, o.code) for o in out] == [
        (mine.pk, True, ""), (theirs.pk, False, "E_NOT_FOUND"), (999999, False, "E_NOT_FOUND")]
    assert out[1].household == ""  # nothing about the other village's household is revealed
    theirs.refresh_from_db()
    assert theirs.state == "verification"


def test_work_lists_overdue_notices_and_counts(crew, household_for):
    from fupin.procedures import selectors as sel

    a = open_case(crew, "exit", household_for("exit"), T0)
    b = open_case(crew, "exit", household_for("exit"), T0)
    advance_to(crew, b, "township_review", T0)
    c = open_case(crew, "identification", household_for("identification"), T0)
    theirs = open_case(crew, "exit", household_for("exit", village=VILLAGE_B), T0, opener="clerk_b")
    assert set(sel.work_list(user=crew["clerk_a2"])) == {a, c}
    assert set(sel.work_list(user=crew["clerk_a"])) == set()  # opened them both: someone else takes the next step
    assert set(sel.work_list(user=crew["clerk_b"])) == set()
    assert set(sel.work_list(user=crew["township_officer"])) == {b}
    assert set(sel.work_list(user=crew["county_officer"])) == set()
    assert sel.counts_by_step(user=crew["county_officer"]) == {
        ("exit", "township_review"): 1, ("exit", "verification"): 2, ("identification", "village_review"): 1}
    assert sel.counts_by_step(user=crew["clerk_a"]) == {
        ("exit", "township_review"): 1, ("exit", "verification"): 1, ("identification", "village_review"): 1}
    assert theirs not in sel.case_list(user=crew["clerk_a"])
    # a notice whose cases still wait after its end is overdue
    d = open_case(crew, "exit", household_for("exit"), T0)
    advance_to(crew, d, "village_notice", T0)
    notice, _ = ps.notice_create(actor=crew["clerk_a"], cases=[d], now=T0)
    assert list(sel.overdue_notices(user=crew["clerk_a"], now=notice.end - dt.timedelta(seconds=1))) == []
    assert list(sel.overdue_notices(user=crew["clerk_a"], now=notice.end)) == [notice]
    assert list(sel.overdue_notices(user=crew["clerk_b"], now=notice.end)) == []
    ps.case_act(actor=crew["clerk_a2"] if d.last_actor_id != crew["clerk_a2"].pk else crew["clerk_a"], case=d,
                action=m.APPROVE, now=notice.end)
    assert list(sel.overdue_notices(user=crew["clerk_a"], now=notice.end)) == []


def test_counts_by_step_are_counted_by_the_database(crew, household_for):
    """The dashboard counts come back as one row per procedure and step (GROUP BY), not one row per
    open case — a county has tens of thousands of them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fupin.procedures import selectors as sel

    cases = [open_case(crew, "exit", household_for("exit"), T0) for _ in range(5)]
    advance_to(crew, cases[0], "village_notice", T0)
    with CaptureQueriesContext(connection) as q:
        counts = sel.counts_by_step(user=crew["county_officer"])
    assert counts == {("exit", "verification"): 4, ("exit", "village_notice"): 1}
    case_queries = [x["sql"] for x in q.captured_queries if "procedures_case" in x["sql"]]
    assert len(case_queries) == 1 and "GROUP BY" in case_queries[0] and "COUNT(" in case_queries[0]


def test_propose_exits_runs_as_a_background_job(crew, household_for, client, django_capture_on_commit_callbacks):
    """The page starts a job and shows its progress, then the summary; the job is its starter's."""
    from fupin.jobs.models import Job

    rich = [household_for("exit", head_name=f"甲{i}") for i in range(3)]
    poor = household_for("exit", head_name="丙")
    poor.incomes.update(wage=0, business=0, transfer=0)
    client.force_login(crew["township_officer"])
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post("/procedures/batch/exits/", {"area": TOWNSHIP, "year": "2016"})
    job = Job.objects.get(kind="propose_exits")
    assert r.status_code == 302 and r["Location"] == f"/procedures/batch/exits/jobs/{job.pk}/"
    assert job.status == "succeeded" and job.actor == crew["township_officer"]
    assert (job.done, job.total) == (4, 4) and job.result["done"] == 3 and job.result["skipped"] == 1
    page = client.get(r["Location"]).content.decode()
    assert "完成 <strong>3</strong>" in page and "跳过 <strong>1</strong>" in page and "未达到退出标准" in page
    assert Case.objects.filter(kind="exit", household__in=rich).count() == 3
    client.force_login(crew["county_officer"])
    assert client.get(r["Location"]).status_code == 404


def test_propose_exits_commits_chunk_by_chunk(crew, household_for):
    """Households are read a chunk at a time (by id, no huge IN list) with progress after each chunk."""
    hs = [household_for("exit") for _ in range(5)]
    seen = []
    out = ps.batch_propose_exits(actor=crew["clerk_a"], area_code=VILLAGE_A, year=2016, now=T0, chunk=2,
                                 progress=lambda done, total, stage: seen.append((done, total)))
    assert seen == [(2, 5), (4, 5), (5, 5)]
    assert sorted(o.household for o in out if o.done) == sorted(h.number for h in hs)
