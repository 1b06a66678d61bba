"""Reads of the cross-check lists.

The lists are city-wide (a list of public servants is not keyed by village), so their entries
are read only by the roles that manage them; everyone else meets them through households in
their own areas (an identification check, the registered households found on a list).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q

from fupin.accounts.access import in_scope
from fupin.accounts.models import Role
from fupin.core import idcard
from fupin.core.errors import NotFound
from fupin.core.logging import mask_text

MANAGERS = {Role.CITY, Role.ADMIN}
VIEWERS = {Role.CITY, Role.COUNTY, Role.INSPECTOR, Role.AUDITOR, Role.ADMIN}
PRESENT = "在户"
REGISTERED = "建档立卡户"


def can_manage_lists(user) -> bool:
    """City office and administrators load lists and read their entries (domain.md section 1:
    the city runs the integrity checks); the command line's operator identity is an admin."""
    return bool(getattr(user, "is_authenticated", False)) and (user.is_superuser or user.role in MANAGERS)


def can_view_lists(user) -> bool:
    """Who sees the list versions and counts and the registered households found on a list."""
    return bool(getattr(user, "is_authenticated", False)) and (user.is_superuser or user.role in VIEWERS)


def _chunk() -> int:
    # SQLite builds may cap bound parameters at 999; PostgreSQL has no such limit here.
    return 900 if connection.vendor == "sqlite" else 10_000


def present_q(day: dt.date, prefix: str = "") -> Q:
    """Members 在户 on `day` (fupin.policy.rules.present_on, as a filter)."""
    return Q(**{f"{prefix}state": PRESENT}) | Q(**{f"{prefix}state_date__isnull": False,
                                                 f"{prefix}state_date__gt": day})


def exclusions_for(id_numbers: Iterable[str]) -> dict[str, set[str]]:
    """{id number: the kinds of the current lists on which that person is an exclusion} for the
    given (normalised) numbers; people on no list are absent. One query per batch of numbers
    (900 on SQLite, 10,000 on PostgreSQL). A BUSINESS entry not in operation is no exclusion."""
    from fupin.crosscheck.models import ListEntry

    ids = list(dict.fromkeys(i for i in id_numbers if i))
    out: dict[str, set[str]] = defaultdict(set)
    step = _chunk()
    for i in range(0, len(ids), step):
        for idn, kind in ListEntry.objects.filter(id_number__in=ids[i:i + step], excludes=True).values_list(
                "id_number", "kind"):
            out[idn].add(kind)
    return dict(out)


def list_entries_for(id_numbers: Iterable[str]) -> dict[str, list]:
    """{id number: [ListEntry, …]} of the current lists, excluding or not (the detail a household
    page shows: which list, which row, the list's own columns)."""
    from fupin.crosscheck.models import ListEntry

    ids = list(dict.fromkeys(i for i in id_numbers if i))
    out: dict[str, list] = defaultdict(list)
    step = _chunk()
    for i in range(0, len(ids), step):
        for e in ListEntry.objects.filter(id_number__in=ids[i:i + step]).select_related("version").order_by(
                "kind", "row"):
            out[e.id_number].append(e)
    return dict(out)


def household_exclusions(first_id: int, last_id: int, *, day: dt.date) -> dict[int, set[str]]:
    """{household id: kinds} for households with ids in [first_id, last_id] that have a member 在户
    on `day` who is an exclusion on a current list: one query over the members of that id range
    (joined to the lists) plus one for the few people found. For a bulk run that walks households
    in id order (fupin.policy.facts.iter_bulk_facts), one call per batch; the caller ignores ids
    that are not in its batch."""
    from fupin.crosscheck.models import ListEntry
    from fupin.registry.models import Member

    rows = list(Member.objects.filter(household_id__gte=first_id, household_id__lte=last_id)
                .filter(present_q(day))
                .filter(id_number__in=ListEntry.objects.filter(excludes=True).values("id_number"))
                .values_list("household_id", "id_number"))
    kinds = exclusions_for(idn for _h, idn in rows)
    out: dict[int, set[str]] = defaultdict(set)
    for hid, idn in rows:
        out[hid] |= kinds.get(idn, set())
    return {h: k for h, k in out.items() if k}


@dataclass(frozen=True)
class ListHit:
    """A registered household with a member on a current list (an integrity finding, domain.md 9)."""

    household_id: int
    number: str
    village_code: str
    member_name: str
    id_masked: str
    kinds: tuple[str, ...]


def registered_on_lists(area, *, user, day: dt.date | None = None) -> list[ListHit]:
    """Registered households (建档立卡户, any status) in `area` with a member 在户 on `day` (default
    today) who is an exclusion on a current list; NotFound when `area` is outside the user's
    areas. ID numbers come masked."""
    from fupin.areas.models import code_range
    from fupin.crosscheck.models import ListEntry
    from fupin.registry.models import Member

    if not (getattr(user, "is_superuser", False) or in_scope(user, area.code)):
        raise NotFound()
    day = day or dt.date.today()
    lo, hi = code_range(area.code, area.level)
    rows = list(Member.objects.filter(household__kind=REGISTERED, household__village_id__gte=lo,
                                      household__village_id__lte=hi)
                .filter(present_q(day))
                .filter(id_number__in=ListEntry.objects.filter(excludes=True).values("id_number"))
                .order_by("household__village_id", "household__number", "id")
                .values_list("household_id", "household__number", "household__village_id", "name", "id_number"))
    kinds = exclusions_for(r[4] for r in rows)
    return [ListHit(hid, number, village, name, idcard.mask(idn), tuple(sorted(kinds.get(idn, ()))))
            for hid, number, village, name, idn in rows if kinds.get(idn)]


def current_versions() -> dict[str, object]:
    """{kind: the current ListVersion or None} for every kind, in the kinds' order."""
    from fupin.crosscheck.models import ListKind, ListVersion

    current = {v.kind: v for v in ListVersion.objects.filter(current=True).select_related("loaded_by")}
    return {k: current.get(k) for k in ListKind.values}


def version_history(limit: int = 100) -> list:
    from fupin.crosscheck.models import ListVersion

    return list(ListVersion.objects.select_related("loaded_by").order_by("-loaded_at", "-pk")[:limit])


def list_entries(user, kind: str, *, offset: int = 0, limit: int = 200) -> list[dict]:
    """Rows of the current list of `kind`, ID numbers masked (and any ID-like value in the list's
    own columns). Only for list managers; anyone else: NotFound."""
    from fupin.crosscheck.models import ListEntry

    if not can_manage_lists(user):
        raise NotFound()
    qs = ListEntry.objects.filter(kind=kind, version__current=True).order_by("row")[offset:offset + limit]
    return [{"row": e.row, "id_masked": idcard.mask(e.id_number), "excludes": e.excludes,
             "data": masked_columns(e.data)} for e in qs]


def masked_columns(data: dict) -> dict:
    """A list's own columns for display: any ID or phone number in them masked (security.md 2)."""
    return {k: mask_text(str(v)) for k, v in (data or {}).items()}
