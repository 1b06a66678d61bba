from django.conf import settings
from django.db import models

from fupin.core.dbfields import BrinOnPostgres, JSONTextField


class BaseModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class AuditEntry(models.Model):
    """Field-level audit trail: who, when, from where, before and after (security.md 4).

    Rows are only ever inserted. On PostgreSQL a trigger refuses UPDATE and DELETE
    except for retention pruning of rows older than FUPIN_AUDIT_RETENTION_DAYS.
    """

    # Indexed by a BRIN index in Meta (the trail grows in time order), not a btree.
    at = models.DateTimeField()
    # No foreign key in the database: the trail is append-only and keeps actor_name beside the id, so
    # it stays readable whatever happens to the user row (the ORM still refuses to delete a user
    # with audit rows: PROTECT). A database constraint only cost a lookup per audited change,
    # ~1.5 s of a 130,000-household import's 665,000 rows.
    # No index either: the trail is filtered by actor_name (core.selectors.audit_list, its index in
    # Meta), never by this id; an index only cost a descent per audited change (with the btree on `at`, 3.0 s of a replay
    # of a city's 665,000 audit rows). Deleting a user, which PROTECT checks through this column, is a
    # rare administrator's action.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        db_constraint=False, db_index=False,
    )
    actor_name = models.CharField(max_length=150, blank=True)
    ip = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=64)  # prefix index in Meta
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64, blank=True)
    area_code = models.CharField(max_length=12, blank=True)  # prefix index in Meta
    # shown, never searched by a key: kept as the text written (json, not jsonb, on PostgreSQL)
    before = JSONTextField(null=True, blank=True)
    after = JSONTextField(null=True, blank=True)
    reason = models.TextField(blank=True)
    job_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        indexes = [# an object's trail: its id by equality or prefix (a household's 户编号 also finds its
                   # members' and incomes' rows, "4310.../2017"); the type, when given, filters those few.
                   # varchar_pattern_ops: byte comparisons, and LIKE 'x%' can use it (migration 0005)
                   models.Index(fields=["object_id"], name="core_audit_object_like", opclasses=["varchar_pattern_ops"]),
                   # filtered by equality or prefix only (action "household.", area scope "431002%"): one
                   # varchar_pattern_ops index each serves both; a plain btree beside it only costs
                   # every audited write (migration 0003)
                   models.Index(fields=["action"], name="core_audit_action_like", opclasses=["varchar_pattern_ops"]),
                   models.Index(fields=["area_code"], name="core_audit_area_like", opclasses=["varchar_pattern_ops"]),
                   # one user's changes, newest first (the auditor's 操作人 filter; audit_list orders by id):
                   # read straight from the index however rarely the user acts. Each user's new rows
                   # go to the right end of their run of the index (ids grow), so a write stays cheap
                   # (migration 0007).
                   models.Index(fields=["actor_name", "id"], name="core_audit_actor_id",
                                opclasses=["varchar_pattern_ops", "int8_ops"]),
                   # the date filters (since/until): rows arrive in time order, so a BRIN finds a range's
                   # pages at almost no cost per insert (core.dbfields.BrinOnPostgres)
                   BrinOnPostgres(fields=["at"], name="core_audit_at_brin")]
        ordering = ["-at", "-id"]
        verbose_name = "审计记录"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_type}:{self.object_id}"
