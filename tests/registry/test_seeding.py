"""`fupin seed` and its generator (docs/seed.md; performance.md "Data sizes")."""

import csv
import datetime as dt
import statistics
from collections import Counter
from functools import cache

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from fupin.areas.services import BUNDLED_CHENZHOU, read_divisions
from fupin.core import idcard
from fupin.core.models import AuditEntry
from fupin.registry import seeding
from fupin.registry import validation as v
from fupin.registry.models import Household, IncomeRecord, Member

LINE_2017 = 3026  # domain.md section 5, hunan pack


@cache
def villages() -> tuple[str, ...]:
    return tuple(r[0] for r in read_divisions(BUNDLED_CHENZHOU) if r[2] == 5)


@cache
def sample(n: int = 5000, seed: int = 7) -> tuple:
    return tuple(seeding.generate(list(villages()), n, seed=seed, year=2017))


def members_of(rows):
    return [m for _, ms in rows for m in ms]


def test_same_seed_same_rows_and_another_seed_other_rows():
    a = list(seeding.generate(list(villages()), 300, seed=1))
    b = list(seeding.generate(list(villages()), 300, seed=1))
    c = list(seeding.generate(list(villages()), 300, seed=2))
    assert a == b
    assert [m["证件号码"] for m in members_of(a)] != [m["证件号码"] for m in members_of(c)]


def test_every_id_is_valid_unique_and_agrees_with_sex_and_birth_date():
    ms = members_of(sample())
    assert len({m["证件号码"] for m in ms}) == len(ms)
    for m in ms:
        idn = m["证件号码"]
        assert idcard.validate(idn) is None, idn
        assert idcard.sex(idn) == m["性别"]
        assert idcard.birth_date(idn).isoformat() == m["出生日期"]
    # the generator's fast check digit is GB 11643's, as fupin.core.idcard.make computes it
    for m in ms[:2000]:
        idn = m["证件号码"]
        assert idcard.make(idn[:6], idcard.birth_date(idn), int(idn[14:17])) == idn


def test_ids_carry_the_county_prefix_and_household_numbers_the_village_code():
    for hh, ms in sample():
        assert hh["户编号"].startswith(hh["行政区划代码"]) and len(hh["户编号"]) == 16
        assert all(m["证件号码"].startswith(hh["行政区划代码"][:6]) for m in ms)
    assert len({hh["户编号"] for hh, _ in sample()}) == len(sample())


def test_household_size_averages_about_3_1_and_incomes_straddle_the_line():
    rows = sample()
    assert 2.9 <= statistics.mean(len(ms) for _, ms in rows) <= 3.3
    above = 0
    for hh, ms in rows:
        present = sum(m["成员状态"] == "在户" for m in ms)
        net = sum(int(hh[h]) for h in ("工资性收入", "生产经营性收入", "财产性收入", "转移性收入")) - int(hh["生产经营性支出"])
        above += net / present > LINE_2017
    assert 0.2 <= above / len(rows) <= 0.8


def test_families_look_real():
    rows = sample()
    ages = Counter()
    compulsory = out_of_school = 0
    for hh, ms in rows:
        head = ms[0]
        assert head["与户主关系"] == "户主" and head["姓名"] == hh["户主姓名"]
        assert [m["与户主关系"] for m in ms].count("户主") == 1
        head_age = 2017 - int(head["出生日期"][:4])
        assert 30 <= head_age <= 80
        for m in ms:
            age = 2017 - int(m["出生日期"][:4])
            ages[m["与户主关系"]] += 1
            if m["与户主关系"] in ("之子", "之女", "之孙子", "之孙女"):
                assert m["姓名"].startswith(head["姓名"][0]), (head["姓名"], m["姓名"])
                assert age < head_age
                assert m["性别"] == ("男" if m["与户主关系"] in ("之子", "之孙子") else "女")
            if 6 <= age <= 15 and m["成员状态"] == "在户":
                compulsory += 1
                out_of_school += m["在校生状况"] == "非在校生"
    # mostly in school, and a few out of it (so the EDUCATION criterion has cases to catch)
    assert compulsory > 1000 and 0 < out_of_school < 0.05 * compulsory
    kinds = Counter(hh["户类型"] for hh, _ in rows)
    assert 0.02 < kinds["一般农户"] / len(rows) < 0.08
    causes = Counter(hh["主要致贫原因"] for hh, _ in rows if hh["户类型"] == "建档立卡户")
    assert causes.most_common(1)[0][0] == "因病" and set(causes) == set(seeding.c.CAUSES)
    grades = Counter(hh["住房安全等级"] for hh, _ in rows)
    assert grades["A"] + grades["B"] > 0.7 * len(rows) and grades["C"] and grades["D"]
    statuses = Counter(hh["脱贫状态"] for hh, _ in rows)
    assert statuses["未脱贫"] and statuses["已脱贫"] and statuses["返贫"]
    states = Counter(m["成员状态"] for m in members_of(rows))
    assert states["死亡"] and states["迁出"]
    uninsured = sum(m["基本医疗保险"] == "否" for m in members_of(rows)) / len(members_of(rows))
    assert 0.005 < uninsured < 0.06


def test_exit_years_fit_the_income_year():
    for year in (2014, 2017):
        for hh, _ in seeding.generate(list(villages()), 1000, seed=3, year=year):
            if hh["脱贫状态"] == "已脱贫":
                assert int(hh["识别年度"]) <= int(hh["脱贫年度"]) < year
            else:
                assert hh["脱贫年度"] == ""
            assert hh["收入年度"] == str(year)
    assert all(hh["脱贫状态"] in ("未脱贫", "") for hh, _ in seeding.generate(list(villages()), 300, year=2014))


def _errors(rows, known):
    """Every error the importer's rules give, by household number (exchange-format.md)."""
    out: dict[str, list[str]] = {}
    seen_ids = set()
    for i, (hh_row, member_rows) in enumerate(rows, start=2):
        hh, errs = v.parse_household(hh_row, row=i, area_exists=known.__contains__)
        parsed = []
        for raw in member_rows:
            m, merr = v.parse_member(raw)
            errs += merr
            parsed.append((None, m))
            if m["id_number"] in seen_ids:
                errs.append(v.RowError("人", None, "证件号码", "E_DUP_ID_IN_FILE", ""))
            seen_ids.add(m["id_number"])
        errs += v.check_composition(hh, i, parsed)
        if errs:
            out[hh_row["户编号"]] = [e.code for e in errs]
    return out


def test_clean_rows_pass_the_one_validation():
    rows = sample()[:3000]
    assert _errors(rows, set(villages())) == {}


def test_fast_conversion_equals_the_validation_output():
    for hh_row, member_rows in sample()[:1500]:
        parsed, _ = v.parse_household(hh_row)
        assert seeding.household_fields(hh_row) == parsed
        for raw in member_rows:
            assert seeding.member_fields(raw) == v.parse_member(raw)[0]


def test_dirty_rows_fail_with_exactly_the_announced_code():
    defects: dict[str, str] = {}
    rows = list(seeding.generate(list(villages()), 3000, seed=11, dirty=8,
                                 on_defect=lambda number, code: defects.__setitem__(number, code)))
    assert 150 < len(defects) < 330  # 8 % of 3,000
    assert set(defects.values()) == set(seeding.DIRTY_KINDS)
    errors = _errors(rows, set(villages()))
    assert {n: codes for n, codes in errors.items()} == {n: [code] for n, code in defects.items()}


def test_dirty_run_leaves_the_clean_households_unchanged():
    clean = list(seeding.generate(list(villages()), 500, seed=4))
    defects: dict[str, str] = {}
    dirty = list(seeding.generate(list(villages()), 500, seed=4, dirty=10,
                                  on_defect=lambda number, code: defects.__setitem__(number, code)))
    assert defects
    assert [r for r in dirty if r[0]["户编号"] not in defects] == [r for r in clean if r[0]["户编号"] not in defects]


def test_allocation_adds_up_and_favours_villages_over_urban_communities():
    import random

    counts = seeding.allocate(list(villages()), 130_000, random.Random(0))
    assert sum(counts) == 130_000
    urban = [n for code, n in zip(villages(), counts, strict=True) if int(code[9:]) < 200]
    rural = [n for code, n in zip(villages(), counts, strict=True) if int(code[9:]) >= 200]
    assert statistics.mean(urban) * 3 < statistics.mean(rural)


@pytest.mark.django_db
def test_seed_command_writes_households_members_incomes_and_one_audit_row():
    expected = list(seeding.generate(seeding.preset_villages(seeding.PRESETS["chenzhou"]), 60, seed=5))
    call_command("seed", preset="chenzhou", households=60, seed=5, batch=25)
    assert Household.objects.count() == 60
    assert Member.objects.count() == sum(len(ms) for _, ms in expected)
    assert IncomeRecord.objects.filter(year=2017).count() == 60
    audit = AuditEntry.objects.get(action="registry.seed")
    assert audit.after["households"] == 60 and audit.after["members"] == Member.objects.count()
    # one summary row, not one per household or member
    assert not AuditEntry.objects.filter(object_type__in=["household", "member", "income"]).exists()
    # what is stored is what the exchange rows say
    hh_row, member_rows = expected[0]
    h = Household.objects.get(number=hh_row["户编号"])
    assert h.head_name == hh_row["户主姓名"] and h.head_initials
    assert str(h.incomes.get().wage) == f"{int(hh_row['工资性收入'])}.00"
    stored = {m.id_number: m for m in h.members.all()}
    for raw in member_rows:
        m = stored[raw["证件号码"]]
        assert (m.name, m.sex, m.birth_date.isoformat(), m.relation) == (raw["姓名"], raw["性别"], raw["出生日期"],
                                                                         raw["与户主关系"])


@pytest.mark.django_db
def test_seed_refuses_a_registry_that_already_has_households():
    call_command("seed", preset="chenzhou", households=5)
    with pytest.raises(CommandError) as exc:
        call_command("seed", preset="chenzhou", households=5, seed=9)
    assert exc.value.returncode == 1 and "已有 5 户" in str(exc.value)
    assert Household.objects.count() == 5


@pytest.mark.django_db
def test_seed_refuses_a_preset_whose_villages_are_not_loaded():
    with pytest.raises(CommandError) as exc:
        call_command("seed", preset="hunan", households=5)
    assert exc.value.returncode == 1 and "fupin areas load" in str(exc.value)
    assert not Household.objects.exists()


@pytest.mark.django_db
def test_dirty_needs_out():
    with pytest.raises(CommandError) as exc:
        call_command("seed", preset="chenzhou", households=5, dirty=5)
    assert exc.value.returncode == 2


@pytest.mark.django_db
def test_out_writes_exchange_csv_and_xlsx_that_read_back(tmp_path, capsys):
    call_command("seed", preset="chenzhou", households=200, seed=3, out=tmp_path, xlsx=True, dirty=5)
    assert not Household.objects.exists()  # files only
    raw = (tmp_path / "户.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with open(tmp_path / "户.csv", encoding="utf-8-sig", newline="") as fh:
        hh_rows = list(csv.DictReader(fh))
    with open(tmp_path / "人.csv", encoding="utf-8-sig", newline="") as fm:
        reader = csv.DictReader(fm)
        assert reader.fieldnames == v.MEMBER_HEADERS
        m_rows = list(reader)
    assert list(hh_rows[0]) == v.HOUSEHOLD_HEADERS and len(hh_rows) == 200
    expected = list(seeding.generate(seeding.preset_villages(seeding.PRESETS["chenzhou"]), 200, seed=3, dirty=5))
    assert hh_rows == [hh for hh, _ in expected]
    assert m_rows == [m for _, ms in expected for m in ms]
    out = capsys.readouterr().out
    assert "已写出 200 户" in out and "E_" in out

    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(tmp_path / "registry.xlsx"))
    assert book.sheet_names == ["户", "人"]
    people = book.get_sheet_by_name("人").to_python()
    assert people[0] == v.MEMBER_HEADERS and len(people) == len(m_rows) + 1
    ids = [r[v.MEMBER_HEADERS.index("证件号码")] for r in people[1:]]
    assert ids == [m["证件号码"] for m in m_rows]  # ID numbers stay text, never numbers


def test_clean_xlsx_rows_pass_validation(tmp_path):
    rows = list(seeding.generate(list(villages()), 300, seed=8))
    seeding.write_files(rows, tmp_path, csv_files=False, xlsx=True)
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(tmp_path / "registry.xlsx"))
    sheet = book.get_sheet_by_name("户").to_python()
    for r in sheet[1:]:
        _, errs = v.parse_household(dict(zip(sheet[0], r, strict=True)))
        assert errs == []
    sheet = book.get_sheet_by_name("人").to_python()
    for r in sheet[1:]:
        m, errs = v.parse_member(dict(zip(sheet[0], r, strict=True)))
        assert errs == [] and isinstance(m["birth_date"], dt.date)
