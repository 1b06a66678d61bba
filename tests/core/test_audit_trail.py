import datetime as dt
import subprocess
import sys

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from fupin.core import audit
from fupin.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_audit_rows_cannot_be_updated_through_the_database():
    e = audit.record(actor=None, action="test", object_type="x", object_id="1", after={"a": 1})
    with pytest.raises(DatabaseError), transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("UPDATE core_auditentry SET action = 'forged' WHERE id = %s", [e.pk])
    e.refresh_from_db()
    assert e.action == "test"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite keeps DELETE for Django's test flush")
def test_young_audit_rows_cannot_be_deleted_old_ones_can_be_pruned():
    young = audit.record(actor=None, action="young", object_type="x")
    old = audit.entry(actor=None, action="old", object_type="x")
    old.at = timezone.now() - dt.timedelta(days=200)
    old.save(force_insert=True)
    with pytest.raises(DatabaseError), transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("DELETE FROM core_auditentry WHERE id = %s", [young.pk])
    with connection.cursor() as cur:
        cur.execute("DELETE FROM core_auditentry WHERE id = %s", [old.pk])
    assert list(AuditEntry.objects.filter(object_type="x").values_list("action", flat=True)) == ["young"]


def start_with(env: dict) -> subprocess.CompletedProcess:
    """Start Django in a fresh process with only `env` set, as an operator's service would."""
    code = "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='fupin.config.settings'; django.setup()"
    return subprocess.run([sys.executable, "-c", code], env={**env, "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True)


def test_retention_below_184_days_refuses_to_start():
    r = start_with({"FUPIN_AUDIT_RETENTION_DAYS": "183"})
    assert r.returncode != 0
    assert "184" in r.stderr
    assert start_with({"FUPIN_AUDIT_RETENTION_DAYS": "184"}).returncode == 0


def test_production_without_secret_key_refuses_to_start():
    r = start_with({"FUPIN_DEBUG": "0"})
    assert r.returncode != 0
    assert "FUPIN_SECRET_KEY" in r.stderr
