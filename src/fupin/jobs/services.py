"""Job rows: created by the caller, advanced by the task. Progress writes use their own
connection-level autocommit (outside the work's transaction) so a watcher sees them."""

from django.db import transaction
from django.utils import timezone

from fupin.jobs.models import Job


def job_create(*, actor, kind: str, params: dict) -> Job:
    return Job.objects.create(actor=actor, kind=kind, params=params)


def job_progress(job: Job, *, done: int, total: int | None = None, stage: str = "", cursor=None,
                 write: bool = True) -> None:
    """Advance the job. Inside a transaction the row is only updated in memory (a write would be
    invisible until commit), unless `cursor` is given: a cursor of a connection in autocommit
    (the registry importer's second connection on PostgreSQL), through which the watcher sees
    the progress at once. `write=False`: in memory only (a caller that writes less often;
    job_finish writes the figures in the end)."""
    job.done = done
    if total is not None:
        job.total = total
    if stage:
        job.stage = stage
    if not write:
        return
    if cursor is not None:
        cursor.execute(f"UPDATE {Job._meta.db_table} SET done = %s, total = %s, stage = %s, status = %s "
                       "WHERE id = %s", [job.done, job.total, job.stage, Job.Status.RUNNING, job.pk])
        return
    if transaction.get_connection().in_atomic_block:
        # Inside the import's transaction a write would be invisible until commit; keep it in memory.
        return
    Job.objects.filter(pk=job.pk).update(done=job.done, total=job.total, stage=job.stage,
                                         status=Job.Status.RUNNING)


def job_start(job: Job) -> None:
    job.status, job.started_at = Job.Status.RUNNING, timezone.now()
    Job.objects.filter(pk=job.pk).update(status=job.status, started_at=job.started_at)


def job_finish(job: Job, *, result: dict | None = None, error: str = "") -> None:
    job.status = Job.Status.FAILED if error else Job.Status.SUCCEEDED
    job.finished_at = timezone.now()
    job.result = result or {}
    job.error = error
    Job.objects.filter(pk=job.pk).update(status=job.status, finished_at=job.finished_at, result=job.result,
                                         error=error, done=job.done, total=job.total, stage=job.stage)
