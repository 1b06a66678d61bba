"""Background jobs run by Celery (eager in tests and the demo: FUPIN_JOBS_EAGER=1).

Progress and results live in our own Job rows (fupin.jobs.services), not in Celery's result
backend, so that the web page can poll them.
"""

from pathlib import Path

from celery import shared_task

from fupin.config.celery import app  # noqa: F401  (binds shared_task to fupin's Celery app and settings)


def _run(job_id: int, work):
    """Run `work(job, params)` for Job `job_id` inside the job's audit context. A business error
    (ApplicationError) fails the job with its code and message; anything else fails it and is
    re-raised for Celery's log. Returns (job, work's value or None)."""
    from fupin.core.audit import audit_context
    from fupin.core.errors import ApplicationError
    from fupin.jobs.models import Job
    from fupin.jobs.services import job_finish, job_start

    job = Job.objects.select_related("actor").get(pk=job_id)
    job_start(job)
    try:
        with audit_context(job_id=job.pk, source="job"):
            return job, work(job, job.params or {})
    except ApplicationError as exc:
        job_finish(job, error=f"{exc.code}: {exc.message}")
        return job, None
    except Exception as exc:
        job_finish(job, error=f"{type(exc).__name__}: {exc}"[:1000])
        raise


@shared_task(name="fupin.jobs.run_import")
def run_import(job_id: int) -> dict:
    """Run a registry import described by Job `job_id` (exchange-format.md, "Import semantics").

    job.params: {"xlsx": path} or {"households": path, "members": path}, "dry_run": bool, and
    optionally "errors": a path for the error report (.csv or .xlsx). The job's result holds the
    counts, the warnings and the first 1,000 errors; a file with errors leaves the job FAILED
    with its summary as the error text and changes nothing.
    """
    from fupin.jobs.services import job_finish
    from fupin.registry.importer import import_registry, write_error_report

    def work(job, p):
        paths = {k: Path(p[k]) for k in ("xlsx", "households", "members") if p.get(k)}
        return import_registry(actor=job.actor, dry_run=bool(p.get("dry_run")), job=job, **paths)

    job, result = _run(job_id, work)
    if result is None:
        return {"ok": False, "error": job.error.partition(":")[0]}
    data = result.as_dict()
    if result.errors and job.params.get("errors"):
        data["error_report"] = str(write_error_report(result.errors, job.params["errors"]))
    job_finish(job, result=data, error=result.summary() if result.errors else "")
    return {"ok": result.ok, **{k: data[k] for k in ("created", "changed", "unchanged", "error_count")}}


@shared_task(name="fupin.jobs.run_export")
def run_export(job_id: int) -> dict:
    """Write the registry workbook described by Job `job_id` (exchange-format.md, "Export").

    job.params: "out" (the file to write, under MEDIA_ROOT), "area", "year", "full_ids", "reason".
    Masking, permission, reason and the audit row are the exporter's (security.md 3, 14).
    """
    from fupin.jobs.services import job_finish, job_progress
    from fupin.registry.exporter import export_registry

    def work(job, p):
        return export_registry(actor=job.actor, out=Path(p["out"]), area=p.get("area") or None,
                               year=p.get("year") or None, full_ids=bool(p.get("full_ids")),
                               reason=p.get("reason", ""),
                               progress=lambda done, total, stage: job_progress(job, done=done, total=total,
                                                                                stage=stage))

    job, r = _run(job_id, work)
    if r is None:
        return {"ok": False, "error": job.error.partition(":")[0]}
    job_finish(job, result={"rows_households": r.rows_households, "rows_members": r.rows_members,
                            "sha256": r.sha256, "file": job.params["out"], "full_ids": bool(job.params.get("full_ids"))})
    return {"ok": True, "rows_households": r.rows_households}
