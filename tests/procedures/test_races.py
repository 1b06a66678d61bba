"""Concurrent approvals of the same case give exactly one transition (security.md 11): 8 threads,
each with its own database connection, 50 trials; and a batch approval overlapping single ones.
PostgreSQL only: the case row is locked with SELECT … FOR UPDATE (SQLite serialises writers)."""

import threading

import pytest
from django.db import connection

from fupin.core.errors import ApplicationError
from fupin.core.models import AuditEntry
from fupin.procedures import machines as m
from fupin.procedures import services as ps
from fupin.procedures.models import Case, Step
from tests.cast import PASSWORD, TOWNSHIP
from tests.procedures.conftest import T0
from tests.procedures.helpers import advance_to, open_case

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True),
              pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")]
THREADS, TRIALS = 8, 50


@pytest.fixture
def officers(crew):
    from fupin.accounts.services import user_create

    return [user_create(actor=None, username=f"township_racer{i}", role="township", area_codes=[TOWNSHIP],
                        password=PASSWORD, validate=False) for i in range(THREADS)]


def _race(jobs):
    """Run the callables at once (a barrier releases them together); [(ok, code)] per job."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def run(i, job):
        try:
            barrier.wait()
            job()
            results[i] = (True, "")
        except ApplicationError as exc:
            results[i] = (False, exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, j)) for i, j in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _case_at_township_review(crew, household_for):
    case = open_case(crew, "exit", household_for("exit"), T0)
    t = advance_to(crew, case, "township_review", T0)
    return case, t


def test_eight_approvals_of_one_case_make_one_transition(crew, household_for, officers):
    for trial in range(TRIALS):
        case, t = _case_at_township_review(crew, household_for)
        steps = case.steps.count()
        expected = case.version if trial % 2 == 0 else None  # with and without the form's version

        def approve(u, case=case, t=t, expected=expected):
            return lambda: ps.case_act(actor=u, case=Case(pk=case.pk), action=m.APPROVE, opinion="同意",
                                       expected_version=expected, now=t)

        results = _race([approve(u) for u in officers])
        case.refresh_from_db()
        assert sum(ok for ok, _ in results) == 1, (trial, results)
        assert {code for ok, code in results if not ok} <= {"E_CONFLICT", "E_PERMISSION"}  # the case moved on: county step
        assert case.state == "county_decision" and case.steps.count() == steps + 1
        assert AuditEntry.objects.filter(object_type="case", object_id=str(case.pk), action="case.approve",
                                         before__state="township_review").count() == 1


def test_batch_approval_overlapping_single_ones_makes_one_transition_per_case(crew, household_for, officers):
    for trial in range(TRIALS // 5):
        a, t = _case_at_township_review(crew, household_for)
        b, _ = _case_at_township_review(crew, household_for)
        before = {c.pk: c.steps.count() for c in (a, b)}
        summary = []

        def batch(a=a, b=b, t=t, summary=summary):
            summary.extend(ps.batch_act(actor=officers[0], cases=[a.pk, b.pk], action=m.APPROVE, now=t))

        def single(u, a=a, t=t):
            return lambda: ps.case_act(actor=u, case=Case(pk=a.pk), action=m.APPROVE, now=t)

        results = _race([batch, *[single(u) for u in officers[1:]]])
        batch_did_a = next(o.done for o in summary if o.case_id == a.pk)
        singles_ok = sum(ok for ok, _ in results[1:])
        assert batch_did_a + singles_ok == 1, (trial, summary, results)
        assert next(o.done for o in summary if o.case_id == b.pk)
        for c in (a, b):
            assert Step.objects.filter(case=c).count() == before[c.pk] + 1
            c.refresh_from_db()
            assert c.state == "county_decision"


def test_two_procedures_ending_at_once_on_one_household_check_each_other(crew, household_for):
    """An exit and a removal (清退) of one household reach their outcome at the same moment. Done one
    after the other, exit then removal is fine (the household ends 一般农户), while removal then exit
    is refused (exit needs a 建档立卡户). The household row is locked with the case, so the second
    outcome checks its precondition against what the first one wrote: never 一般农户 yet 已脱贫."""
    from fupin.registry.models import Household
    from tests.procedures.helpers import person, requirements

    for trial in range(TRIALS // 5):
        h = household_for("exit")
        cases, t = [], T0
        for name in ("exit", "adjustment:removal"):
            case = open_case(crew, name, h, T0)
            t = max(t, advance_to(crew, case, "announcement", T0))
            cases.append(case)
        jobs = []
        for case in cases:
            kw, t = requirements(crew, case, t)
            u = person(crew, case)
            jobs.append(lambda case=case, kw=kw, u=u, t=t: ps.case_act(
                actor=u, case=Case(pk=case.pk), action=m.APPROVE, now=t, **kw))
        results = _race(jobs)
        h = Household.objects.get(pk=h.pk)
        assert (h.kind, h.status) != ("一般农户", "已脱贫"), (trial, results)
        exit_ok, removal_ok = results[0][0], results[1][0]
        assert removal_ok and (h.kind, h.status, h.exit_year) == ("一般农户", "", None), (trial, results)
        if not exit_ok:
            assert results[0][1] == "E_CASE_PRECONDITION"
            assert Case.objects.get(pk=cases[0].pk).state == "announcement"
