"""Date filters of the audit trail (core.selectors.audit_list): whole local days, both ends
inclusive, and the bounds compared with `at` itself so its index can serve them."""

import datetime as dt

import pytest
from django.utils import timezone

from fupin.core.models import AuditEntry
from fupin.core.selectors import audit_list

pytestmark = pytest.mark.django_db


def _entry(at: dt.datetime) -> AuditEntry:
    return AuditEntry.objects.create(at=at, action="test.date", object_type="x", area_code="")


def test_a_day_is_a_whole_local_day_at_both_ends(cast):
    tz = timezone.get_current_timezone()
    day = dt.date(2026, 3, 12)
    first = _entry(dt.datetime(2026, 3, 12, 0, 0, 0, tzinfo=tz))
    last = _entry(dt.datetime(2026, 3, 12, 23, 59, 59, 999999, tzinfo=tz))
    _entry(dt.datetime(2026, 3, 11, 23, 59, 59, tzinfo=tz))
    _entry(dt.datetime(2026, 3, 13, 0, 0, 0, tzinfo=tz))
    got = audit_list(cast["auditor"], {"action": "test.", "date_from": day, "date_to": day})
    assert set(got.values_list("pk", flat=True)) == {first.pk, last.pk}
    assert audit_list(cast["auditor"], {"action": "test.", "since": day}).count() == 3
    assert audit_list(cast["auditor"], {"action": "test.", "until": day}).count() == 3


def test_date_filters_compare_at_itself(cast):
    sql = str(audit_list(cast["auditor"], {"date_from": dt.date(2026, 3, 12), "date_to": dt.date(2026, 3, 12)}).query)
    assert "AT TIME ZONE" not in sql and "django_datetime_cast_date" not in sql
