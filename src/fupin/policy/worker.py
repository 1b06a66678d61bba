"""One worker process of a parallel bulk assessment (fupin.policy.services._in_workers).

Reads its work (base64 pickle: run, area, date, pack, year, selection, id slice, database name)
on standard input, writes that slice's results in one transaction of its own, and prints its
counts (base64 pickle) as the last line of standard output. It stops when its parent is gone, so
that a killed run does not go on writing. Not a command for people: the parent starts it.
"""

import base64
import os
import pickle
import sys


def main() -> int:
    spec = pickle.loads(base64.b64decode(sys.stdin.buffer.read()))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.config.settings")
    import django

    django.setup()
    from django.db import connection, transaction

    connection.settings_dict["NAME"] = spec["db_name"]  # the parent's database (a test's too)
    from fupin.areas.models import Area
    from fupin.jobs.models import Job
    from fupin.policy.services import assess_slice

    parent = spec["parent"]
    total, scale, job_id = spec["total"], spec["progress_scale"], spec["progress_job"]

    from django.db import connections

    # Progress goes through a connection of its own (autocommit), so that the job page sees it
    # while the slice's own transaction is still open.
    side = connections.create_connection("default") if job_id else None

    def progress(done: int) -> None:
        with side.cursor() as cur:
            cur.execute(f"UPDATE {Job._meta.db_table} SET done = %s, total = %s, status = %s WHERE id = %s",
                        [min(done * scale, total), total, Job.Status.RUNNING, job_id])

    try:
        with transaction.atomic():
            counts = assess_slice(run_id=spec["run_id"], area=Area.objects.get(code=spec["area"]), day=spec["day"],
                                  pack=spec["pack"], year=spec["year"], kinds=spec["kinds"],
                                  statuses=spec["statuses"], id_range=spec["id_range"],
                                  progress=progress if job_id else None, alive=lambda: os.getppid() == parent)
        out, code = {"ok": counts}, 0
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises it
        out, code = {"error": f"{type(exc).__name__}: {exc}"}, 1
    sys.stdout.write("\n" + base64.b64encode(pickle.dumps(out)).decode() + "\n")
    sys.stdout.flush()
    return code


if __name__ == "__main__":
    raise SystemExit(main())
