"""`fupin assess households` and `fupin monitor` as an operator runs them (cli.md): the --out
columns, --area and --all, results kept per run and year, a run that dies part way, and a year the
policy pack lacks.

Most tests call the console entry point in-process (fupin.cli.main.main, exit code returned), so
they run on the suite's database, SQLite or PostgreSQL. The kill test runs the real command in a
subprocess and SIGKILLs it after its first batch of results is written inside the open
transaction.
"""

import csv
import datetime as dt
import os
import re
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection

from fupin.policy.models import AssessmentRun, HouseholdResult
from tests.cast import OTHER_COUNTY_VILLAGE, VILLAGE_A, VILLAGE_B
from tests.killing import kill_when_seen
from tests.policy.conftest import add_household, person, run_cli

D = dt.date
HEADER = ["户编号", "行政区划代码", "人均纯收入", "可退出", "原因"]
MONITOR_HEADER = ["户编号", "监测类别", "触发原因", "可消除风险"]
ROOT = Path(__file__).resolve().parents[2]


def read_csv(path: Path) -> tuple[list[str], dict[str, list[str]]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], {r[0]: r[1:] for r in rows[1:]}


def last_line(text: str) -> str:
    return [x for x in text.strip().splitlines() if x.strip()][-1]


@pytest.fixture
def registry(db):
    """Registered households in two villages of 桂东县 and one of 宜章县, 2016 and 2017 incomes."""
    three = [person(), person(), person()]
    add_household(VILLAGE_A, "A1", members=three, incomes={2017: {"wage": "9078.01"}})     # 3,026.0033…: 是
    add_household(VILLAGE_A, "A2", food=False, grade="C", incomes={2017: {"wage": 20000}, 2016: {"wage": 20000}})
    add_household(VILLAGE_A, "A3", incomes={2016: {"wage": 20000}})                        # no 2017 record
    add_household(VILLAGE_A, "A4", status="已脱贫", incomes={2017: {"wage": 20000}})
    add_household(VILLAGE_A, "A5", status="返贫", incomes={2017: {"wage": "9078.00"}})     # exactly the line
    add_household(VILLAGE_A, "A6", kind="一般农户", status="", incomes={2017: {"wage": 1}})
    add_household(VILLAGE_A, "A7", members=[person(), person(insured=False, soldier=True),
                                            person(state="死亡", state_date=D(2017, 3, 1), insured=False)],
                  incomes={2017: {"wage": 6053, "business_cost": "0.99"}})
    add_household(VILLAGE_B, "B1", incomes={2017: {"wage": 30000}})
    add_household(OTHER_COUNTY_VILLAGE, "O1", incomes={2017: {"wage": 30000}})


def assess(capsys, *args) -> tuple[int, str, str]:
    rc = run_cli("assess", "households", *args)
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_out_has_clis_columns_and_values(registry, tmp_path, capsys):
    out = tmp_path / "x.csv"
    rc, stdout, _ = assess(capsys, "--year", 2017, "--out", out)
    assert rc == 0
    header, rows = read_csv(out)
    assert header == HEADER
    assert rows == {
        "A1": [VILLAGE_A, "3026.00", "是", ""],            # above the line although it shows as 3,026.00
        "A2": [VILLAGE_A, "6666.67", "否", "FOOD;HOUSING"],
        "A3": [VILLAGE_A, "", "否", "NO_INCOME_DATA"],
        "A5": [VILLAGE_A, "3026.00", "否", "INCOME"],
        "A7": [VILLAGE_A, "3026.01", "是", ""],            # 6,052.01 over the two present on 31 December
        "B1": [VILLAGE_B, "10000.00", "是", ""],
        "O1": [OTHER_COUNTY_VILLAGE, "10000.00", "是", ""],
    }
    assert all(re.fullmatch(r"-?\d+\.\d\d", r[1]) for r in rows.values() if r[1])
    assert "7 户 households" in last_line(stdout) and "4 可退出" in last_line(stdout)
    assert not list(tmp_path.glob("*.part"))


def test_area_scopes_and_all_includes_exited(registry, tmp_path, capsys):
    out = tmp_path / "a.csv"
    assert assess(capsys, "--year", 2017, "--area", VILLAGE_A, "--out", out)[0] == 0
    assert set(read_csv(out)[1]) == {"A1", "A2", "A3", "A5", "A7"}
    assert assess(capsys, "--year", 2017, "--area", "431027000000", "--out", out)[0] == 0
    assert set(read_csv(out)[1]) == {"A1", "A2", "A3", "A5", "A7", "B1"}
    assert assess(capsys, "--year", 2017, "--area", VILLAGE_A, "--all", "--out", out)[0] == 0
    rows = read_csv(out)[1]
    assert set(rows) == {"A1", "A2", "A3", "A4", "A5", "A7"}    # exited A4 too; never the ordinary A6
    assert rows["A4"] == [VILLAGE_A, "6666.67", "是", ""]


def test_assessment_date_option(registry, tmp_path, capsys):
    out = tmp_path / "d.csv"
    # on 28 February the member of A7 who died on 1 March was still 在户 (and uninsured): 2,017.34 each
    assert assess(capsys, "--year", 2017, "--date", "2017-02-28", "--area", VILLAGE_A, "--out", out)[0] == 0
    assert read_csv(out)[1]["A7"] == [VILLAGE_A, "2017.34", "否", "INCOME;MEDICAL"]
    rc, _, err = assess(capsys, "--year", 2017, "--date", "2017-02-30")
    assert rc == 2 and "YYYY-MM-DD" in err


def results(run) -> dict[str, tuple]:
    return {r["household__number"]: (r["year"], r["per_capita"], r["passed"], r["reasons"]) for r in
            HouseholdResult.objects.filter(run=run).values("household__number", "year", "per_capita", "passed",
                                                           "reasons")}


def test_results_are_kept_per_run_and_year(registry, capsys):
    from fupin.registry.models import Household

    assert assess(capsys, "--year", 2017, "--area", VILLAGE_A)[0] == 0
    Household.objects.filter(number="A2").update(food_ok=True, housing_grade="B")
    assert assess(capsys, "--year", 2017, "--area", VILLAGE_A)[0] == 0
    assert assess(capsys, "--year", 2016, "--area", VILLAGE_A)[0] == 0
    first, second, y2016 = AssessmentRun.objects.filter(kind="households").order_by("pk")
    assert [(r.year, r.status, r.area_id, r.pack_name) for r in (first, second, y2016)] == [
        (2017, "succeeded", VILLAGE_A, "hunan"), (2017, "succeeded", VILLAGE_A, "hunan"),
        (2016, "succeeded", VILLAGE_A, "hunan")]
    assert results(first)["A2"] == (2017, Decimal("6666.67"), False, "FOOD;HOUSING")   # not overwritten
    assert results(second)["A2"] == (2017, Decimal("6666.67"), True, "")
    assert results(y2016)["A1"] == (2016, None, False, "NO_INCOME_DATA")
    assert results(y2016)["A2"] == (2016, Decimal("6666.67"), True, "")
    assert set(results(first)) == set(results(second)) == {"A1", "A2", "A3", "A5", "A7"}


def test_a_run_that_fails_after_its_first_batch_writes_nothing(registry, tmp_path, capsys, monkeypatch):
    from fupin.policy import services

    assert assess(capsys, "--year", 2017)[0] == 0
    earlier = AssessmentRun.objects.get()
    before = results(earlier)
    real_iter, real_write = services.iter_bulk_facts, services.ResultWriter.write
    monkeypatch.setattr(services, "iter_bulk_facts", lambda **kw: real_iter(**{**kw, "batch": 2}))
    writes = []

    def write_then_fail(self, rows):
        writes.append(len(rows))
        if len(writes) == 2:
            raise OSError("disk full")
        real_write(self, rows)

    monkeypatch.setattr(services.ResultWriter, "write", write_then_fail)
    out = tmp_path / "x.csv"
    with pytest.raises(OSError):
        run_cli("assess", "households", "--year", "2017", "--out", out)
    assert writes == [2, 2]
    broken = AssessmentRun.objects.exclude(pk=earlier.pk).get()
    assert broken.status == "failed"
    assert not HouseholdResult.objects.filter(run=broken).exists()
    assert results(earlier) == before
    assert not out.exists() and not list(tmp_path.glob("*.part"))
    monkeypatch.undo()
    assert assess(capsys, "--year", 2017, "--out", out)[0] == 0
    assert results(AssessmentRun.objects.latest("pk")) == before and len(read_csv(out)[1]) == 7


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the parallel path runs only on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_parallel_run_that_fails_in_one_worker_leaves_no_rows(registry, settings, capsys):
    """Workers are separate processes: one of them meets a real database error (a trigger refuses
    the result row of the highest household), the others commit; the run must end failed with no
    rows, the earlier run untouched, and a clean parallel run must store what one process stored."""
    from django.db import connection as conn

    assert assess(capsys, "--year", 2017)[0] == 0
    earlier = AssessmentRun.objects.get()
    before = results(earlier)
    settings.FUPIN_ASSESS_PARALLEL_MIN, settings.FUPIN_ASSESS_WORKERS = 1, 2
    last = max(HouseholdResult.objects.filter(run=earlier).values_list("household_id", flat=True))
    with conn.cursor() as cur:
        cur.execute("CREATE FUNCTION fupin_test_refuse() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'worker died'; END $$")
        cur.execute(f"CREATE TRIGGER fupin_test_refuse BEFORE INSERT ON policy_householdresult FOR EACH ROW "
                    f"WHEN (NEW.household_id = {last} AND NEW.run_id <> {earlier.pk}) "
                    f"EXECUTE FUNCTION fupin_test_refuse()")
    try:
        rc = run_cli("assess", "households", "--year", "2017", keep_connection=False)
        assert rc == 1 and "worker died" in capsys.readouterr().err
        broken = AssessmentRun.objects.exclude(pk=earlier.pk).get()
        assert broken.status == "failed"
        assert not HouseholdResult.objects.filter(run=broken).exists()
        assert results(earlier) == before
    finally:
        with conn.cursor() as cur:
            cur.execute("DROP TRIGGER fupin_test_refuse ON policy_householdresult")
            cur.execute("DROP FUNCTION fupin_test_refuse()")
    # the same parallel run without the failure stores what the one-process run stored
    settings.FUPIN_ASSESS_PARALLEL_MIN, settings.FUPIN_ASSESS_WORKERS = 1, 2
    assert run_cli("assess", "households", "--year", "2017", keep_connection=False) == 0
    assert results(AssessmentRun.objects.latest("pk")) == before


# --- a real kill ------------------------------------------------------------------------------

SEED = """
import django, sys
django.setup()
from django.db import transaction
from tests.policy.conftest import add_household
with transaction.atomic():
    for i in range(int(sys.argv[1])):
        add_household(sys.argv[2], f"K{i:05d}", incomes={2017: {"wage": 9000 + i}})
"""

# The real command with two changes that only slow it down: batches of 50 households instead of
# 20,000, and a pause after each batch is written, so that the kill lands inside the run.
SLOWED = """
import os, sys, time
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.config.settings")
django.setup()
from fupin.policy import services
real_iter, real_write = services.iter_bulk_facts, services.ResultWriter.write
services.iter_bulk_facts = lambda **kw: real_iter(**{**kw, "batch": 50})
def write(self, rows):
    real_write(self, rows)
    time.sleep(1.0)
services.ResultWriter.write = write
from fupin.cli.main import main
sys.exit(main(sys.argv[1:]))
"""
N_KILL = 300


@pytest.fixture
def external_db(tmp_path):
    """A database a subprocess can use: the suite's own PostgreSQL test database (the test is
    transactional, so what it writes is committed and seen), or a migrated SQLite file with the
    郴州 areas. Returns (env, fetch(sql) → rows)."""
    env = {**os.environ, "FUPIN_LOG_LEVEL": "ERROR", "PYTHONPATH": str(ROOT)}
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        env["DATABASE_URL"] = f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"

        def fetch(sql):
            with connection.cursor() as cur:
                cur.execute(sql)
                return cur.fetchall()
    else:
        db = tmp_path / "kill.sqlite3"
        env["DATABASE_URL"] = f"sqlite:///{db}"
        for args in (["migrate", "-v0"], ["areas", "load", "chenzhou"]):
            subprocess.run([sys.executable, "-m", "fupin", *args], env=env, cwd=tmp_path, check=True,
                           capture_output=True, timeout=300)

        def fetch(sql):
            with sqlite3.connect(db) as con:
                return con.execute(sql).fetchall()
    return env, fetch


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_sigkill_part_way_keeps_the_earlier_run_and_writes_nothing(external_db, tmp_path):
    env, fetch = external_db

    def count(sql):
        return fetch(sql)[0][0]

    seeded = subprocess.run([sys.executable, "-c", SEED, str(N_KILL), VILLAGE_A], env=env, cwd=ROOT, check=False,
                            capture_output=True, text=True, timeout=300)
    assert seeded.returncode == 0, seeded.stderr
    fupin = [sys.executable, "-m", "fupin", "assess", "households", "--year", "2017"]
    done = subprocess.run(fupin, check=False, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    first = count("select max(id) from policy_assessmentrun")
    snapshot = "select household_id, year, per_capita, passed, reasons from policy_householdresult " \
               "where run_id = {} order by household_id"
    before = fetch(snapshot.format(first))
    assert count(f"select count(*) from policy_householdresult where run_id = {first}") == N_KILL

    # the progress bar after the first batch is written
    kill_when_seen([sys.executable, "-c", SLOWED, "assess", "households", "--year", "2017"], env=env, cwd=tmp_path,
                   marker=f"50/{N_KILL}".encode(), timeout=120)

    killed = count("select max(id) from policy_assessmentrun")
    assert killed > first
    assert count(f"select count(*) from policy_householdresult where run_id = {killed}") == 0
    assert count(f"select count(*) from policy_assessmentrun where id = {killed} and status = 'succeeded'") == 0
    assert fetch(snapshot.format(first)) == before
    # the latest succeeded run for 2017 is still the first one
    assert count("select max(id) from policy_assessmentrun where kind = 'households' and year = 2017 "
                 "and status = 'succeeded'") == first

    out = tmp_path / "again.csv"
    again = subprocess.run([*fupin, "--out", str(out)], check=False, env=env, cwd=tmp_path, capture_output=True, text=True,
                           timeout=300)
    assert again.returncode == 0, again.stderr
    third = count("select max(id) from policy_assessmentrun")
    assert count(f"select count(*) from policy_householdresult where run_id = {third}") == N_KILL
    assert len(read_csv(out)[1]) == N_KILL
    assert [r[1:] for r in fetch(snapshot.format(third))] == [r[1:] for r in before]


# --- monitoring ---------------------------------------------------------------------------------

@pytest.fixture
def monitored(db):
    add_household(VILLAGE_A, "M1", status="已脱贫", incomes={2021: {"wage": 3000}})               # INCOME
    add_household(VILLAGE_A, "M2", kind="一般农户", status="", incomes={2020: {"wage": 3000}})     # read 2020
    add_household(VILLAGE_A, "M3", kind="一般农户", status="",
                  incomes={2021: {"wage": 40000, "medical_spending": 15000, "rigid_spending": "5000.01",
                                  "risks": ["大病"]}})
    add_household(VILLAGE_A, "M4", kind="一般农户", status="", incomes={2021: {"wage": 40000,
                                                                               "medical_spending": 20000}})
    add_household(VILLAGE_A, "M5", status="监测对象", incomes={2021: {"wage": 40000}})
    add_household(VILLAGE_A, "M6", status="监测对象", members=[person(labour="丧失劳动力")],
                  incomes={2021: {"wage": 40000}})
    add_household(VILLAGE_A, "M7", kind="一般农户", status="", food=False)                      # no income data
    add_household(VILLAGE_A, "M8", status="未脱贫", incomes={2021: {"wage": 10}})                # not monitored
    add_household(VILLAGE_B, "M9", status="已脱贫", grade="D", incomes={2021: {"wage": 40000}})


def test_monitor_out_columns(monitored, tmp_path, capsys):
    out = tmp_path / "m.csv"
    rc = run_cli("monitor", "--date", "2021-12-31", "--area", VILLAGE_A, "--out", out)
    stdout = capsys.readouterr().out
    assert rc == 0
    header, rows = read_csv(out)
    assert header == MONITOR_HEADER
    assert rows == {
        "M1": ["脱贫不稳定户", "INCOME", "否"],
        "M2": ["边缘易致贫户", "INCOME", "否"],
        "M3": ["突发严重困难户", "SPENDING;RISK", "否"],
        "M5": ["", "", "是"],
        "M7": ["", "FOOD;NO_INCOME_DATA", "否"],
    }
    assert "monitoring" in last_line(stdout)
    assert run_cli("monitor", "--date", "2021-12-31", "--out", out) == 0
    assert read_csv(out)[1]["M9"] == ["脱贫不稳定户", "HOUSING", "否"]


# --- a year the pack lacks ----------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ["assess", "households", "--year", "2013"],
    ["assess", "households", "--year", "2021"],
    ["assess", "households", "--year", "2014", "--policy", "national-6pct"],
    ["monitor", "--date", "2022-06-30"],
    ["monitor", "--date", "2019-12-31"],
])
def test_a_year_the_pack_lacks_exits_1_in_chinese_and_english(registry, args, tmp_path, capsys):
    out = tmp_path / "y.csv"
    rc = run_cli(*args, "--out", out)
    err = capsys.readouterr().err
    assert rc == 1
    assert "E_POLICY_YEAR" in err and "政策包" in err and "policy pack" in err
    assert not AssessmentRun.objects.exists()
    assert not out.exists() and not list(tmp_path.glob("*.part"))
