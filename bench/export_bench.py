"""Export throughput and memory (performance.md, "What to measure": export throughput and memory).

1. Seeds a fresh database with N households (default: the chenzhou preset, 130,000) by
   `fupin seed --preset chenzhou --households N` on 郴州's real villages (not timed).
2. Times `fupin export registry OUT.xlsx` (masked, the default) as a subprocess, `--repeats` times
   (median reported), with the child's peak RSS; then once for a database of 2N households
   (memory flatness) unless `--no-double`.
3. Baseline in the same run (performance.md names none for the export; this is what a first
   version would do): the first ~2,000 households read through the ORM one household at a time
   (its members and latest income each by their own query) into an xlsxwriter workbook in its
   default, in-memory mode; households/s extrapolated.

Output: a table of households/s, members/s and peak RSS; bench/results/export-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from import_bench import ROOT, _django, databases, drop_database, prepare, reporter, run


def seed(kind: str, work: Path, n: int, seed_: int) -> dict:
    env = prepare(kind, work)
    t = time.perf_counter()
    run([sys.executable, "-m", "fupin", "seed", "--preset", "chenzhou", "--households", str(n),
         "--seed", str(seed_)], env, work)
    return {"env": env, "seed_seconds": time.perf_counter() - t}


def export_once(env: dict, work: Path) -> dict:
    out = work / "export.xlsx"
    out.unlink(missing_ok=True)
    wall, rss, summary = run([sys.executable, "-m", "fupin", "export", "registry", str(out)], env, work)
    return {"seconds": wall, "peak_rss_mb": rss, "summary": summary, "bytes": out.stat().st_size}


def _text(value) -> str:
    return "" if value is None else str(value)


def baseline_worker(out: Path, households: int) -> None:
    """The naive export: per household, its members and latest income by their own queries,
    into an in-memory workbook."""
    _django()
    import xlsxwriter

    from fupin.registry import exchange_rows as rows
    from fupin.registry import validation as v
    from fupin.registry.models import Household

    started = time.perf_counter()
    wb = xlsxwriter.Workbook(str(out))
    ws_h, ws_m = wb.add_worksheet("户"), wb.add_worksheet("人")
    ws_h.write_row(0, 0, v.HOUSEHOLD_HEADERS)
    ws_m.write_row(0, 0, v.MEMBER_HEADERS)
    r_h = r_m = 0
    for h in Household.objects.order_by("id")[:households]:
        members = list(h.members.order_by("id").values())
        head = next((m["id_number"] for m in members if m["relation"] == "户主"), "")
        inc = h.incomes.order_by("-year").first()
        r_h += 1
        cells = rows.household_row(h, head, inc)
        ws_h.write_row(r_h, 0, [_text(cells.get(k)) for k in v.HOUSEHOLD_HEADERS])
        for m in members:
            r_m += 1
            cells = rows.member_row(m, h.number)
            ws_m.write_row(r_m, 0, [_text(cells.get(k)) for k in v.MEMBER_HEADERS])
    wb.close()
    print(json.dumps({"households": r_h, "members": r_m, "seconds": time.perf_counter() - started}))


def baseline(env: dict, work: Path, households: int) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--_baseline-worker", str(work / "baseline.xlsx"),
           str(households)]
    _wall, rss, last = run(cmd, env, work)
    r = json.loads(last)
    return {**r, "households_per_s": r["households"] / r["seconds"], "peak_rss_mb": rss}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--households", type=int, default=130_000)
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--baseline-households", type=int, default=2_000)
    p.add_argument("--no-double", action="store_true", help="skip the 2N memory-flatness run")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--smoke", action="store_true", help="tiny N, one repeat (CI)")
    p.add_argument("--_baseline-worker", nargs=2, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a._baseline_worker:
        baseline_worker(Path(a._baseline_worker[0]), int(a._baseline_worker[1]))
        return 0
    if a.smoke:
        a.households, a.repeats, a.baseline_households, a.no_double = 150, 1, 50, True
    dbs, notes = databases(a.db)
    if not dbs:
        return 1

    work = Path(tempfile.mkdtemp(prefix="fupin-export-bench-"))
    results: list[dict] = []
    save, out = reporter("export", a, results, notes)

    try:
        for kind in dbs:
            s = seed(kind, work, a.households, a.seed)
            print(f"[{kind}] seeded {a.households} households ({s['seed_seconds']:.1f} s)", file=sys.stderr)
            base = baseline(s["env"], work, a.baseline_households)
            print(f"[{kind}] baseline ORM per household: {base['households_per_s']:.0f} households/s "
                  f"({base['households']} in {base['seconds']:.1f} s, {base['peak_rss_mb']:.0f} MB)", file=sys.stderr)
            runs = []
            for i in range(a.repeats):
                r = export_once(s["env"], work)
                print(f"[{kind}] run {i + 1}: {r['seconds']:.1f} s, {r['peak_rss_mb']:.0f} MB — {r['summary']}",
                      file=sys.stderr)
                runs.append(r)
            seconds = statistics.median(r["seconds"] for r in runs)
            members = int(runs[0]["summary"].split("户 households, ")[1].split(" ")[0])
            entry = {"db": kind, "households": a.households, "members": members,
                     "runs_seconds": [round(r["seconds"], 2) for r in runs], "median_seconds": round(seconds, 2),
                     "households_per_s": round(a.households / seconds), "members_per_s": round(members / seconds),
                     "peak_rss_mb": round(statistics.median(r["peak_rss_mb"] for r in runs), 1),
                     "file_mb": round(runs[0]["bytes"] / 2**20, 1),
                     "baseline_households_per_s": round(base["households_per_s"]),
                     "baseline_sample_households": base["households"], "baseline_peak_rss_mb": round(base["peak_rss_mb"]),
                     "ratio_vs_baseline": round(a.households / seconds / base["households_per_s"], 1)}
            if not a.no_double:
                s2 = seed(kind, work, 2 * a.households, a.seed)
                r2 = export_once(s2["env"], work)
                entry |= {"seconds_2n": round(r2["seconds"], 2), "peak_rss_mb_2n": round(r2["peak_rss_mb"], 1)}
                print(f"[{kind}] 2N: {r2['seconds']:.1f} s, {r2['peak_rss_mb']:.0f} MB", file=sys.stderr)
            results.append(entry)
            save()
            drop_database(kind)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print()
    print(f"{'db':9} {'households':>10} {'members':>9} {'median s':>9} {'households/s':>13} {'members/s':>10} "
          f"{'peak RSS MB':>12} {'RSS 2N MB':>10} {'baseline hh/s':>14} {'× baseline':>11}")
    for e in results:
        print(f"{e['db']:9} {e['households']:>10} {e['members']:>9} {e['median_seconds']:>9.1f} "
              f"{e['households_per_s']:>13} {e['members_per_s']:>10} {e['peak_rss_mb']:>12.0f} "
              f"{e.get('peak_rss_mb_2n', float('nan')):>10.0f} {e['baseline_households_per_s']:>14} "
              f"{e['ratio_vs_baseline']:>11.1f}")
    for n in notes:
        print("note:", n)
    save()
    print(f"written {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    sys.exit(main())
