"""Helpers for the cross-check, identification and targets tests: list files on disk and small
households written through the ORM with real (GB 11643-valid) ID numbers, so that list entries
can name their members."""

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

from tests.factories import new_id

D = dt.date
ADULT = D(1975, 4, 2)


def list_csv(folder: Path, rows: list[dict], *, name: str = "list.csv", header: list[str] | None = None) -> Path:
    """A UTF-8 CSV with a BOM (as Excel's “CSV UTF-8” writes it)."""
    header = header or list(dict.fromkeys(k for r in rows for k in r))
    path = Path(folder) / name
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for r in rows:
            w.writerow([r.get(h, "") for h in header])
    return path


def person(name: str = "王五", *, born=ADULT, state="在户", state_date=None, labour="普通劳动力") -> dict:
    return {"name": name, "id": new_id(born), "born": born, "state": state, "state_date": state_date,
            "labour": labour}


def household(village: str, number: str, *, members: list[dict] | None = None, kind="一般农户", status="",
              exit_year=None, net: str | None = "9000", year: int = 2017):
    """A household whose income for `year` nets `net` yuan (None: no income record); members from
    person() (default three adults 在户). Returns (household, members as given)."""
    from fupin.registry.models import Household, IncomeRecord, Member

    members = members if members is not None else [person("张一"), person("张二"), person("张三")]
    h = Household.objects.create(number=number, kind=kind, village_id=village, head_name=members[0]["name"],
                                 status=status, exit_year=exit_year)
    Member.objects.bulk_create([
        Member(household=h, name=p["name"], id_number=p["id"], relation="户主" if i == 0 else "其他", sex="男",
               birth_date=p["born"], education="初中", school_status="非在校生", health="健康", labour=p["labour"],
               state=p["state"], state_date=p["state_date"]) for i, p in enumerate(members)])
    if net is not None:
        IncomeRecord.objects.create(household=h, year=year, wage=Decimal(net))
    return h, members
