"""Per-row validation cost (registry.validation), the larger part of an import's time.

    .venv/bin/python bench/validation_bench.py [--households N] [--repeats 5] [--smoke]

Generates N households with the seeder (fupin.registry.seeding), writes them as the exchange-format
CSVs, then times, over the same rows in the same run: the baseline of reading the CSVs with
csv.DictReader, and parse_household / parse_member on every row; then the importer's road to the same
answers (registry.fast_validation: HouseholdParser / MemberParser, a fresh parser per repeat so its
memos start empty). Prints µs per row (median of the repeats) and writes
bench/results/validation-<timestamp>.json. A benchmark, not a test.
"""

import argparse
import csv
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=int, default=20_000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--smoke", action="store_true", help="tiny size, one repeat (CI)")
    a = ap.parse_args()
    if a.smoke:
        a.households, a.repeats = 300, 1
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.config.settings")
    os.environ.setdefault("DATABASE_URL", "sqlite:///" + tempfile.mkdtemp() + "/bench.sqlite3")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    out = Path(tempfile.mkdtemp())
    with open(os.devnull, "w") as null:
        call_command("areas_load", "chenzhou", stdout=null)
        call_command("seed", preset="chenzhou", households=a.households, seed=1, out=out, stdout=null)
    from fupin.registry.fast_validation import HouseholdParser, MemberParser
    from fupin.registry.validation import parse_household, parse_member

    def rows(name):
        with open(Path(out) / name, encoding="utf-8-sig", newline="") as fh:
            return list(csv.DictReader(fh))

    hh_rows, m_rows = rows("户.csv"), rows("人.csv")

    def timed(fn):
        runs = []
        for _ in range(a.repeats):
            t = time.perf_counter()
            fn()
            runs.append(time.perf_counter() - t)
        return statistics.median(runs)

    read = timed(lambda: (rows("户.csv"), rows("人.csv")))
    hh = timed(lambda: [parse_household(r, row=i) for i, r in enumerate(hh_rows, 2)])
    mm = timed(lambda: [parse_member(r, row=i) for i, r in enumerate(m_rows, 2)])
    fast_hh = timed(lambda: [p.parse(r, i) for p in [HouseholdParser(area_exists=lambda c: True)]
                             for i, r in enumerate(hh_rows, 2)])
    fast_mm = timed(lambda: [p.parse(r, i) for p in [MemberParser()] for i, r in enumerate(m_rows, 2)])
    n_h, n_m = len(hh_rows), len(m_rows)
    result = {
        "households": n_h, "members": n_m, "repeats": a.repeats,
        "read_csv_us_per_row": read / (n_h + n_m) * 1e6,
        "parse_household_us": hh / n_h * 1e6, "parse_member_us": mm / n_m * 1e6,
        "validation_members_per_s": n_m / (hh + mm),
        "fast_household_us": fast_hh / n_h * 1e6, "fast_member_us": fast_mm / n_m * 1e6,
        "fast_validation_members_per_s": n_m / (fast_hh + fast_mm),
    }
    print(f"{'rows':>8} {'read CSV µs/row':>16} {'':>6} {'household µs':>13} {'member µs':>10} "
          f"{'members/s (validation only)':>28}")
    print(f"{n_h + n_m:>8} {result['read_csv_us_per_row']:>16.1f} {'parse':>6} {result['parse_household_us']:>13.1f} "
          f"{result['parse_member_us']:>10.1f} {result['validation_members_per_s']:>28.0f}")
    print(f"{'':>8} {'':>16} {'fast':>6} {result['fast_household_us']:>13.1f} "
          f"{result['fast_member_us']:>10.1f} {result['fast_validation_members_per_s']:>28.0f}")
    res = ROOT / "bench" / "results"
    res.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S") + ("-smoke" if a.smoke else "")
    (res / f"validation-{stamp}.json").write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
