"""Procedure batches as background jobs (Celery; eager in tests and the demo)."""

from dataclasses import asdict

from celery import shared_task

from fupin.config.celery import app  # noqa: F401  (binds shared_task to fupin's Celery app)

MAX_LINES = 5000  # summary lines kept in the job's result (skipped ones first); the counts are complete


@shared_task(name="fupin.procedures.propose_exits")
def propose_exits(job_id: int) -> dict:
    """Job params: area (code), year. Runs services.batch_propose_exits as the job's actor."""
    from fupin.jobs.services import job_finish, job_progress
    from fupin.jobs.tasks import _run
    from fupin.procedures.services import batch_propose_exits

    def work(job, p):
        return batch_propose_exits(actor=job.actor, area_code=p["area"], year=int(p["year"]),
                                   progress=lambda done, total, stage: job_progress(job, done=done, total=total,
                                                                                    stage=stage))

    job, outcomes = _run(job_id, work)
    if outcomes is None:
        return {"ok": False, "error": job.error.partition(":")[0]}
    done = sum(o.done for o in outcomes)
    lines = sorted(outcomes, key=lambda o: o.done)[:MAX_LINES]
    job_finish(job, result={"done": done, "skipped": len(outcomes) - done, "outcomes": [asdict(o) for o in lines],
                            "truncated": len(outcomes) > MAX_LINES})
    return {"ok": True, "done": done}
