"""Reads of cases and notices, scoped to the user's areas first (security.md 1).

Out-of-scope cases and notices answer NotFound. The public (no login) reads only the
de-identified rows of a notice (domain.md section 1, "public").
"""

import datetime as dt
from collections import Counter

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from fupin.accounts.access import scope_q
from fupin.areas.models import Area, code_range
from fupin.core.errors import NotFound
from fupin.procedures import machines as m
from fupin.procedures.models import Case, Notice, NoticeEntry


def case_list(*, user, filters: dict | None = None) -> QuerySet[Case]:
    """Cases of households in the user's areas; filters: kind, state, open ("1"), household (pk), area."""
    f = filters or {}
    qs = Case.objects.filter(scope_q(user, "household__village_id")).select_related("household",
                                                                                    "household__village")
    if f.get("kind"):
        qs = qs.filter(kind=f["kind"])
    if f.get("state"):
        qs = qs.filter(state=f["state"])
    if f.get("open"):
        qs = qs.filter(closed=False)
    if f.get("household"):
        qs = qs.filter(household_id=f["household"])
    if f.get("area"):
        lo, hi = _range(f["area"])
        qs = qs.filter(household__village_id__gte=lo, household__village_id__lte=hi)
    return qs


def _range(code: str) -> tuple[str, str]:
    a = Area.objects.filter(code=str(code)).first()
    return code_range(a.code, a.level) if a else ("", "")


def access_case(user, pk) -> Case:
    c = case_list(user=user).filter(pk=pk).first()
    if c is None:
        raise NotFound()
    return c


def _states_for_role(role: str) -> Q:
    """(kind, sub_kind, state) triples where `role` takes the next step."""
    q = Q(pk__in=[])
    for machine in m.MACHINES.values():
        kind, _, sub = machine.name.partition(":")
        states = sorted({s for (s, _), (_, r) in machine.table.items() if r == role})
        if states:
            q |= Q(kind=kind, sub_kind=sub, state__in=states)
    return q


def work_list(*, user) -> QuerySet[Case]:
    """待我处理: open cases waiting at a step the user's role takes, in their areas, not suspended,
    and not ones whose previous step they took themselves (maker-checker)."""
    return (case_list(user=user).filter(closed=False, suspended=False).filter(_states_for_role(user.role))
            .exclude(last_actor=user).order_by("updated_at", "id"))


def counts_by_step(*, user, area: str | None = None) -> dict[tuple[str, str], int]:
    """{(procedure, state): open cases} in the user's areas — for the dashboards."""
    qs = case_list(user=user, filters={"area": area, "open": "1"})
    out: Counter = Counter()
    # the database counts (one row per procedure and step), not a loop over every open case
    for kind, sub, state, n in (qs.order_by().values_list("kind", "sub_kind", "state")
                                .annotate(n=Count("id")).values_list("kind", "sub_kind", "state", "n")):
        out[(m.machine_name(kind, sub), state)] += n
    return dict(sorted(out.items()))


def notice_list(*, user) -> QuerySet[Notice]:
    """Notices whose area lies in the user's areas (a county officer sees the villages' too)."""
    return Notice.objects.filter(scope_q(user, "area_id")).select_related("area")


def access_notice(user, pk) -> Notice:
    n = notice_list(user=user).filter(pk=pk).first()
    if n is None:
        raise NotFound()
    return n


def overdue_notices(*, user, now: dt.datetime | None = None) -> QuerySet[Notice]:
    """Notices that have run their length while some of their cases still wait at that notice's step."""
    now = now or timezone.now()
    waiting = NoticeEntry.objects.filter(notice=OuterRef("pk"), case__closed=False, case__state=F("state"))
    return notice_list(user=user).filter(end__lte=now).filter(Exists(waiting)).order_by("end")


def _public_q(*, user=None, now: dt.datetime | None = None, include_old: bool = False) -> Q:
    """Running notices and those ended within settings.FUPIN_NOTICE_PUBLIC_DAYS, for anyone; older
    ones only for a logged-in user whose areas hold the notice's area."""
    since = (now or timezone.now()) - dt.timedelta(days=settings.FUPIN_NOTICE_PUBLIC_DAYS)
    q = Q(end__gt=since)
    if include_old and user is not None and user.is_authenticated:
        q |= scope_q(user, "area_id")
    return q


def public_notices(*, area: str = "", now: dt.datetime | None = None, user=None,
                   include_old: bool = False) -> QuerySet[Notice]:
    """Notices for anyone, without login: only their de-identified rows are ever shown; running or
    recently ended ones (with `include_old`, a logged-in user's older ones too)."""
    qs = Notice.objects.filter(_public_q(user=user, now=now, include_old=include_old)).select_related("area")
    if area:
        lo, hi = _range(area)
        qs = qs.filter(area_id__gte=lo, area_id__lte=hi)
    return qs


def public_notice(pk, *, user=None, now: dt.datetime | None = None) -> Notice:
    """One notice for the public pages: NotFound once it has been over for the grace period, except
    for a logged-in user of its area (the staff notice page links to its PDF)."""
    n = (Notice.objects.select_related("area").filter(_public_q(user=user, now=now, include_old=True))
         .filter(pk=pk).first())
    if n is None:
        raise NotFound()
    return n
