"""Import throughput and memory (performance.md, "What to measure": import throughput).

    .venv/bin/python bench/import_bench.py [--households N] [--db sqlite|postgres|both]
                                           [--formats csv,xlsx] [--repeats 3] [--smoke]

1. Generates N households (default: the chenzhou preset, 130,000) with the seeder
   (fupin.registry.seeding) as 户.csv + 人.csv and registry.xlsx, and the same for 2N.
2. For each database and format, `fupin import registry` runs as a subprocess into a FRESH
   database (SQLite: a temp file; PostgreSQL: database fupin_bench_<pid>, dropped and recreated),
   migrated and with the 郴州 areas loaded beforehand (not timed). Wall time and the child's own
   peak RSS (os.wait4) are recorded; repeated --repeats times, the median is reported.
3. Memory flatness: one more import of the 2N files per database and format; its peak RSS is
   reported beside the N figure (flat = the importer streams).
4. Baseline in the same run (the machine is shared and noisy; only ratios mean much): the
   first ~10,000 members' households of the same files parsed with fupin.registry.validation
   and saved one row at a time with Model.save() (inside one transaction, which is the kind
   baseline: autocommit per row would be slower still), timed in a subprocess on a fresh
   database, extrapolated as members/s.

Prints a table and writes bench/results/import-<timestamp>.json. `--smoke` (CI) runs a tiny N
once on each reachable database, without the 2N run.
"""

import argparse
import datetime as dt
import json
import os
import platform
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PG_ADMIN_URL = os.environ.get("FUPIN_BENCH_PG_ADMIN", "postgres://postgres@127.0.0.1:5432/postgres")
# One database per bench process: two runs at once (CI and a person) must not drop each other's.
PG_DB = f"fupin_bench_{os.getpid()}"
_CHILD_SECRET = secrets.token_urlsafe(50)


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.config.settings")
    import django

    django.setup()


# ------------------------------------------------------------------------------------------
# data


def generate(out: Path, n: int, seed: int, formats: list[str]) -> tuple[int, int]:
    """Seeder rows on 郴州's real villages (read from the bundled division file, no database)."""
    from fupin.areas.services import BUNDLED_CHENZHOU, read_divisions
    from fupin.registry import seeding

    villages = [r[0] for r in read_divisions(BUNDLED_CHENZHOU) if r[2] == 5]
    rows = seeding.generate(villages, n, seed=seed)
    xlsx = "xlsx" in formats and n * 3.4 < seeding.XLSX_MAX_ROWS
    return seeding.write_files(rows, out, csv_files=True, xlsx=xlsx)


# ------------------------------------------------------------------------------------------
# databases


def pg_available() -> bool:
    try:
        import psycopg
    except ImportError:
        return False
    try:
        with psycopg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://"), connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def fresh_database(kind: str, work: Path) -> str:
    """A new empty database; returns its DATABASE_URL."""
    if kind == "sqlite":
        path = work / "bench.sqlite3"
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    with psycopg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {PG_DB}")
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + PG_DB


def drop_database(kind: str) -> None:
    if kind == "postgres":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://"), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")


def run(cmd: list[str], env: dict, cwd: Path) -> tuple[float, float, str]:
    """Run a child; (wall seconds, the child's own peak RSS in MB, stderr tail). Exit ≠ 0 raises."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # os.wait4 gives this child's rusage (RUSAGE_CHILDREN would be the maximum over all children)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    out, err = proc.stdout.read().decode(), proc.stderr.read().decode()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[2:5])} exited {proc.returncode}:\n{out[-2000:]}\n{err[-2000:]}")
    return wall, usage.ru_maxrss / 1024, (out.strip().splitlines() or [""])[-1]


def prepare(kind: str, work: Path) -> dict:
    url = fresh_database(kind, work)
    # Production settings (DEBUG off): with DEBUG on, Django keeps the SQL of the last 9,000 queries,
    # which made SQLite's import of 130,000 households 54 MB bigger for twice the file. The secret key
    # is a throwaway one, for these child processes only.
    env = {**os.environ, "DATABASE_URL": url, "FUPIN_JOBS_EAGER": "1", "FUPIN_DEBUG": "0",
           "FUPIN_SECRET_KEY": _CHILD_SECRET}
    fupin = [sys.executable, "-m", "fupin"]
    run([*fupin, "migrate", "-v", "0"], env, work)
    run([*fupin, "areas", "load", "chenzhou"], env, work)
    return env


def import_once(kind: str, fmt: str, data: Path, work: Path) -> dict:
    env = prepare(kind, work)
    args = ([str(data / "registry.xlsx")] if fmt == "xlsx"
            else ["--households", str(data / "户.csv"), "--members", str(data / "人.csv")])
    wall, rss, summary = run([sys.executable, "-m", "fupin", "import", "registry", *args], env, work)
    return {"seconds": wall, "peak_rss_mb": rss, "summary": summary}


# ------------------------------------------------------------------------------------------
# baseline: Model.save() per row


def baseline_worker(data: Path, members_wanted: int) -> None:
    """Runs inside a child process with DATABASE_URL set: prints {"members", "seconds"}."""
    import csv

    _django()
    from django.db import transaction

    from fupin.cli.base import cli_actor
    from fupin.core.pinyin import initials
    from fupin.registry import validation as v
    from fupin.registry.models import Household, IncomeRecord, Member
    from fupin.registry.services import HOUSEHOLD_FIELDS, MEMBER_FIELDS

    cli_actor()
    with open(data / "户.csv", encoding="utf-8-sig", newline="") as fh:
        households = csv.DictReader(fh)
        with open(data / "人.csv", encoding="utf-8-sig", newline="") as fm:
            members = list(_take_members(csv.DictReader(fm), members_wanted))
        wanted = {m["户编号"] for m in members}
        hh_rows = [r for r in households if r["户编号"] in wanted]
    by_household: dict[str, list] = {}
    for m in members:
        by_household.setdefault(m["户编号"], []).append(m)
    started = time.perf_counter()
    with transaction.atomic():
        for row in hh_rows:
            hh, errors = v.parse_household(row)
            assert not errors, errors
            h = Household(number=hh["number"], head_initials=initials(hh["head_name"]),
                          **{f: hh[f] for f in HOUSEHOLD_FIELDS})
            h.save()
            IncomeRecord(household=h, **hh["income"]).save()
            for raw in by_household[row["户编号"]]:
                m, errors = v.parse_member(raw)
                assert not errors, errors
                Member(household=h, name_initials=initials(m["name"]), **{f: m[f] for f in MEMBER_FIELDS}).save()
    seconds = time.perf_counter() - started
    print(json.dumps({"members": len(members), "households": len(hh_rows), "seconds": seconds}))


def _take_members(reader, wanted: int):
    """Whole households until about `wanted` members."""
    current = None
    for taken, row in enumerate(reader):
        if taken >= wanted and row["户编号"] != current:
            return
        current = row["户编号"]
        yield row


def baseline(kind: str, data: Path, work: Path, members: int) -> dict:
    env = prepare(kind, work)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--_baseline-worker", str(data), str(members)]
    _wall, rss, last = run(cmd, env, work)
    r = json.loads(last)
    return {**r, "members_per_s": r["members"] / r["seconds"], "peak_rss_mb": rss}


# ------------------------------------------------------------------------------------------
# shared with the other benches (export_bench.py)


def databases(choice: str) -> tuple[list[str], list[str]]:
    """The databases of --db that can be reached, and a note for each one skipped; none at all when
    PostgreSQL alone was asked for and cannot be reached (said on stderr)."""
    dbs = ["sqlite", "postgres"] if choice == "both" else [choice]
    notes: list[str] = []
    if "postgres" in dbs and not pg_available():
        if choice == "postgres":
            print("PostgreSQL 不可用 / not reachable at " + PG_ADMIN_URL, file=sys.stderr)
            return [], notes
        dbs.remove("postgres")
        notes.append("PostgreSQL not reachable: skipped")
    return dbs, notes


def reporter(benchmark: str, a, results: list, notes: list):
    """(save, path): save() writes bench/results/<benchmark>-<timestamp>.json with the run's
    arguments, the machine, and `results` and `notes` as they are by then. Called after every
    measurement, so that a failure late in a long run keeps what was measured."""
    load_start = os.getloadavg()
    out = RESULTS / f"{benchmark}-{dt.datetime.now():%Y%m%d-%H%M%S}{'-smoke' if a.smoke else ''}.json"

    def save() -> None:
        report = {
            "benchmark": benchmark, "when": dt.datetime.now().isoformat(timespec="seconds"), "smoke": a.smoke,
            "households": a.households, "repeats": a.repeats, "seed": a.seed,
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                        "loadavg_start": load_start, "loadavg_end": os.getloadavg()},
            "results": results, "notes": notes,
        }
        RESULTS.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return save, out


# ------------------------------------------------------------------------------------------


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--households", type=int, default=130_000)
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--formats", default="csv,xlsx")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--baseline-members", type=int, default=10_000)
    p.add_argument("--no-double", action="store_true", help="skip the 2N memory-flatness run")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--smoke", action="store_true", help="tiny N, one repeat (CI)")
    p.add_argument("--_baseline-worker", nargs=2, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a._baseline_worker:
        baseline_worker(Path(a._baseline_worker[0]), int(a._baseline_worker[1]))
        return 0
    if a.smoke:
        a.households, a.repeats, a.baseline_members, a.no_double = 150, 1, 300, True
    formats = [f.strip() for f in a.formats.split(",") if f.strip()]
    dbs, notes = databases(a.db)
    if not dbs:
        return 1

    _django()
    work = Path(tempfile.mkdtemp(prefix="fupin-import-bench-"))
    results: list[dict] = []
    save, out = reporter("import", a, results, notes)
    try:
        sizes = {"N": a.households} | ({} if a.no_double else {"2N": 2 * a.households})
        data, counts = {}, {}
        for label, n in sizes.items():
            data[label] = work / f"data-{label}"
            t = time.perf_counter()
            counts[label] = generate(data[label], n, a.seed, formats)
            print(f"generated {label}: {counts[label][0]} households, {counts[label][1]} members "
                  f"({time.perf_counter() - t:.1f} s)", file=sys.stderr)
        fmts = [f for f in formats if f == "csv" or (data["N"] / "registry.xlsx").exists()]
        if "xlsx" in formats and "xlsx" not in fmts:
            notes.append("xlsx skipped: too many members for one Excel sheet")
        for kind in dbs:
            base = baseline(kind, data["N"], work, a.baseline_members)
            print(f"[{kind}] baseline Model.save(): {base['members_per_s']:.0f} members/s "
                  f"({base['members']} members in {base['seconds']:.1f} s)", file=sys.stderr)
            for fmt in fmts:
                runs = []
                for i in range(a.repeats):
                    r = import_once(kind, fmt, data["N"], work)
                    print(f"[{kind} {fmt}] run {i + 1}: {r['seconds']:.1f} s, {r['peak_rss_mb']:.0f} MB — "
                          f"{r['summary']}", file=sys.stderr)
                    runs.append(r)
                seconds = statistics.median(r["seconds"] for r in runs)
                rss = statistics.median(r["peak_rss_mb"] for r in runs)
                members = counts["N"][1]
                entry = {"db": kind, "format": fmt, "households": counts["N"][0], "members": members,
                         "runs_seconds": [round(r["seconds"], 2) for r in runs], "median_seconds": round(seconds, 2),
                         "members_per_s": round(members / seconds), "peak_rss_mb": round(rss, 1),
                         "baseline_members_per_s": round(base["members_per_s"]),
                         "baseline_sample_members": base["members"],
                         "ratio_vs_baseline": round(members / seconds / base["members_per_s"], 1)}
                if "2N" in data:
                    try:
                        r2 = import_once(kind, fmt, data["2N"], work)
                    except RuntimeError as exc:
                        notes.append(f"{kind} {fmt} 2N failed: {str(exc)[:300]}")
                        print(notes[-1], file=sys.stderr)
                    else:
                        entry |= {"members_2n": counts["2N"][1], "seconds_2n": round(r2["seconds"], 2),
                                  "peak_rss_mb_2n": round(r2["peak_rss_mb"], 1)}
                        print(f"[{kind} {fmt}] 2N: {r2['seconds']:.1f} s, {r2['peak_rss_mb']:.0f} MB",
                              file=sys.stderr)
                results.append(entry)
                save()
            drop_database(kind)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print()
    print(f"{'db':9} {'format':6} {'members':>9} {'median s':>9} {'members/s':>10} {'peak RSS MB':>12} "
          f"{'RSS 2N MB':>10} {'baseline/s':>11} {'× baseline':>11}")
    for e in results:
        print(f"{e['db']:9} {e['format']:6} {e['members']:>9} {e['median_seconds']:>9.1f} {e['members_per_s']:>10} "
              f"{e['peak_rss_mb']:>12.0f} {e.get('peak_rss_mb_2n', float('nan')):>10.0f} "
              f"{e['baseline_members_per_s']:>11} {e['ratio_vs_baseline']:>11.1f}")
    for n in notes:
        print("note:", n)
    save()
    print(f"written {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    sys.exit(main())
