"""The audit trail is append-only at the database level (security.md 4).

PostgreSQL: a trigger refuses every UPDATE, and any DELETE of a row younger than 184 days
(the legal minimum retention, security.md 5), whoever the client is. SQLite (the embedded
demo database): UPDATE is refused; DELETE stays possible because Django's test flush uses it.
"""

from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION fupin_audit_guard() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    RAISE EXCEPTION 'audit entries cannot be changed / 审计记录不可修改';
  END IF;
  IF TG_OP = 'DELETE' AND OLD.at > now() - interval '184 days' THEN
    RAISE EXCEPTION 'audit entries younger than 184 days cannot be deleted / 不足 184 天的审计记录不可删除';
  END IF;
  RETURN OLD;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER fupin_audit_guard BEFORE UPDATE OR DELETE ON core_auditentry
  FOR EACH ROW EXECUTE FUNCTION fupin_audit_guard();
"""
PG_BACKWARD = "DROP TRIGGER IF EXISTS fupin_audit_guard ON core_auditentry; DROP FUNCTION IF EXISTS fupin_audit_guard();"
SQLITE_FORWARD = """
CREATE TRIGGER fupin_audit_no_update BEFORE UPDATE ON core_auditentry
BEGIN SELECT RAISE(ABORT, 'audit entries cannot be changed / 审计记录不可修改'); END;
"""
SQLITE_BACKWARD = "DROP TRIGGER IF EXISTS fupin_audit_no_update;"


def forward(apps, schema_editor):
    sql = {"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}.get(schema_editor.connection.vendor)
    if sql:
        schema_editor.execute(sql)


def backward(apps, schema_editor):
    sql = {"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}.get(schema_editor.connection.vendor)
    if sql:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
