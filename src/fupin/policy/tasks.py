"""Bulk assessments as background jobs (Celery; eager in tests and the demo)."""

import datetime as dt

from celery import shared_task

from fupin.config.celery import app  # noqa: F401  (binds shared_task to fupin's Celery app)


@shared_task(name="fupin.policy.run_assessment")
def run_assessment(job_id: int) -> dict:
    """Job params: kind (households | monitoring), year, date (ISO, optional), area, pack, all."""
    from fupin.jobs.services import job_finish, job_progress
    from fupin.jobs.tasks import _run
    from fupin.policy.packs import get_pack
    from fupin.policy.services import assess_households, monitor

    def work(job, p):
        pack = get_pack(p.get("pack") or None)
        day = dt.date.fromisoformat(p["date"]) if p.get("date") else None
        progress = (lambda done, total, stage: job_progress(job, done=done, total=total, stage=stage))
        if p["kind"] == "monitoring":
            return monitor(actor=job.actor, day=day or dt.date.today(), pack=pack, area=p.get("area"), job=job,
                           progress=progress)
        return assess_households(actor=job.actor, year=int(p["year"]), pack=pack, area=p.get("area"), day=day,
                                 include_exited=bool(p.get("all")), job=job, progress=progress)

    job, run = _run(job_id, work)
    if run is None:
        return {"ok": False, "error": job.error.partition(":")[0]}
    job_finish(job, result={"run": run.pk, **run.counts})
    return {"ok": True, "run": run.pk}
