"""Driving cases through their procedures in tests: the right person for each step, a notice
where a step needs one, and a clock moved past the notice's end."""

import datetime as dt

from fupin.policy.packs import get_pack
from fupin.procedures import machines as m
from fupin.procedures import services as ps
from tests.factories import family
from tests.procedures.conftest import next_number

PEOPLE = {"village": ["clerk_a", "clerk_a2"], "township": ["township_officer", "township_officer2"],
          "county": ["county_officer", "county_officer2"]}
VOTES = {"agree": 12, "against": 2, "abstain": 1}


def make_for(actor, name: str, village: str, head_name: str = "张三"):
    """A household whose registry state lets a case of procedure `name` be opened."""
    from fupin.registry.services import household_create

    number = next_number(village)
    kw = {}
    if name in (m.IDENTIFICATION, "adjustment:new_identification"):
        kw = {"户类型": "一般农户", "脱贫状态": "", "贫困户属性": "", "主要致贫原因": "", "其他致贫原因": ""}
    elif name in (m.MONITORING, "adjustment:return"):
        kw = {"脱贫状态": "已脱贫", "脱贫年度": 2016}
    hh, members = family(number, village, head_name, 3, **kw)
    for mem in members:  # children at school: the household passes the exit assessment (6.1)
        if mem["与户主关系"] in ("之子", "之女"):
            mem["在校生状况"] = "小学"
    if name == "adjustment:natural_decrease":
        members[-1].update({"成员状态": "死亡", "状态变更日期": "2017-02-03"})
    return household_create(actor=actor, household=hh, members=members)


def person(crew, case, role: str | None = None):
    """Someone of the step's level who did not take the previous step."""
    role = role or case.role_now
    return next(crew[n] for n in PEOPLE[role] if crew[n].pk != case.last_actor_id)


def open_case(crew, name: str, household, t, opener: str = "clerk_a"):
    kind, _, sub = name.partition(":")
    return ps.case_open(actor=crew[opener], household=household, kind=kind, sub_kind=sub, year=2017,
                        opinion="本人申请" if sub != m.REMOVAL else "比对发现：家庭成员有经营公司", now=t)


def requirements(crew, case, t, action: str = m.APPROVE) -> tuple[dict, dt.datetime]:
    """What passing the step needs (votes, method), putting the case on a notice and moving the
    clock past its end when the step is a notice step. Returns (kwargs, new time)."""
    rule = case.machine.rule(case.state)
    kw = {}
    if action == m.REJECT:
        return {"opinion": "材料不实"}, t
    kw["opinion"] = "同意"
    if rule.votes:
        kw["votes"] = VOTES
    if rule.method:
        kw["method"] = "帮扶后消除"
    if rule.notice:
        notice, out = ps.notice_create(actor=person(crew, case), cases=[case], now=t)
        assert notice is not None, out
        t = notice.end
    if rule.min_months:
        t = max(t, case.monitored_since + dt.timedelta(days=190))
    return kw, t


def take(crew, case, t, action: str = m.APPROVE):
    case.refresh_from_db()
    kw, t = requirements(crew, case, t, action)
    ps.case_act(actor=person(crew, case), case=case, action=action, now=t, **kw)
    case.refresh_from_db()
    return t + dt.timedelta(hours=1)


def advance_to(crew, case, state: str, t):
    """Approve step after step until the case waits at `state`."""
    guard = 0
    while case.state != state:
        t = take(crew, case, t)
        guard += 1
        assert guard < 20 and not (case.closed and case.state != state), case.state
    return t


def success_terminal(machine: m.Machine) -> str:
    return next(s for s in machine.terminal if s not in ("rejected", m.SUPERSEDED))


def notice_days() -> int:
    return get_pack().notice_days["household"]
