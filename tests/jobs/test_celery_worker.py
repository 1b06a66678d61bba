"""A real Celery worker, fed through Redis, runs an import job against the test database.

PostgreSQL only: the SQLite test database lives in the test process's memory, where a
worker process cannot reach it.
"""

import os
import subprocess
import sys
import time

import pytest
from django.db import connection

from fupin.jobs.models import Job
from fupin.registry.models import Household
from tests.cast import VILLAGE_A
from tests.registry.exchange_files import families, write_xlsx

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a worker process needs a shared database"),
    pytest.mark.django_db(transaction=True),
]

BROKER = "redis://127.0.0.1:6379/14"


@pytest.fixture
def worker():
    s = connection.settings_dict
    env = {**os.environ, "DATABASE_URL": f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}",
           "REDIS_URL": BROKER, "FUPIN_JOBS_EAGER": "0"}
    subprocess.run(["redis-cli", "-n", "14", "FLUSHDB"], capture_output=True)
    proc = subprocess.Popen([sys.executable, "-m", "celery", "-A", "fupin.config.celery", "worker", "--pool", "solo",
                             "--loglevel", "WARNING", "--without-heartbeat", "--without-gossip", "--without-mingle"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_worker_runs_a_queued_import(worker, tmp_path):
    from fupin.accounts.services import user_create
    from fupin.config.celery import app
    from fupin.jobs.services import job_create
    from fupin.jobs.tasks import run_import

    clerk = user_create(actor=None, username="clerk_w", role="village", area_codes=[VILLAGE_A],
                        password="Chenzhou-2017", validate=False)
    hh, mm = families(5, VILLAGE_A, prefix="W")
    path = write_xlsx(tmp_path / "queued.xlsx", hh, mm)
    job = job_create(actor=clerk, kind="registry_import", params={"xlsx": str(path), "dry_run": False})

    old = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager, app.conf.broker_url = False, BROKER
    try:
        with app.connection_for_write() as conn:
            run_import.apply_async(args=(job.pk,), connection=conn)
    finally:
        app.conf.task_always_eager, app.conf.broker_url = old

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in (Job.Status.SUCCEEDED, Job.Status.FAILED):
            break
        time.sleep(0.5)
    assert job.status == Job.Status.SUCCEEDED, (job.status, job.error, worker.poll())
    assert job.result["created"] == 5
    assert Household.objects.filter(number__startswith="W").count() == 5
