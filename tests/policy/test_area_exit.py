"""Village exit (domain.md 6.2) and county exit (6.3) in bulk: the edges of the rules as a user
meets them, the grouped SQL against counting members one by one, scope, stored runs, the CLI."""

import csv
import datetime as dt
import random
from decimal import Decimal

import pytest
from django.core.management import call_command

from fupin.areas.models import Area, VillageAttributes
from fupin.core.errors import ApplicationError, NotFound
from fupin.core.models import AuditEntry
from fupin.policy import rules
from fupin.policy.area_exit import (
    assess_counties,
    assess_villages,
    describe_county,
    describe_village,
    poor_on,
    poor_people_by_village,
    run_pack,
)
from fupin.policy.models import AssessmentRun, CountyResult, VillageResult
from fupin.policy.packs import builtin
from fupin.policy.selectors_areas import latest_county_results, latest_village_results
from fupin.registry.models import Household
from fupin.registry.services import household_create, household_set_status
from tests.cast import COUNTY, OTHER_COUNTY_VILLAGE, VILLAGE_A, VILLAGE_B
from tests.factories import family

pytestmark = pytest.mark.django_db

PACK = builtin("hunan")
Y = 2017
OK_ITEMS = {"通硬化路": True, "通安全饮水": True, "通生活用电": True, "有标准化卫生室": True, "通宽带": True,
            "村集体经济收入": "60000.00"}
QINGQUAN_VILLAGE = "431027102202"   # 清泉镇中坑村, same county as the cast's villages, another township
_n = iter(range(1, 10_000))


def hh(actor, village, size=3, status="未脱贫", kind="建档立卡户", states=(), **kw):
    """A household of `size`; `states`: (成员状态, 状态变更日期) for the first members after the head."""
    number = f"AE{next(_n):05d}"
    extra = {"户类型": kind, "脱贫状态": status if kind == "建档立卡户" else ""}
    if status == "已脱贫":
        extra["脱贫年度"] = kw.pop("exit_year", 2016)
    row, members = family(number, village, size=size, **extra, **kw)
    for m, (state, date) in zip(members[1:], states, strict=False):
        m["成员状态"], m["状态变更日期"] = state, date
    return household_create(actor=actor, household=row, members=members)


def attrs(village, population, year=Y, **items):
    return VillageAttributes.objects.create(village_id=village, year=year, rural_population=population,
                                            items={**OK_ITEMS, **items})


def results(run) -> dict[str, VillageResult]:
    return {r.village_id: r for r in VillageResult.objects.filter(run=run)}


# --- 6.2 edges --------------------------------------------------------------------------------

def test_incidence_of_exactly_2_percent_may_not_exit_just_below_may(system_user):
    hh(system_user, VILLAGE_A, size=3)          # 3 poor people
    hh(system_user, VILLAGE_B, size=3)
    attrs(VILLAGE_A, 150)                       # 3/150 = 2.00 %: not strictly below 2 %
    attrs(VILLAGE_B, 151)                       # 3/151 = 1.99 %
    run = assess_villages(actor=system_user, year=Y, pack=PACK, area=COUNTY)
    a, b = results(run)[VILLAGE_A], results(run)[VILLAGE_B]
    assert (a.poor_people, a.rural_population, a.incidence, a.passed, a.reasons) == \
        (3, 150, Decimal("2.00"), False, "INCIDENCE")
    assert (b.incidence, b.passed, b.reasons) == (Decimal("1.99"), True, "")


def test_without_population_the_village_gets_no_village_data_and_nothing_else(system_user):
    hh(system_user, VILLAGE_A, size=4)
    VillageAttributes.objects.create(village_id=VILLAGE_B, year=Y, rural_population=0, items={"通宽带": False})
    attrs(VILLAGE_A, 500, year=Y - 1)           # another year's figures do not count
    run = assess_villages(actor=system_user, year=Y, pack=PACK, area=COUNTY)
    a, b = results(run)[VILLAGE_A], results(run)[VILLAGE_B]
    assert (a.poor_people, a.rural_population, a.incidence, a.reasons) == (4, None, None, "NO_VILLAGE_DATA")
    assert (b.poor_people, b.reasons) == (0, "NO_VILLAGE_DATA")
    assert run.counts["no_village_data"] == 2


def test_every_failing_item_is_reported_in_the_order_of_the_table(system_user):
    hh(system_user, VILLAGE_A, size=5)
    attrs(VILLAGE_A, 100, 通硬化路=False, 通安全饮水=False, 通生活用电=False, 有标准化卫生室=False, 通宽带=False,
          村集体经济收入="49999.99")
    VillageAttributes.objects.create(village_id=VILLAGE_B, year=Y, rural_population=800,
                                     items={"通宽带": True, "村集体经济收入": "50000.00"})  # unrecorded items fail
    run = assess_villages(actor=system_user, year=Y, pack=PACK, area=COUNTY)
    assert results(run)[VILLAGE_A].reasons == "INCIDENCE;ROAD;WATER;POWER;CLINIC;BROADBAND;COLLECTIVE_INCOME"
    assert results(run)[VILLAGE_B].reasons == "ROAD;WATER;POWER;CLINIC"


def test_only_members_present_on_the_date_of_poor_households_are_counted(system_user):
    # 未脱贫: head + one who died in June + one who moved out the next March (still 在户 on 31 Dec)
    hh(system_user, VILLAGE_A, size=3, states=[("死亡", "2017-06-01"), ("迁出", "2018-03-01")])
    hh(system_user, VILLAGE_A, size=2, status="返贫")                 # counts
    hh(system_user, VILLAGE_A, size=4, status="已脱贫", exit_year=2016)  # does not
    hh(system_user, VILLAGE_A, size=5, kind="一般农户")                 # does not
    attrs(VILLAGE_A, 1000)
    run = assess_villages(actor=system_user, year=Y, pack=PACK, area=VILLAGE_A)
    assert results(run)[VILLAGE_A].poor_people == 2 + 2
    earlier = assess_villages(actor=system_user, year=Y, pack=PACK, area=VILLAGE_A, day=dt.date(2017, 5, 31))
    assert results(earlier)[VILLAGE_A].poor_people == 3 + 2
    assert earlier.as_of == dt.date(2017, 5, 31)


def test_incidence_counts_the_status_on_the_assessment_date_not_today(system_user):
    """A 2017 run made after 2017 counts a household that exited in 2018 (or exited in 2018 and is
    now 监测对象) as poor, and one registered only in 2018 as not yet poor."""
    hh(system_user, VILLAGE_A, size=2, status="已脱贫", exit_year=2018)   # poor on 2017-12-31
    monitored = hh(system_user, VILLAGE_A, size=3, status="已脱贫", exit_year=2019)
    household_set_status(actor=system_user, household=monitored, status="监测对象", reason="测试 / test")
    hh(system_user, VILLAGE_A, size=4, status="已脱贫", exit_year=2017)   # exited in 2017: not poor
    later = hh(system_user, VILLAGE_A, size=5, status="已脱贫", exit_year=2016)
    household_set_status(actor=system_user, household=later, status="监测对象", reason="测试 / test")  # not poor
    hh(system_user, VILLAGE_A, size=1, 识别年度=2018)                     # registered after 2017
    unknown = hh(system_user, VILLAGE_A, size=1)
    household_set_status(actor=system_user, household=unknown, status="未脱贫", reason="测试 / test",
                         year_registered=None)                              # year unknown: counts
    attrs(VILLAGE_A, 1000)
    run = assess_villages(actor=system_user, year=Y, pack=PACK, area=VILLAGE_A)
    assert results(run)[VILLAGE_A].poor_people == 2 + 3 + 1
    county = assess_counties(actor=system_user, year=Y, pack=PACK, area=COUNTY)
    assert CountyResult.objects.get(run=county, county_id=COUNTY).poor_people == 2 + 3 + 1
    run_2018 = assess_villages(actor=system_user, year=2018, pack=PACK, area=VILLAGE_A)
    assert results(run_2018)[VILLAGE_A].poor_people == 3 + 1 + 1


def test_villages_with_neither_households_nor_attributes_are_not_listed(system_user):
    hh(system_user, VILLAGE_A, size=2, kind="一般农户")   # an ordinary household alone does not list a village
    attrs(VILLAGE_B, 300)
    run = assess_villages(actor=system_user, year=Y, pack=PACK, area=COUNTY)
    assert set(results(run)) == {VILLAGE_B}
    assert results(run)[VILLAGE_B].poor_people == 0 and results(run)[VILLAGE_B].passed


def test_grouped_sql_agrees_with_counting_members_one_by_one(system_user):
    """The bulk count restates rules.present_on in SQL; check it against the ORM objects."""
    rnd = random.Random(20171231)
    villages = [VILLAGE_A, VILLAGE_B, QINGQUAN_VILLAGE]
    dates = ["2017-01-01", "2017-12-30", "2017-12-31", "2018-01-01", "2019-05-05"]
    for _ in range(24):
        size = rnd.randint(1, 5)
        states = [(rnd.choice(["在户", "死亡", "迁出"]), "") for _ in range(size - 1)]
        states = [(s, rnd.choice(dates) if s != "在户" else "") for s, _ in states]
        kind = rnd.choice(["建档立卡户"] * 4 + ["一般农户"])
        status = rnd.choice(["未脱贫", "返贫", "已脱贫", "监测对象"])
        kw = {"识别年度": rnd.choice([2014, 2016, 2017, 2018])}
        if status in ("已脱贫", "监测对象"):
            kw["exit_year"] = rnd.choice([2016, 2017, 2018, 2019])
        h = hh(system_user, rnd.choice(villages), size=size, kind=kind, status=status.replace("监测对象", "已脱贫"),
               states=states, **kw)
        if status == "监测对象" and kind == "建档立卡户":
            household_set_status(actor=system_user, household=h, status=status, reason="测试 / test")
    county = Area.objects.get(code=COUNTY)
    for day in (dt.date(2017, 12, 31), dt.date(2017, 12, 30), dt.date(2018, 6, 30), dt.date(2018, 12, 31)):
        expected: dict[str, int] = {}
        for h in Household.objects.filter(kind="建档立卡户").prefetch_related("members"):
            expected.setdefault(h.village_id, 0)
            if poor_on(h.year_registered, h.status, h.exit_year, day.year):
                expected[h.village_id] += sum(rules.present_on(m.state, m.state_date, day) for m in h.members.all())
        assert poor_people_by_village(county, day) == expected
        assert sum(expected.values()) > 0


def test_results_are_stored_per_run_and_the_latest_run_is_what_the_office_sees(system_user, cast):
    hh(system_user, VILLAGE_A, size=3)
    attrs(VILLAGE_A, 100)
    first = assess_villages(actor=system_user, year=Y, pack=PACK, area=COUNTY)
    VillageAttributes.objects.filter(village_id=VILLAGE_A).update(rural_population=1000)
    second = assess_villages(actor=cast["clerk_a"], year=Y, pack=PACK)
    assert first.status == second.status == AssessmentRun.Status.SUCCEEDED
    assert second.area_id == VILLAGE_A  # a clerk's run covers the clerk's village
    assert VillageResult.objects.filter(village_id=VILLAGE_A).count() == 2
    seen = list(latest_village_results(cast["county_officer"], year=Y))
    assert [(r.run_id, r.incidence, r.passed) for r in seen] == [(second.pk, Decimal("0.30"), True)]
    assert AuditEntry.objects.filter(action="assess.villages", object_id=str(second.pk),
                                     actor_name="clerk_a").exists()


def test_clerk_b_can_neither_assess_nor_see_village_a(system_user, cast):
    hh(system_user, VILLAGE_A, size=3)
    hh(system_user, VILLAGE_B, size=3)
    with pytest.raises(NotFound):
        assess_villages(actor=cast["clerk_b"], year=Y, pack=PACK, area=VILLAGE_A)
    with pytest.raises(NotFound):
        assess_counties(actor=cast["clerk_b"], year=Y, pack=PACK, area=COUNTY)
    assess_villages(actor=system_user, year=Y, pack=PACK, area=COUNTY)
    assert [r.village_id for r in latest_village_results(cast["clerk_b"], year=Y)] == [VILLAGE_B]
    assert [r.village_id for r in latest_village_results(cast["clerk_a"], year=Y)] == [VILLAGE_A]
    assert len(latest_village_results(cast["township_officer"], year=Y)) == 2
    assess_counties(actor=system_user, year=Y, pack=PACK, area=COUNTY)
    assert not latest_county_results(cast["clerk_b"], year=Y).exists()
    assert not latest_county_results(cast["township_officer"], year=Y).exists()
    assert [r.county_id for r in latest_county_results(cast["county_officer"], year=Y)] == [COUNTY]


def test_reasons_in_words_carry_the_figures(system_user):
    hh(system_user, VILLAGE_A, size=4)
    attrs(VILLAGE_A, 188, 通宽带=False, 村集体经济收入="30000.00")
    run = assess_villages(actor=system_user, year=Y, pack=PACK, area=VILLAGE_A)
    r = results(run)[VILLAGE_A]
    words = describe_village(r, Y, run_pack(run), VillageAttributes.objects.get(village_id=VILLAGE_A).items)
    assert [c for c, _ in words] == ["INCIDENCE", "BROADBAND", "COLLECTIVE_INCOME"]
    assert words[0][1].startswith("贫困发生率 2.13% ≥ 2%（4/188）")
    assert words[1][1].startswith("通宽带：否")
    assert words[2][1].startswith("村集体经济收入 30,000.00 元 < 50,000.00 元")


# --- 6.3 --------------------------------------------------------------------------------------

def test_county_incidence_sums_its_villages_and_needs_a_spot_check(system_user):
    hh(system_user, VILLAGE_A, size=3)
    hh(system_user, QINGQUAN_VILLAGE, size=2)
    hh(system_user, OTHER_COUNTY_VILLAGE, size=5)   # 宜章县: its own county
    attrs(VILLAGE_A, 120)
    attrs(QINGQUAN_VILLAGE, 130)
    run = assess_counties(actor=system_user, year=Y, pack=PACK, area="431000000000")
    res = {r.county_id: r for r in CountyResult.objects.filter(run=run)}
    guidong = res[COUNTY]
    assert (guidong.poor_people, guidong.rural_population, guidong.incidence) == (5, 250, Decimal("2.00"))
    assert guidong.reasons == "INCIDENCE;NO_SPOT_CHECK" and not guidong.passed
    assert guidong.wrongful_exit_rate is guidong.missed_rate is guidong.approval_rate is None
    yizhang = res["431022000000"]
    assert (yizhang.poor_people, yizhang.rural_population, yizhang.reasons) == (5, None, "NO_VILLAGE_DATA;NO_SPOT_CHECK")
    assert len(res) == Area.objects.filter(level=3, code__startswith="4310").count()
    words = describe_county(guidong, run_pack(run))
    assert [c for c, _ in words] == ["INCIDENCE", "NO_SPOT_CHECK"]
    assert words[0][1].startswith("综合贫困发生率 2.00% ≥ 2%（5/250）")


def test_county_run_needs_a_county_or_above(system_user):
    with pytest.raises(ApplicationError) as e:
        assess_counties(actor=system_user, year=Y, pack=PACK, area=VILLAGE_A)
    assert e.value.code == "E_INVALID"
    assert not AssessmentRun.objects.filter(kind="counties").exists()


# --- CLI --------------------------------------------------------------------------------------

def _read(path):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def test_cli_villages_csv_columns(system_user, tmp_path):
    hh(system_user, VILLAGE_A, size=4)
    attrs(VILLAGE_A, 188)
    hh(system_user, VILLAGE_B, size=1)
    out = tmp_path / "villages.csv"
    call_command("assess_villages", "--year", str(Y), "--area", COUNTY, "--out", str(out))
    rows = _read(out)
    assert rows[0] == ["行政区划代码", "村名", "未脱贫人口", "农业户籍人口", "贫困发生率", "可退出", "原因"]
    assert rows[1] == [VILLAGE_A, "水庄村村委会", "4", "188", "2.13", "否", "INCIDENCE"]
    assert rows[2] == [VILLAGE_B, "江湾村村委会", "1", "", "", "否", "NO_VILLAGE_DATA"]
    assert not (tmp_path / "villages.csv.part").exists()


def test_cli_counties_csv_columns(system_user, tmp_path):
    hh(system_user, VILLAGE_A, size=1)
    attrs(VILLAGE_A, 400)
    out = tmp_path / "counties.csv"
    call_command("assess_counties", "--year", str(Y), "--area", COUNTY, "--out", str(out))
    rows = _read(out)
    assert rows[0] == ["行政区划代码", "县名", "综合贫困发生率", "错退率", "漏评率", "群众认可度", "可摘帽", "原因"]
    assert rows[1] == [COUNTY, "桂东县", "0.25", "", "", "", "否", "NO_SPOT_CHECK"]
    assert len(rows) == 2


# --- web --------------------------------------------------------------------------------------

def test_results_pages_show_reasons_with_figures_and_only_in_scope(client, system_user, cast):
    hh(system_user, VILLAGE_A, size=4)
    attrs(VILLAGE_A, 188)
    hh(system_user, VILLAGE_B, size=1)
    attrs(VILLAGE_B, 300)
    assess_villages(actor=system_user, year=Y, pack=PACK, area=COUNTY)
    assess_counties(actor=system_user, year=Y, pack=PACK, area=COUNTY)
    client.force_login(cast["clerk_a"])
    page = client.get(f"/assessments/villages/?year={Y}").content.decode()
    assert "水庄村村委会" in page and "贫困发生率 2.13% ≥ 2%（4/188）" in page
    assert "江湾村村委会" not in page
    client.force_login(cast["clerk_b"])
    page = client.get(f"/assessments/villages/?year={Y}").content.decode()
    assert "江湾村村委会" in page and "水庄村村委会" not in page
    assert client.get(f"/assessments/villages/?year={Y}&area={VILLAGE_A}").status_code == 404
    assert "桂东县" not in client.get(f"/assessments/counties/?year={Y}").content.decode()
    client.force_login(cast["county_officer"])
    page = client.get(f"/assessments/villages/?year={Y}&failing=1").content.decode()
    assert "水庄村村委会" in page and "江湾村村委会" not in page
    page = client.get(f"/assessments/counties/?year={Y}").content.decode()
    assert "桂东县" in page and "抽查核验未抽样或未完成" in page and "1.02%" in page  # 5 / 488
