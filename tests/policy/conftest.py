"""Helpers for the policy tests: plain facts for the pure rules, and households written straight
through the ORM (the registry services would refuse some of the shapes these tests need on
purpose, e.g. a household whose every member has died)."""

import datetime as dt
import itertools
from decimal import Decimal

import pytest

from fupin.policy.packs import builtin, parse_pack
from fupin.policy.rules import HouseholdFacts, MemberFacts, summarise_members, to_fen

D = dt.date
_ids = itertools.count(1)
ADULT = D(1970, 5, 17)
DEC31_2017 = D(2017, 12, 31)


@pytest.fixture
def hunan():
    return builtin("hunan")


@pytest.fixture
def national():
    return builtin("national-6pct")


def pack_text(name: str = "hunan") -> str:
    from fupin.policy.packs import BUILTIN_DIR

    return (BUILTIN_DIR / f"{name}.yaml").read_text(encoding="utf-8")


def custom_pack(**replace) -> "object":
    """The hunan pack with some top-level YAML sections replaced (values given as YAML text)."""
    import yaml

    data = yaml.safe_load(pack_text())
    for k, v in replace.items():
        data[k] = v
    data["name"] = "test-pack"
    return parse_pack(yaml.safe_dump(data, allow_unicode=True), source="test")


# --- plain facts for the pure rules -------------------------------------------------------------

def member(*, state="在户", state_date=None, born=ADULT, school="非在校生", home=False, soldier=False,
           insured=True, labour="普通劳动力") -> MemberFacts:
    return MemberFacts(state, state_date, born, school, home, soldier, insured, labour)


def facts(members=None, *, day=DEC31_2017, pack=None, net="30000", spending="0", risks=(), food=True,
          clothing=True, grade="A", renovated=False, relocated=False, water=True) -> HouseholdFacts:
    """Facts of a household that passes everything unless told otherwise (3 adults, net 30,000)."""
    pack = pack or builtin("hunan")
    members = [member(), member(), member()] if members is None else members
    return HouseholdFacts(summarise_members(members, day, pack), food, clothing, grade, renovated, relocated, water,
                          None if net is None else to_fen(Decimal(net)), to_fen(Decimal(spending)), tuple(risks))


# --- households in the database -----------------------------------------------------------------

def person(*, born=ADULT, state="在户", state_date=None, school="非在校生", home=False, soldier=False,
           insured=True, labour="普通劳动力", relation="其他") -> dict:
    return {"born": born, "state": state, "state_date": state_date, "school": school, "home": home,
            "soldier": soldier, "insured": insured, "labour": labour, "relation": relation}


def add_household(village: str, number: str, *, members=None, incomes=None, kind="建档立卡户", status="未脱贫",
                  exit_year=None, food=True, clothing=True, grade="A", renovated=False, relocated=False,
                  water=True):
    """A household with `members` (dicts from person()) and `incomes` {year: {field: yuan}}."""
    from fupin.registry.models import Household, IncomeRecord, Member

    h = Household.objects.create(
        number=number, kind=kind, village_id=village, head_name="张三", status=status,
        exit_year=exit_year if exit_year is not None else (2016 if status in ("已脱贫", "监测对象") else None),
        food_ok=food, clothing_ok=clothing, housing_grade=grade, renovated=renovated, relocated=relocated,
        safe_water=water)
    members = [person(), person(), person()] if members is None else members
    Member.objects.bulk_create([member_model(h, p, i) for i, p in enumerate(members)])
    IncomeRecord.objects.bulk_create([IncomeRecord(household=h, year=y, **income_fields(v))
                                      for y, v in (incomes or {}).items()])
    return h


def member_model(h, p: dict, i: int):
    from fupin.registry.models import Member

    return Member(household=h, name=f"成员{i}", id_number=f"T{next(_ids):017d}", relation="户主" if i == 0 else
                  p["relation"], sex="男", birth_date=p["born"], education="初中", school_status=p["school"],
                  home_schooling=p["home"], health="健康", labour=p["labour"], soldier=p["soldier"],
                  medical_insurance=p["insured"], state=p["state"], state_date=p["state_date"])


def income_fields(v: dict) -> dict:
    keys = {"wage", "business", "property_income", "transfer", "business_cost", "medical_spending",
            "rigid_spending", "risks"}
    assert set(v) <= keys, set(v) - keys
    return {k: (x if k == "risks" else Decimal(str(x))) for k, x in v.items()}


# --- the console command in-process -------------------------------------------------------------

def run_cli(*argv, keep_connection: bool = True) -> int:
    """`fupin ARGV…` in this process, through the console entry point; returns the exit code.

    Django's run_from_argv closes every database connection when a command ends (what a real
    process does just before exiting). Inside a test's transaction that would end the test's
    connection on PostgreSQL, so it is kept open here; a transactional test may pass
    keep_connection=False to run the command exactly as a process would."""
    from django.db import connections

    from fupin.cli.main import main

    if not keep_connection:
        return main([str(a) for a in argv])
    connections.close_all = lambda: None  # shadows the method on this one object
    try:
        return main([str(a) for a in argv])
    finally:
        del connections.close_all
