"""`fupin import registry` and `fupin export registry` as an operator runs them (cli.md): exit
codes 0 / 1 (with the error report written) / 2, summary line last, no full ID printed.

The commands run as real subprocesses against a temporary SQLite file named by DATABASE_URL,
so the exit codes are the ones a shell sees.
"""

import csv
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cast import VILLAGE_A, VILLAGE_B
from tests.registry.exchange_files import families, write_csv_pair, write_xlsx

FUPIN = [sys.executable, "-m", "fupin"]
FULL_ID = re.compile(r"\d{17}[\dX]")


def fupin(env, *args, cwd=None):
    return subprocess.run([*FUPIN, *map(str, args)], check=False, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def cli_db(tmp_path_factory):
    """A migrated SQLite file with the 郴州 areas and two village clerks."""
    d = tmp_path_factory.mktemp("cli")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{d / 'cli.sqlite3'}", "FUPIN_LOG_LEVEL": "ERROR"}
    env.pop("FUPIN_JOBS_EAGER", None)
    for args in (["migrate", "-v0"], ["areas", "load", "chenzhou"],
                 ["users", "create", "clerk_a", "--role", "village", "--area", VILLAGE_A, "--password", "Fupin-Cli-2017x"],
                 ["users", "create", "clerk_b", "--role", "village", "--area", VILLAGE_B, "--password", "Fupin-Cli-2017x"],
                 ["users", "create", "watcher", "--role", "auditor", "--area", VILLAGE_A, "--password", "Fupin-Cli-2017x"]):
        r = fupin(env, *args, cwd=d)
        assert r.returncode == 0, r.stderr
    return d, env, d / "cli.sqlite3"


def count(db: Path, table: str, where: str = "") -> int:
    with sqlite3.connect(db) as con:
        return con.execute(f"select count(*) from {table} {where}").fetchone()[0]


def last_line(text: str) -> str:
    return [line for line in text.strip().splitlines() if line.strip()][-1]


def test_valid_workbook_exits_0_with_summary_last_then_reimport_changes_nothing(cli_db):
    d, env, db = cli_db
    hh, mm = families(3, VILLAGE_A, prefix="CLI")
    path = write_xlsx(d / "ok.xlsx", hh, mm)
    r = fupin(env, "import", "registry", path, "--as", "clerk_a", cwd=d)
    assert r.returncode == 0, r.stderr
    assert "3 新增 created" in last_line(r.stdout)
    assert count(db, "registry_household", "where number like 'CLI%'") == 3
    job_ids = {row[0] for row in sqlite3.connect(db).execute(
        "select distinct job_id from core_auditentry where object_type in ('household','member','income')")}
    assert len(job_ids) == 1 and None not in job_ids  # every change attributed to the import job
    r = fupin(env, "import", "registry", path, "--as", "clerk_a", cwd=d)
    assert r.returncode == 0 and "0 新增 created, 0 修改 changed" in last_line(r.stdout)
    assert not FULL_ID.search(r.stdout + r.stderr)


def test_invalid_file_exits_1_writes_the_error_report_and_changes_nothing(cli_db):
    d, env, db = cli_db
    hh, mm = families(2, VILLAGE_A, prefix="BAD")
    mm[1]["性别"] = "男"
    mm[4]["户编号"] = "NOWHERE"
    hp, mp = write_csv_pair(d, hh, mm)
    before = count(db, "registry_household"), count(db, "core_auditentry")
    report = d / "errors.xlsx"
    r = fupin(env, "import", "registry", "--households", hp, "--members", mp, "--errors", report, "--as", "clerk_a",
              cwd=d)
    assert r.returncode == 1
    assert report.exists() and "errors.xlsx" in last_line(r.stderr)
    assert "E_SEX_MISMATCH" in r.stderr and "E_UNKNOWN_HOUSEHOLD" in r.stderr
    assert (count(db, "registry_household"), count(db, "core_auditentry")) == before
    assert not FULL_ID.search(r.stdout + r.stderr)
    # without --errors the report goes next to the input file
    r = fupin(env, "import", "registry", "--households", hp, "--members", mp, "--as", "clerk_a", cwd=d)
    assert r.returncode == 1
    with open(d / "户-errors.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["工作表", "行号", "列", "错误代码", "说明"]
    assert {(row[0], row[1], row[3]) for row in rows[1:]} == {("人", "3", "E_SEX_MISMATCH"),
                                                              ("人", "6", "E_UNKNOWN_HOUSEHOLD")}


def test_dry_run_exits_0_and_writes_nothing(cli_db):
    d, env, db = cli_db
    hh, mm = families(2, VILLAGE_A, prefix="DRY")
    path = write_xlsx(d / "dry.xlsx", hh, mm)
    before = count(db, "registry_household"), count(db, "core_auditentry"), count(db, "jobs_job")
    r = fupin(env, "import", "registry", path, "--dry-run", "--as", "clerk_a", cwd=d)
    assert r.returncode == 0, r.stderr
    assert "试运行" in last_line(r.stdout) and "2 新增 created" in last_line(r.stdout)
    assert (count(db, "registry_household"), count(db, "core_auditentry"), count(db, "jobs_job")) == before


def test_unreadable_input_exits_1(cli_db):
    d, env, _ = cli_db
    gbk = d / "gbk"
    gbk.mkdir()
    hh, mm = families(1, VILLAGE_A, prefix="GBK")
    hp, mp = write_csv_pair(gbk, hh, mm, encoding="gbk")
    r = fupin(env, "import", "registry", "--households", hp, "--members", mp, cwd=d)
    assert r.returncode == 1 and "E_FILE_FORMAT" in r.stderr and "UTF-8" in r.stderr
    r = fupin(env, "import", "registry", d / "missing.xlsx", cwd=d)
    assert r.returncode == 1 and "E_FILE_FORMAT" in r.stderr


@pytest.mark.parametrize("args", [
    ["import", "registry"],
    ["import", "registry", "a.xlsx", "--households", "h.csv", "--members", "m.csv"],
    ["export", "registry", "out.csv"],
])
def test_wrong_usage_exits_2(cli_db, args):
    d, env, _ = cli_db
    r = fupin(env, *args, cwd=d)
    assert r.returncode == 2, (r.returncode, r.stderr)


def test_export_masked_by_default_full_needs_permission_and_reason(cli_db):
    d, env, db = cli_db
    hh, mm = families(2, VILLAGE_A, prefix="EXP")
    assert fupin(env, "import", "registry", write_xlsx(d / "exp.xlsx", hh, mm), "--as", "clerk_a", cwd=d).returncode == 0
    r = fupin(env, "export", "registry", d / "masked.xlsx", "--as", "clerk_a", cwd=d)
    assert r.returncode == 0, r.stderr
    assert "户 households" in last_line(r.stdout)
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(d / "masked.xlsx"))
    text = str(wb.get_sheet_by_name("人").to_python()) + str(wb.get_sheet_by_name("户").to_python())
    assert "EXP00001" in text and not FULL_ID.search(text)

    r = fupin(env, "export", "registry", d / "full.xlsx", "--full-ids", "--as", "clerk_a", cwd=d)
    assert r.returncode == 1 and "E_REASON_REQUIRED" in r.stderr
    r = fupin(env, "export", "registry", d / "full.xlsx", "--full-ids", "--reason", "核对", "--as", "watcher", cwd=d)
    assert r.returncode == 1 and "E_PERMISSION" in r.stderr
    assert not (d / "full.xlsx").exists()
    n = count(db, "core_auditentry", "where action = 'registry.export_full'")
    r = fupin(env, "export", "registry", d / "full.xlsx", "--full-ids", "--reason", "年度核对", "--as", "clerk_a", cwd=d)
    assert r.returncode == 0, r.stderr
    assert count(db, "core_auditentry", "where action = 'registry.export_full'") == n + 1
    assert not FULL_ID.search(r.stdout + r.stderr)  # the console never shows the numbers

    r = fupin(env, "export", "registry", d / "b.xlsx", "--full-ids", "--reason", "核对", "--as", "clerk_b", cwd=d)
    assert r.returncode == 0
    wb = CalamineWorkbook.from_path(str(d / "b.xlsx"))
    assert "EXP00001" not in str(wb.get_sheet_by_name("户").to_python())
