"""A process killed in the middle of an import leaves the registry exactly as before it started
(exchange-format.md, "Import semantics"; security.md 12: 0 partial writes).

`fupin import registry` runs as a subprocess on a temporary SQLite file, with its standard error
on a pseudo-terminal so that it draws its progress bar; as soon as the bar shows that members are
being written (households and a first batch of members are then inside the open transaction) the
process gets SIGKILL. Counts of households, members, incomes, events and audit rows must not move.
The same file is then imported to completion, to show that the kill, not an error, stopped it.
"""

import os
import sqlite3
import subprocess
import sys

import pytest

from tests.cast import VILLAGE_A
from tests.killing import kill_when_seen
from tests.registry.exchange_files import families, write_csv_pair

pytestmark = pytest.mark.slow

TABLES = ["registry_household", "registry_member", "registry_incomerecord", "registry_householdevent",
          "core_auditentry"]
N_HOUSEHOLDS = 6000


def counts(db):
    with sqlite3.connect(db) as con:
        return {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in TABLES}


def test_sigkill_during_import_leaves_the_registry_unchanged(tmp_path):
    db = tmp_path / "kill.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "FUPIN_LOG_LEVEL": "ERROR"}
    fupin = [sys.executable, "-m", "fupin"]
    for args in (["migrate", "-v0"], ["areas", "load", "chenzhou"]):
        subprocess.run([*fupin, *args], env=env, cwd=tmp_path, check=True, capture_output=True, timeout=300)
    # something already in the registry, so that "unchanged" is not just "empty"
    hh0, mm0 = families(5, VILLAGE_A, prefix="PRE")
    h0, m0 = write_csv_pair(tmp_path, hh0, mm0)
    subprocess.run([*fupin, "import", "registry", "--households", h0, "--members", m0], env=env, cwd=tmp_path,
                   check=True, capture_output=True, timeout=300)
    before = counts(db)
    assert before["registry_household"] == 5

    big = tmp_path / "big"
    big.mkdir()
    hh, mm = families(N_HOUSEHOLDS, VILLAGE_A, prefix="K")
    hp, mp = write_csv_pair(big, hh, mm)

    kill_when_seen([*fupin, "import", "registry", "--households", hp, "--members", mp], env=env, cwd=tmp_path,
                   marker="写入“人”".encode())

    assert counts(db) == before

    # the same file, not killed, goes in completely: the kill stopped it, not bad data
    done = subprocess.run([*fupin, "import", "registry", "--households", hp, "--members", mp], env=env,
                          cwd=tmp_path, capture_output=True, check=False, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    after = counts(db)
    assert after["registry_household"] == 5 + N_HOUSEHOLDS
    assert after["registry_member"] == before["registry_member"] + 3 * N_HOUSEHOLDS
