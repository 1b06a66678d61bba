"""Reads of the audit trail (security.md 4): auditor and admin roles only, limited to their areas
plus the entries bound to no area (user administration, logins)."""

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from fupin.accounts.access import can_read_audit, scope_q
from fupin.core.errors import NotFound
from fupin.core.models import AuditEntry


def audit_list(user, filters: dict) -> QuerySet[AuditEntry]:
    """Filters: action (prefix), object_type, object_id (prefix), actor (username), since/until
    (dates or datetimes, inclusive). Anyone who may not read the trail gets NotFound."""
    if not can_read_audit(user):
        raise NotFound()
    qs = AuditEntry.objects.filter(Q(area_code="") | scope_q(user, "area_code"))
    if filters.get("action"):
        qs = qs.filter(action__startswith=filters["action"])
    if filters.get("object_type"):
        qs = qs.filter(object_type=filters["object_type"])
    if filters.get("object_id"):
        qs = qs.filter(object_id__startswith=filters["object_id"])
    if filters.get("actor"):
        qs = qs.filter(actor_name=filters["actor"])
    for key, op in (("since", "gte"), ("until", "lte"), ("date_from", "gte"), ("date_to", "lte")):
        value = filters.get(key)
        if not value:
            continue
        if isinstance(value, dt.datetime):
            qs = qs.filter(**{f"at__{op}": value})
            continue
        if isinstance(value, str):
            value = dt.date.fromisoformat(value)  # the page hands over checked ISO dates
        if op == "gte":  # from the start of that day (local time)
            qs = qs.filter(at__gte=_day_start(value))
        else:  # up to the end of that day: before the next one starts
            qs = qs.filter(at__lt=_day_start(value + dt.timedelta(days=1)))
    return qs.order_by("-id")


def _day_start(day: dt.date) -> dt.datetime:
    """The first instant of `day` in the current time zone. Compared with `at` as it is, so that
    the index on `at` serves the date filters (`at__date` casts every row's time first)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_current_timezone())
