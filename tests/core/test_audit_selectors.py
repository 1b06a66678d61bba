"""Date filters of the audit trail (core.selectors.audit_list): whole local days, both ends
inclusive, and the bounds compared with `at` itself so its index can serve them."""

import datetime as dt

import pytest
from django.db import connection, transaction
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


def test_before_and_after_come_back_as_written(cast):
    # json on PostgreSQL (migration core 0006): checked, not re-sorted; the ORM returns the values
    after = {"name": "张三", "b": [1, "二", None], "a": {"z": True, "y": "1.50"}}
    e = AuditEntry.objects.create(at=timezone.now(), action="test.json", object_type="x", area_code="",
                                  before=None, after=after)
    got = AuditEntry.objects.get(pk=e.pk)
    assert got.after == after and got.before is None
    assert list(got.after) == ["name", "b", "a"]  # the keys in the order written


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL index")
def test_the_date_filters_have_a_brin_index_and_no_write_only_indexes():
    with connection.cursor() as c:
        c.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'core_auditentry'")
        found = dict(c.fetchall())
        c.execute("SELECT data_type FROM information_schema.columns WHERE table_name = 'core_auditentry' "
                  "AND column_name IN ('before', 'after')")
        types = {r[0] for r in c.fetchall()}
    assert "USING brin (at)" in found["core_audit_at_brin"]
    assert not [d for d in found.values() if "(actor_id)" in d or "btree (at)" in d]
    assert types == {"json"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL index")
def test_a_date_range_uses_the_brin_index(cast):
    now = timezone.now()
    AuditEntry.objects.bulk_create([AuditEntry(at=now - dt.timedelta(minutes=i), action="test.brin", object_type="x",
                                               area_code="") for i in range(3000)])
    qs = audit_list(cast["auditor"], {"since": now - dt.timedelta(minutes=5), "until": now})
    assert qs.filter(action="test.brin").count() == 6
    with transaction.atomic(), connection.cursor() as c:
        # a table this small is read whole anyway; what matters is that the index can serve the range
        c.execute("SET LOCAL enable_seqscan = off")
        assert "core_audit_at_brin" in qs.explain()


def test_before_and_after_can_be_filtered_by_a_key(cast):
    # json has no equality on PostgreSQL: a key look-up reads the column as jsonb (JSONTextKeyTransform)
    now = timezone.now()
    a = AuditEntry.objects.create(at=now, action="test.key", object_type="x", area_code="",
                                  before={"state": "township_review", "n": {"deep": 2}}, after={"state": "approved"})
    AuditEntry.objects.create(at=now, action="test.key", object_type="x", area_code="",
                              before={"state": "draft"}, after=None)
    rows = AuditEntry.objects.filter(action="test.key")
    assert list(rows.filter(before__state="township_review")) == [a]
    assert list(rows.filter(before__n__deep=2)) == [a]
    assert list(rows.filter(after__state__isnull=False)) == [a]


@pytest.mark.django_db(transaction=True)
def test_one_users_changes_newest_first_from_their_own_index(cast):
    """The auditor's 操作人 filter: that user's rows only, newest first, a page read from the index
    on (actor_name, id) however rarely the user acts (migration core 0007), not by reading the
    trail backwards until a page is found."""
    now = timezone.now()
    AuditEntry.objects.bulk_create([AuditEntry(at=now, actor_name="busy", action="test.actor", object_type="x",
                                               area_code="") for _ in range(5000)])
    rare = [AuditEntry.objects.create(at=now, actor_name="rare", action="test.actor", object_type="x", area_code="")
            for _ in range(3)]
    AuditEntry.objects.bulk_create([AuditEntry(at=now, actor_name="busy", action="test.actor", object_type="x",
                                               area_code="") for _ in range(5000)])
    qs = audit_list(cast["auditor"], {"actor": "rare"})
    assert list(qs.values_list("pk", flat=True)) == [e.pk for e in reversed(rare)]
    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            c.execute("ANALYZE core_auditentry")
        assert "core_audit_actor_id" in qs[:51].explain()  # the rare user's few rows, by the index
        # a busy user's newest page without sorting all their rows (in this index's order, or the
        # trail's own newest first when they made most of it)
        plan = audit_list(cast["auditor"], {"actor": "busy"})[:51].explain()
        assert "Sort" not in plan, plan
