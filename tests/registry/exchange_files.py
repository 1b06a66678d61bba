"""Building exchange-format files for the import/export tests (rows from tests/factories.py)."""

import csv
from pathlib import Path

import xlsxwriter

from fupin.registry.validation import HOUSEHOLD_HEADERS, MEMBER_HEADERS
from tests.factories import family


def families(n: int, village: str, prefix: str = "H", size: int = 3):
    """n households of `size` members each: (household rows, member rows)."""
    hh, mm = [], []
    for i in range(1, n + 1):
        h, m = family(f"{prefix}{i:05d}", village, size=size)
        hh.append(h)
        mm += m
    return hh, mm


def write_xlsx(path: Path, households: list[dict], members: list[dict], *, hh_headers=None, m_headers=None,
               raw_cells: bool = True) -> Path:
    """A workbook with sheets 户 and 人. Values are written with their Python type (numbers stay
    numbers, as when a clerk types them into Excel); strings are written as text."""
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    for name, rows, headers in (("户", households, hh_headers or HOUSEHOLD_HEADERS),
                                ("人", members, m_headers or MEMBER_HEADERS)):
        ws = wb.add_worksheet(name)
        ws.write_row(0, 0, headers)
        for r, row in enumerate(rows, start=1):
            for c, h in enumerate(headers):
                value = row.get(h, "")
                if value is None or value == "":
                    continue
                if isinstance(value, int | float) and not isinstance(value, bool):
                    ws.write_number(r, c, value)
                else:
                    ws.write_string(r, c, str(value))
    wb.close()
    return path


def write_csv(path: Path, rows: list[dict], headers: list[str], encoding: str = "utf-8-sig") -> Path:
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(headers)
        for row in rows:
            w.writerow([row.get(h, "") for h in headers])
    return path


def write_csv_pair(folder: Path, households, members, encoding: str = "utf-8-sig") -> tuple[Path, Path]:
    return (write_csv(folder / "户.csv", households, HOUSEHOLD_HEADERS, encoding),
            write_csv(folder / "人.csv", members, MEMBER_HEADERS, encoding))
