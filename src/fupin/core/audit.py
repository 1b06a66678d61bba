"""Writing the audit trail. The request (or CLI/job) sets the context; services call record().

Masking: before/after hold the stored values; the audit page masks ID-like values
for display, and only the auditor and admin roles read it.
"""

import contextvars
import datetime as dt
import decimal
from contextlib import contextmanager

from django.utils import timezone

from fupin.core.models import AuditEntry

_ctx: contextvars.ContextVar[dict] = contextvars.ContextVar("fupin_audit", default={})


@contextmanager
def audit_context(*, ip: str = "", job_id: int | None = None, source: str = ""):
    token = _ctx.set({"ip": ip, "job_id": job_id, "source": source})
    try:
        yield
    finally:
        _ctx.reset(token)


def current() -> dict:
    return _ctx.get()


def jsonable(value):
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


def diff(before: dict | None, after: dict | None) -> tuple[dict | None, dict | None]:
    """Keep only the keys that changed."""
    if before is None or after is None:
        return jsonable(before), jsonable(after)
    keys = [k for k in after if jsonable(before.get(k)) != jsonable(after.get(k))]
    return {k: jsonable(before.get(k)) for k in keys}, {k: jsonable(after.get(k)) for k in keys}


def entry(*, actor, action: str, object_type: str, object_id="", area_code: str = "",
          before=None, after=None, reason: str = "") -> AuditEntry:
    """An unsaved entry (bulk paths collect them and bulk_create)."""
    ctx = current()
    return AuditEntry(
        at=timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=getattr(actor, "username", "") or str(actor or "system"),
        ip=ctx.get("ip", ""),
        job_id=ctx.get("job_id"),
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        area_code=area_code or "",
        before=jsonable(before),
        after=jsonable(after),
        reason=reason,
    )


def record(**kwargs) -> AuditEntry:
    e = entry(**kwargs)
    e.save(force_insert=True)
    return e
