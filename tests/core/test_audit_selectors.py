"""Date filters of the audit trail (core.selectors.audit_list): whole local days, both ends
inclusive, and the bounds compared with `at` itself so its index can serve them."""

import datetime as dt

import pytest
from django.db import connection
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


def test_object_search_is_a_prefix_and_finds_a_households_member_and_income_rows(cast):
    now = timezone.now()
    for object_type, object_id in [("household", "4310020010010001"), ("income", "4310020010010001/2017"),
                                   ("member", "4310020010010001"), ("household", "4310020010010002")]:
        AuditEntry.objects.create(at=now, action="test.obj", object_type=object_type, object_id=object_id,
                                  area_code="")
    got = audit_list(cast["auditor"], {"action": "test.", "object_id": "4310020010010001"})
    assert sorted(got.values_list("object_type", flat=True)) == ["household", "income", "member"]
    assert audit_list(cast["auditor"], {"action": "test.", "object_id": "43100200100100"}).count() == 4


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL index")
def test_object_search_has_a_prefix_index_on_postgresql():
    # LIKE 'x%' can use only a varchar_pattern_ops (or C-collation) index in a non-C locale; without
    # one the auditor's object search read the whole trail (1 s at 665,000 rows; migration core 0005)
    with connection.cursor() as c:
        c.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'core_auditentry' AND indexname = %s",
                  ["core_audit_object_like"])
        (indexdef,) = c.fetchone()
    assert "(object_id varchar_pattern_ops)" in indexdef
