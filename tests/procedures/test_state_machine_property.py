"""Random sequences of actions by random people of the cast (hypothesis): a case is never in a
state its procedure does not have, its steps always chain, nobody takes two steps in a row, and
every transition has its audit row and its timeline event (domain.md 7, security.md 4 and 11)."""

import datetime as dt
import itertools

import hypothesis.strategies as st
from hypothesis import HealthCheck, settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from fupin.core.errors import ApplicationError
from fupin.core.models import AuditEntry
from fupin.procedures import machines as m
from fupin.procedures import services as ps
from fupin.procedures.models import Case
from fupin.registry.models import HouseholdEvent
from tests.procedures.conftest import T0
from tests.procedures.helpers import PEOPLE, make_for

NAMES = list(m.MACHINES)
VOTES = [None, {"agree": 9, "against": 1, "abstain": 0}, {"agree": 2, "against": 5, "abstain": 1}]


def test_random_actions_never_reach_an_illegal_state(crew):
    people = sorted(crew)
    reached: set[str] = set()

    class Procedures(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.t = T0
            self.households = {name: make_for(crew["clerk_a"], name, "431027101200") for name in NAMES}
            self.cases: list[Case] = []
            self.notices = []
            self.objections = []

        @rule(name=st.sampled_from(NAMES), who=st.sampled_from(people))
        def open(self, name, who):
            kind, _, sub = name.partition(":")
            try:
                self.cases.append(ps.case_open(actor=crew[who], household=self.households[name], kind=kind,
                                               sub_kind=sub, year=2017, opinion="比对发现", now=self.t))
            except ApplicationError:
                pass

        @precondition(lambda self: self.cases)
        @rule(i=st.integers(0, 50), who=st.sampled_from(people),
              action=st.sampled_from([m.APPROVE, m.APPROVE, m.REJECT, "open", "bogus"]),
              votes=st.sampled_from(VOTES), method=st.sampled_from(["", "帮扶后消除", "自然消除"]),
              opinion=st.sampled_from(["", "同意"]), days=st.sampled_from([0, 0, 1, 8, 200]))
        def act(self, i, who, action, votes, method, opinion, days):
            self.t += dt.timedelta(days=days)
            case = self.cases[i % len(self.cases)]
            try:
                ps.case_act(actor=crew[who], case=case, action=action, opinion=opinion, votes=votes, method=method,
                            now=self.t)
            except ApplicationError:
                pass

        @precondition(lambda self: self.cases)
        @rule(i=st.integers(0, 50), k=st.integers(0, 1), action=st.sampled_from([m.APPROVE, m.APPROVE, m.REJECT]),
              votes=st.sampled_from(VOTES), method=st.sampled_from(["", "帮扶后消除"]),
              days=st.sampled_from([0, 8, 200]), post=st.booleans())
        def act_at_level(self, i, k, action, votes, method, days, post):
            """One of the two people of the step's level (maybe the maker), so that walks get deep."""
            case = self.cases[i % len(self.cases)]
            case.refresh_from_db()
            if case.role_now is None:
                return
            who = crew[PEOPLE[case.role_now][k]]
            if post and case.machine.rule(case.state).notice:
                n, _ = ps.notice_create(actor=who, cases=[case], now=self.t)
                if n is not None:
                    self.notices.append(n)
            self.t += dt.timedelta(days=days)
            try:
                ps.case_act(actor=who, case=case, action=action, opinion="理由", votes=votes, method=method,
                            now=self.t)
            except ApplicationError:
                pass

        @precondition(lambda self: self.cases)
        @rule(i=st.integers(0, 50), who=st.sampled_from(people))
        def notice(self, i, who):
            n, _ = ps.notice_create(actor=crew[who], cases=[self.cases[i % len(self.cases)]], now=self.t)
            if n is not None:
                self.notices.append(n)

        @precondition(lambda self: self.notices)
        @rule(i=st.integers(0, 50), who=st.sampled_from(people))
        def object(self, i, who):
            n = self.notices[i % len(self.notices)]
            try:
                self.objections.append(ps.objection_record(actor=crew[who], notice=n, cases=list(
                    n.entries.values_list("case_id", flat=True)), content="群众反映", now=self.t))
            except ApplicationError:
                pass

        @precondition(lambda self: self.objections)
        @rule(i=st.integers(0, 50), who=st.sampled_from(people), upheld=st.booleans())
        def resolve(self, i, who, upheld):
            try:
                ps.objection_resolve(actor=crew[who], objection=self.objections[i % len(self.objections)],
                                     upheld=upheld, resolution="已核实", now=self.t)
            except ApplicationError:
                pass

        @invariant()
        def every_case_is_legal_and_audited(self):
            for case in self.cases:
                case.refresh_from_db()
                mach = case.machine
                assert case.state in mach.states
                assert case.closed == (case.state in mach.terminal)
                steps = list(case.steps.all())
                assert [s.seq for s in steps] == list(range(1, len(steps) + 1))
                assert steps[0].action == m.OPEN and steps[0].to_state == mach.start
                for a, b in itertools.pairwise(steps):
                    assert a.to_state == b.from_state
                    assert m.next_step(mach, b.from_state, b.action) == (b.to_state, b.actor_role)
                    assert a.actor_id != b.actor_id  # maker-checker
                assert steps[-1].to_state == case.state and case.last_actor_id == steps[-1].actor_id
                audits = AuditEntry.objects.filter(object_type="case", object_id=str(case.pk))
                assert audits.count() == len(steps)
                assert HouseholdEvent.objects.filter(household_id=case.household_id, type="procedure",
                                                     parameters__case=case.pk).count() == len(steps)
                if not case.closed:  # suspended exactly while an unresolved objection names it
                    assert case.suspended == case.objections.filter(resolved_at__isnull=True).exists()
                reached.update(s.to_state for s in steps)

    run_state_machine_as_test(Procedures, settings=settings(
        max_examples=20, stateful_step_count=60, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
    # the random walks get past the first steps, notices and rejections included
    print(sorted(reached))
    assert {"rejected", "village_notice", "township_review"} <= reached
