"""Reads of background jobs: a job belongs to whoever started it."""

from fupin.core.errors import NotFound
from fupin.jobs.models import Job


def access_job(user, pk) -> Job:
    """A job of the requesting user; anybody else's job does not exist for them (its file names
    and errors name households)."""
    job = Job.objects.filter(pk=pk, actor_id=user.pk).first()
    if job is None:
        raise NotFound()
    return job
