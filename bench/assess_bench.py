"""Bulk exit assessment throughput (performance.md, "What to measure": bulk assessment).

    .venv/bin/python bench/assess_bench.py [--database-url URL] [--area CODE] [--year 2017]
                                           [--repeats 3] [--slice 2000] [--workers N] [--smoke]
    .venv/bin/python bench/assess_bench.py --prepare --divisions china-2023.csv.gz [--database-url URL]

- Measured: `fupin assess households --year Y --area CODE --all` as a subprocess against an
  existing database that holds a seeded registry (default: PostgreSQL database fupin_hunan,
  the hunan preset — 2.5 million households). Wall time (Django start-up included) and the
  peak RSS of the command and its worker processes (os.wait4); --repeats runs, median reported.
  Each measured run's results are deleted afterwards so that the database does not grow.
- Baseline in the same run: a per-household Python loop over ORM objects on a slice (the first
  --slice households of the same selection): for each, its members and income record are read
  through the ORM and the same rule applied (fupin.policy.services.household_exit);
  households/s extrapolated.
- --prepare creates the database: migrate, load the province's divisions (NBS file given by
  --divisions, e.g. the whole-country file cut with --root 430000000000), `fupin seed --preset
  hunan`, ANALYZE. Takes tens of minutes.
- --smoke (CI): a temporary SQLite database with 2,000 seeded 郴州 households, one run.

Prints a table and writes bench/results/assess-<timestamp>.json.
"""

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
FUPIN = [sys.executable, "-m", "fupin"]
DEFAULT_DB = os.environ.get("FUPIN_BENCH_ASSESS_DB", "postgres://postgres@127.0.0.1:5432/fupin_hunan")


def run(cmd: list[str], env: dict, cwd: Path) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MB of the process tree's largest member, stdout)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = p.communicate()
    wall = time.perf_counter() - t0
    import resource

    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if p.returncode != 0:
        raise SystemExit(f"failed ({p.returncode}): {' '.join(cmd)}\n{err[-2000:]}")
    return wall, rss, out.strip().splitlines()[-1] if out.strip() else ""


def baseline_worker(area: str, year: int, n: int) -> None:
    """Runs in a subprocess: the per-household ORM loop on the first n households."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.config.settings")
    import django

    django.setup()
    from fupin.areas.models import Area, code_range
    from fupin.policy.packs import get_pack
    from fupin.policy.services import household_exit
    from fupin.registry.models import Household

    pack = get_pack()
    a = Area.objects.get(code=area)
    lo, hi = code_range(a.code, a.level)
    ids = list(Household.objects.filter(village_id__gte=lo, village_id__lte=hi, kind="建档立卡户")
               .order_by("pk").values_list("pk", flat=True)[:n])
    t0 = time.perf_counter()
    passed = 0
    for pk in ids:
        h = Household.objects.get(pk=pk)
        passed += household_exit(h, year=year, pack=pack).passed
    secs = time.perf_counter() - t0
    print(json.dumps({"households": len(ids), "seconds": secs, "passed": passed}))


def count(env: dict, cwd: Path, area: str) -> int:
    code = ("import os,django;os.environ.setdefault('DJANGO_SETTINGS_MODULE','fupin.config.settings');django.setup();"
            "from fupin.areas.models import Area,code_range;from fupin.registry.models import Household;"
            f"a=Area.objects.get(code='{area}');lo,hi=code_range(a.code,a.level);"
            "print(Household.objects.filter(village_id__gte=lo,village_id__lte=hi,kind='建档立卡户').count())")
    return int(subprocess.check_output([sys.executable, "-c", code], env=env, cwd=cwd, text=True).strip())


def delete_run(env: dict, cwd: Path, summary: str) -> None:
    """Drop a measured run's rows (bench database only) so that repeats do not grow it."""
    run_id = summary.rsplit("run ", 1)[-1].rstrip(")")
    if not run_id.isdigit():
        return
    code = ("import os,django;os.environ.setdefault('DJANGO_SETTINGS_MODULE','fupin.config.settings');django.setup();"
            "from fupin.policy.models import HouseholdResult,AssessmentRun;"
            f"HouseholdResult.objects.filter(run_id={run_id}).delete();"
            f"AssessmentRun.objects.filter(pk={run_id}).update(status='failed')")
    subprocess.check_call([sys.executable, "-c", code], env=env, cwd=cwd)


def prepare(env: dict, cwd: Path, divisions: str, root: str) -> None:
    for cmd in (["migrate", "-v0"], ["areas", "load", divisions, "--root", root],
                ["seed", "--preset", "hunan", "--seed", "1"]):
        print("$ fupin", " ".join(cmd), flush=True)
        subprocess.check_call([*FUPIN, *cmd], env=env, cwd=cwd)
    code = ("import os,django;os.environ.setdefault('DJANGO_SETTINGS_MODULE','fupin.config.settings');django.setup();"
            "from django.db import connection;c=connection.cursor();c.execute('ANALYZE')")
    subprocess.check_call([sys.executable, "-c", code], env=env, cwd=cwd)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", default=DEFAULT_DB)
    ap.add_argument("--area", default="430000000000", help="area assessed (default: Hunan province)")
    ap.add_argument("--year", type=int, default=2017)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--slice", type=int, default=2000, help="households in the ORM-loop baseline")
    ap.add_argument("--workers", type=int, help="FUPIN_ASSESS_WORKERS for the measured runs")
    ap.add_argument("--prepare", action="store_true", help="create and seed the database first")
    ap.add_argument("--divisions", help="NBS divisions file for --prepare")
    ap.add_argument("--smoke", action="store_true", help="tiny SQLite run for CI")
    a = ap.parse_args(argv)

    tmp = tempfile.TemporaryDirectory(prefix="fupin-assess-bench-")
    cwd = Path(tmp.name)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    if a.smoke:
        env.pop("DATABASE_URL", None)
        a.area, a.repeats, a.slice = "431000000000", 1, 100
        for cmd in (["migrate", "-v0"], ["areas", "load", str(ROOT / "src/fupin/areas/data/chenzhou-2023.csv")],
                    ["seed", "--preset", "chenzhou", "--households", "2000", "--seed", "1"]):
            subprocess.check_call([*FUPIN, *cmd], env=env, cwd=cwd, stdout=subprocess.DEVNULL)
    else:
        env["DATABASE_URL"] = a.database_url
        if a.prepare:
            if not a.divisions:
                ap.error("--prepare needs --divisions FILE")
            prepare(env, cwd, a.divisions, a.area)
    if a.workers:
        env["FUPIN_ASSESS_WORKERS"] = str(a.workers)
    load0 = os.getloadavg()
    total = count(env, cwd, a.area)
    runs = []
    for i in range(a.repeats):
        wall, rss, summary = run([*FUPIN, "assess", "households", "--year", str(a.year), "--area", a.area, "--all"],
                                 env, cwd)
        runs.append({"seconds": wall, "rss_mb": rss, "summary": summary})
        print(f"run {i + 1}: {wall:.1f} s, {total / wall:,.0f} households/s — {summary}", flush=True)
        delete_run(env, cwd, summary)
    base = json.loads(subprocess.check_output(
        [sys.executable, "-c", f"import sys;sys.path.insert(0,{str(ROOT / 'bench')!r});import assess_bench as b;"
         f"b.baseline_worker({a.area!r},{a.year},{a.slice})"], env=env, cwd=cwd, text=True).strip().splitlines()[-1])
    med = statistics.median(r["seconds"] for r in runs)
    rate = total / med
    base_rate = base["households"] / base["seconds"] if base["seconds"] else 0
    print()
    print("| database | households | median s | households/s | baseline ORM loop households/s | × baseline | "
          "peak RSS MB |")
    print("|---|---|---|---|---|---|---|")
    kind = "SQLite" if a.smoke else ("PostgreSQL" if a.database_url.startswith("postgres") else "other")
    print(f"| {kind} | {total:,} | {med:.1f} | {rate:,.0f} | {base_rate:,.0f} (slice of {base['households']:,}) | "
          f"{rate / base_rate if base_rate else 0:.1f} | {max(r['rss_mb'] for r in runs):.0f} |")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"assess-{dt.datetime.now():%Y%m%d-%H%M%S}{'-smoke' if a.smoke else ''}.json"
    out.write_text(json.dumps({
        "area": a.area, "year": a.year, "households": total, "runs": runs, "median_seconds": med,
        "households_per_s": rate, "baseline": base, "baseline_households_per_s": base_rate,
        "ratio": rate / base_rate if base_rate else None, "database": kind, "cpus": os.cpu_count(),
        "machine": platform.machine(), "load_start": load0, "load_end": os.getloadavg(),
        "workers": a.workers, "smoke": a.smoke,
    }, indent=2, ensure_ascii=False))
    print(f"\n→ {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
