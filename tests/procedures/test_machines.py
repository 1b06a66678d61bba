"""Every allowed and every forbidden transition of the four procedures (domain.md section 7),
per role and level, with the audit row and household event each transition writes."""

import datetime as dt
import itertools

import pytest

from fupin.core.errors import ApplicationError, NotFound, PermissionDenied
from fupin.core.models import AuditEntry
from fupin.procedures import machines as m
from fupin.procedures import services as ps
from fupin.procedures.models import Case, Step
from fupin.registry.models import HouseholdEvent
from tests.procedures.conftest import T0
from tests.procedures.helpers import advance_to, open_case, person, requirements, success_terminal, take

ENTRIES = [(name, state, action, nxt, role) for name, mach in m.MACHINES.items()
           for (state, action), (nxt, role) in mach.table.items()]
OUTCOMES = {  # registry after a case reaches its outcome: (kind, status, exit_year)
    "identification": ("建档立卡户", "未脱贫", None),
    "adjustment:new_identification": ("建档立卡户", "未脱贫", None),
    "exit": ("建档立卡户", "已脱贫", 2017),
    "adjustment:return": ("建档立卡户", "返贫", None),
    "adjustment:natural_decrease": ("建档立卡户", "未脱贫", None),  # members remain: no status change
    "adjustment:removal": ("一般农户", "", None),
    "monitoring": ("建档立卡户", "已脱贫", 2016),  # risk eliminated: back to its status before
}


def _refusals(crew, case, action, allowed_role):
    """Each cast user who may not take this step: (user, expected exception)."""
    from fupin.accounts.access import in_scope

    out = []
    for name, user in crew.items():
        if user.role == allowed_role and in_scope(user, case.household.village_id):
            continue
        expected = NotFound if not in_scope(user, case.household.village_id) else PermissionDenied
        out.append((name, user, expected))
    return out


@pytest.mark.parametrize(("name", "state", "action", "nxt", "role"), ENTRIES,
                         ids=[f"{n}-{s}-{a}" for n, s, a, _, _ in ENTRIES])
def test_each_transition_is_taken_by_its_level_only(crew, household_for, name, state, action, nxt, role):
    case = open_case(crew, name, household_for(name), T0)
    t = advance_to(crew, case, state, T0)
    kw, t = requirements(crew, case, t, action)
    version, steps = case.version, case.steps.count()
    for uname, user, expected in _refusals(crew, case, action, role):
        with pytest.raises(expected):
            ps.case_act(actor=user, case=case, action=action, now=t, **kw)
    case.refresh_from_db()
    assert (case.state, case.version, case.steps.count()) == (state, version, steps)
    audits = AuditEntry.objects.filter(object_type="case", object_id=str(case.pk)).count()
    ps.case_act(actor=person(crew, case), case=case, action=action, now=t, **kw)
    case.refresh_from_db()
    assert case.state == nxt and case.version == version + 1
    assert case.closed == (nxt in case.machine.terminal)
    step = case.steps.last()
    assert (step.from_state, step.to_state, step.action, step.actor.role) == (state, nxt, action, role)
    assert AuditEntry.objects.filter(object_type="case", object_id=str(case.pk), action=f"case.{action}").count() >= 1
    assert AuditEntry.objects.filter(object_type="case", object_id=str(case.pk)).count() == audits + 1


@pytest.mark.parametrize("name", list(m.MACHINES))
def test_each_procedure_reaches_its_outcome_through_the_registry(crew, household_for, name):
    h = household_for(name)
    case = open_case(crew, name, h, T0)
    advance_to(crew, case, success_terminal(case.machine), T0)
    h.refresh_from_db()
    assert (h.kind, h.status, h.exit_year) == OUTCOMES[name]
    assert case.closed
    steps = list(case.steps.all())
    # the steps chain: each starts where the one before ended, opened first
    assert steps[0].action == m.OPEN and steps[0].from_state == ""
    assert all(a.to_state == b.from_state for a, b in itertools.pairwise(steps))
    # maker-checker held all the way: nobody took two steps in a row
    assert all(a.actor_id != b.actor_id for a, b in itertools.pairwise(steps))
    # one audit row and one readable timeline line per transition
    assert AuditEntry.objects.filter(object_type="case", object_id=str(case.pk)).count() == len(steps)
    assert HouseholdEvent.objects.filter(household=h, type="procedure").count() == len(steps)


@pytest.mark.parametrize("name", list(m.MACHINES))
def test_a_closed_case_takes_no_action(crew, household_for, name):
    case = open_case(crew, name, household_for(name), T0)
    advance_to(crew, case, success_terminal(case.machine), T0)
    for action in (m.APPROVE, m.REJECT, "open", "delete"):
        for user in crew.values():
            with pytest.raises(ApplicationError):
                ps.case_act(actor=user, case=case, action=action, opinion="x", now=T0 + dt.timedelta(days=400))


def test_rejection_needs_a_reason_and_closes_the_case(crew, household_for):
    h = household_for("exit")
    case = open_case(crew, "exit", h, T0)
    with pytest.raises(ApplicationError) as e:
        ps.case_act(actor=crew["clerk_a2"], case=case, action=m.REJECT, opinion="  ", now=T0)
    assert e.value.code == "E_REASON_REQUIRED"
    ps.case_act(actor=crew["clerk_a2"], case=case, action=m.REJECT, opinion="家中新增大病支出", now=T0)
    case.refresh_from_db()
    assert case.state == "rejected" and case.closed
    assert case.steps.last().reason == "家中新增大病支出"
    h.refresh_from_db()
    assert h.status == "未脱贫"
    ev = h.events.filter(type="procedure").first()
    assert "驳回" in ev.message and "家中新增大病支出" in ev.message
    # a new case may be opened once the old one is closed
    open_case(crew, "exit", h, T0)


def test_maker_checker_refuses_the_previous_steps_taker(crew, household_for):
    case = open_case(crew, "exit", household_for("exit"), T0)  # opened by clerk_a
    with pytest.raises(ApplicationError) as e:
        ps.case_act(actor=crew["clerk_a"], case=case, action=m.APPROVE, now=T0)
    assert e.value.code == "E_MAKER_CHECKER"
    assert "上一环节" in e.value.message and "previous step" in e.value.message
    ps.case_act(actor=crew["clerk_a2"], case=case, action=m.APPROVE, now=T0)
    with pytest.raises(ApplicationError) as e:
        ps.case_act(actor=crew["clerk_a2"], case=case, action=m.REJECT, opinion="撤回", now=T0)
    assert e.value.code == "E_MAKER_CHECKER"
    ps.case_act(actor=crew["clerk_a"], case=case, action=m.APPROVE, now=T0)
    case.refresh_from_db()
    assert case.state == "village_notice"


def test_democratic_review_needs_a_majority(crew, household_for):
    case = open_case(crew, "identification", household_for("identification"), T0)
    u = crew["clerk_a2"]
    for votes in (None, {"agree": 5, "against": 5, "abstain": 0}, {"agree": 3, "against": 2, "abstain": 2},
                  {"agree": -1}, {"agree": "x"}):
        with pytest.raises(ApplicationError) as e:
            ps.case_act(actor=u, case=case, action=m.APPROVE, votes=votes, now=T0)
        assert e.value.code == "E_VOTES"
    ps.case_act(actor=u, case=case, action=m.APPROVE, votes={"agree": 8, "against": 5, "abstain": 2}, now=T0)
    step = case.steps.last()
    assert (step.votes_agree, step.votes_against, step.votes_abstain) == (8, 5, 2)
    assert "同意 8，反对 5，弃权 2" in case.household.events.filter(type="procedure").first().message


def test_a_stale_version_is_refused(crew, household_for):
    case = open_case(crew, "exit", household_for("exit"), T0)
    stale = case.version
    ps.case_act(actor=crew["clerk_a2"], case=case, action=m.APPROVE, expected_version=stale, now=T0)
    with pytest.raises(ApplicationError) as e:
        ps.case_act(actor=crew["clerk_a"], case=case, action=m.APPROVE, expected_version=stale, now=T0)
    assert e.value.code == "E_CONFLICT"


def test_open_checks_the_household_and_refuses_a_second_open_case(crew, household_for):
    exited = household_for("monitoring")
    with pytest.raises(ApplicationError) as e:
        open_case(crew, "exit", exited, T0)
    assert e.value.code == "E_CASE_PRECONDITION"
    with pytest.raises(ApplicationError) as e:
        open_case(crew, "identification", exited, T0)
    assert e.value.code == "E_CASE_PRECONDITION"
    h = household_for("exit")
    open_case(crew, "exit", h, T0)
    with pytest.raises(ApplicationError) as e:
        open_case(crew, "exit", h, T0, opener="clerk_a2")
    assert e.value.code == "E_CASE_OPEN"
    assert Case.objects.filter(household=h).count() == 1
    with pytest.raises(NotFound):  # clerk B does not see village A's household
        open_case(crew, "exit", h, T0, opener="clerk_b")
    with pytest.raises(PermissionDenied):  # identification is applied for in the village
        open_case(crew, "identification", household_for("identification"), T0, opener="township_officer")
    with pytest.raises(ApplicationError) as e:
        ps.case_open(actor=crew["clerk_a"], household=h, kind="adjustment", sub_kind="removal", year=2017, now=T0)
    assert e.value.code == "E_REASON_REQUIRED"


def test_notice_step_waits_for_the_full_notice(crew, household_for):
    from tests.procedures.helpers import notice_days

    case = open_case(crew, "exit", household_for("exit"), T0)
    t = advance_to(crew, case, "village_notice", T0)
    u = person(crew, case)
    with pytest.raises(ApplicationError) as e:
        ps.case_act(actor=u, case=case, action=m.APPROVE, now=t)
    assert e.value.code == "E_NOTICE_REQUIRED"
    notice, _ = ps.notice_create(actor=crew["clerk_a"], cases=[case], now=t)
    assert notice.end - notice.start == dt.timedelta(days=notice_days()) and notice.days == notice_days()
    for late in (t, notice.end - dt.timedelta(minutes=1)):
        with pytest.raises(ApplicationError) as e:
            ps.case_act(actor=u, case=case, action=m.APPROVE, now=late)
        assert e.value.code == "E_NOTICE_RUNNING"
    ps.case_act(actor=u, case=case, action=m.APPROVE, now=notice.end)
    case.refresh_from_db()
    assert case.state == "township_review" and case.steps.last().notice_id == notice.pk


def test_risk_elimination_needs_the_packs_months_as_monitored(crew, household_for):
    from fupin.policy.packs import get_pack

    h = household_for("monitoring")
    case = open_case(crew, "monitoring", h, T0)
    t = advance_to(crew, case, "monitored", T0)
    h.refresh_from_db()
    assert h.status == "监测对象" and case.monitored_since is not None
    with pytest.raises(ApplicationError) as e:
        ps.case_act(actor=crew["clerk_a"], case=case, action=m.APPROVE, method="随便", now=t)
    assert e.value.code == "E_INVALID"
    t = advance_to(crew, case, "elimination_county", t)
    months = get_pack().min_months_before_elimination
    assert months == 6
    since = case.monitored_since
    too_soon = since.replace(month=since.month + months - 1)  # 5 months (T0 is in June)
    with pytest.raises(ApplicationError) as e:
        ps.case_act(actor=person(crew, case), case=case, action=m.APPROVE, now=too_soon)
    assert e.value.code == "E_MONITORING_TOO_SHORT"
    # a rejected elimination leaves the household monitored
    ps.case_act(actor=person(crew, case), case=case, action=m.REJECT, opinion="收入仍不稳定", now=too_soon)
    case.refresh_from_db()
    assert case.state == "monitored" and not case.closed
    t = advance_to(crew, case, "elimination_county", too_soon)
    ps.case_act(actor=person(crew, case), case=case, action=m.APPROVE, now=since.replace(month=since.month + months))
    case.refresh_from_db()
    h.refresh_from_db()
    assert case.state == "eliminated" and case.elimination_method == "帮扶后消除"
    assert (h.status, h.exit_year) == ("已脱贫", 2016)


def test_household_status_changes_only_through_procedures(crew, household_for):
    from fupin.registry import services as rs
    from fupin.registry.exchange_rows import as_text, household_row

    h = household_for("exit")
    head = h.members.get(relation="户主")
    row = as_text(household_row(h, head.id_number, h.incomes.first()))
    for header, value in (("脱贫状态", "已脱贫"), ("户类型", "一般农户"), ("脱贫年度", "2017")):
        with pytest.raises(ApplicationError) as e:
            rs.household_update(actor=crew["clerk_a"], household=h, data={**row, header: value})
        assert e.value.code == "E_STATUS_BY_PROCEDURE"
    # empty cells mean "unchanged", and other fields still change
    rs.household_update(actor=crew["clerk_a"], household=h, data={**row, "脱贫状态": "", "村民小组": "三组"})
    h.refresh_from_db()
    assert (h.status, h.group) == ("未脱贫", "三组")
    # a monitored household (监测对象 is not an importable status) can still be edited
    m_h = household_for("monitoring")
    case = open_case(crew, "monitoring", m_h, T0)
    advance_to(crew, case, "monitored", T0)
    m_h.refresh_from_db()
    row = as_text(household_row(m_h, m_h.members.get(relation="户主").id_number, m_h.incomes.first()))
    rs.household_update(actor=crew["clerk_a"], household=m_h, data={**row, "村民小组": "五组"})
    m_h.refresh_from_db()
    assert (m_h.status, m_h.exit_year, m_h.group) == ("监测对象", 2016, "五组")


def test_out_of_scope_cases_are_not_found(crew, household_for):
    case = open_case(crew, "exit", household_for("exit"), T0)
    for name in ("clerk_b", "helper"):
        with pytest.raises(NotFound):
            ps.case_act(actor=crew[name], case=case, action=m.APPROVE, now=T0)
    assert Step.objects.filter(case=case).count() == 1


def test_take_helper_walks_every_procedure(crew, household_for):
    """The test helper itself follows the tables (guards the other tests' set-up)."""
    for name in m.MACHINES:
        case = open_case(crew, name, household_for(name), T0)
        t = take(crew, case, T0)
        assert case.steps.count() == 2 and t > T0


def _monitored(crew, household_for):
    h = household_for("monitoring")
    case = open_case(crew, "monitoring", h, T0)
    t = advance_to(crew, case, "monitored", T0)
    return h, case, t


def test_risk_elimination_needs_no_trigger_and_someone_able_to_work(crew, household_for):
    """domain.md 6.5: the risk is eliminated only when no trigger holds on the check date and at least
    one member present is 普通劳动力 or 技能劳动力 — checked when the village proposes it and again
    when the county decides."""
    h, case, t = _monitored(crew, household_for)
    h.incomes.update(wage=0)  # 3,500 yuan for three: below the 2017 threshold
    with pytest.raises(ApplicationError) as e:
        ps.case_act(actor=person(crew, case), case=case, action=m.APPROVE, method="帮扶后消除", now=t)
    assert e.value.code == "E_CASE_PRECONDITION" and "人均纯收入低于监测标准" in e.value.message
    assert "INCOME" in e.value.message and e.value.extra["triggers"] == ["INCOME"]
    h.incomes.update(wage=6000)
    h.members.update(labour="无劳动力")
    with pytest.raises(ApplicationError) as e:
        ps.case_act(actor=person(crew, case), case=case, action=m.APPROVE, method="帮扶后消除", now=t)
    assert e.value.code == "E_CASE_PRECONDITION" and "劳动力" in e.value.message
    h.members.update(labour="普通劳动力")
    t = advance_to(crew, case, "elimination_county", t)  # proposed and passed by the township
    # the county decides half a year later: the income has dropped meanwhile
    h.incomes.update(wage=0)
    late = case.monitored_since + dt.timedelta(days=200)
    with pytest.raises(ApplicationError) as e:
        ps.case_act(actor=person(crew, case), case=case, action=m.APPROVE, now=late)
    assert e.value.code == "E_CASE_PRECONDITION" and "INCOME" in e.value.message
    case.refresh_from_db()
    assert case.state == "elimination_county"
    h.incomes.update(wage=6000)
    ps.case_act(actor=person(crew, case), case=case, action=m.APPROVE, now=late)
    case.refresh_from_db()
    assert case.state == "eliminated"


def test_risk_elimination_in_a_year_without_a_threshold_says_so(crew, household_for):
    h, case, t = _monitored(crew, household_for)
    h.incomes.update(year=2019)  # the 2019 income is recorded; the pack has no monitoring threshold for 2019
    with pytest.raises(ApplicationError) as e:
        ps.case_act(actor=person(crew, case), case=case, action=m.APPROVE, method="帮扶后消除",
                    now=t.replace(year=2019))
    assert e.value.code == "E_POLICY_YEAR" and "2019" in e.value.message


def test_the_six_months_are_counted_on_local_dates(crew, household_for):
    """Monitored from 1 June 00:30 Beijing time (31 May in UTC): the risk may be eliminated from
    1 December 00:30 — six calendar months on the dates people read, not five as in UTC."""
    tz = T0.tzinfo
    case = open_case(crew, "monitoring", household_for("monitoring"), dt.datetime(2017, 5, 10, 9, 0, tzinfo=tz))
    t = advance_to(crew, case, "county_decision", case.opened_at)
    since = dt.datetime(2017, 6, 1, 0, 30, tzinfo=tz)
    assert t < since
    ps.case_act(actor=person(crew, case), case=case, action=m.APPROVE, now=since)
    case.refresh_from_db()
    assert case.state == "monitored" and case.monitored_since == since
    advance_to(crew, case, "elimination_county", since)
    decide = dt.datetime(2017, 12, 1, 0, 30, tzinfo=tz)
    assert (since.astimezone(dt.UTC).day, decide.astimezone(dt.UTC).day) == (31, 30)
    with pytest.raises(ApplicationError) as e:
        ps.case_act(actor=person(crew, case), case=case, action=m.APPROVE, now=(decide - dt.timedelta(hours=1)).astimezone(dt.UTC))
    assert e.value.code == "E_MONITORING_TOO_SHORT"
    ps.case_act(actor=person(crew, case), case=case, action=m.APPROVE, now=decide.astimezone(dt.UTC))  # as timezone.now()
    case.refresh_from_db()
    assert case.state == "eliminated"


@pytest.mark.parametrize(("name", "monitoring_at", "word", "status"), [
    ("adjustment:return", "monitored", "因返贫办结", "返贫"),
    ("adjustment:removal", "township_review", "因清退办结", ""),
])
def test_another_procedures_outcome_closes_the_monitoring_case(crew, household_for, name, monitoring_at, word,
                                                               status):
    """返贫 or 清退 of a household under monitoring ends the monitoring: its open case is closed with a
    step saying why (no one could take its next step any more), an audit row and a timeline line."""
    h = household_for("monitoring")
    watch = open_case(crew, "monitoring", h, T0)
    t = advance_to(crew, watch, monitoring_at, T0)
    other = open_case(crew, name, h, t)
    advance_to(crew, other, success_terminal(other.machine), t)
    h.refresh_from_db()
    watch.refresh_from_db()
    assert h.status == status
    assert (watch.state, watch.closed, watch.state_label) == ("superseded", True, "因其他程序办结")
    step = watch.steps.last()
    assert (step.from_state, step.action, step.actor_id) == (monitoring_at, "close", other.last_actor_id)
    assert word in step.opinion and f"#{other.pk}" in step.opinion
    assert AuditEntry.objects.filter(object_type="case", object_id=str(watch.pk), action="case.close").count() == 1
    assert h.events.filter(type="procedure", parameters__case=watch.pk, message__contains=word).exists()
    for user in crew.values():  # closed: nobody acts on it, and a new monitoring case may be opened later
        with pytest.raises(ApplicationError):
            ps.case_act(actor=user, case=watch, action=m.APPROVE, method="帮扶后消除", now=t)
