"""domain.md 6.1–6.5 at their edges, as the spec states them (not as the code happens to do).

Most tests call the pure rules on plain facts; the ones about what the facts are (who is 在户 on
the date, which income year is read, how net income is summed) go through the registry tables
and the single-household path of fupin.policy.services.
"""

import datetime as dt
from decimal import Decimal

import pytest

from fupin.core.errors import ApplicationError
from fupin.policy import rules
from fupin.policy.packs import builtin
from fupin.policy.rules import (
    EDGE,
    SUDDEN,
    UNSTABLE,
    SpotCheckFigures,
    age_on,
    county_exit_reasons,
    exit_reasons,
    identification_reasons,
    incidence,
    monitoring,
    per_capita,
    village_exit_reasons,
)
from fupin.policy.services import household_exit, household_monitoring
from tests.cast import VILLAGE_A
from tests.policy.conftest import add_household, custom_pack, facts, member, person

D = dt.date
Y17 = D(2017, 12, 31)
HUNAN = builtin("hunan")
NATIONAL = builtin("national-6pct")


def adults(n):
    return [member() for _ in range(n)]


# --- 6.1 INCOME: strictly greater than the line, per capita never rounded before comparing -----------

@pytest.mark.parametrize(("net", "people", "passes"), [
    ("9078.00", 3, False),   # exactly 3,026.00 each: equal to the line is not above it
    ("9078.03", 3, True),    # 3,026.01 each: one fen above passes
    ("9078.01", 3, True),    # 3,026.0033…: above, although it shows as 3,026.00
    ("9077.99", 3, False),   # 3,025.9966…: shows as 3,026.00 and is below
    ("3026.00", 1, False),
    ("3026.01", 1, True),
    ("0", 1, False),
    ("-500", 2, False),      # a loss (生产经营性支出 above income) is below any line
])
def test_income_is_strictly_above_the_line_without_rounding(net, people, passes):
    f = facts(adults(people), net=net)
    assert ("INCOME" not in exit_reasons(f, HUNAN, 2017)) is passes
    assert (exit_reasons(f, HUNAN, 2017) == ()) is passes


@pytest.mark.parametrize(("net", "people", "shown"), [
    ("9078.01", 3, Decimal("3026.00")), ("9077.99", 3, Decimal("3026.00")), ("3026.005", 1, Decimal("3026.01")),
    ("10000", 3, Decimal("3333.33")), ("20000", 3, Decimal("6666.67")),
])
def test_per_capita_is_rounded_to_two_decimals_only_for_display(net, people, shown):
    assert per_capita(facts(adults(people), net=net)) == shown


@pytest.mark.parametrize(("pack", "year", "line"), [
    (HUNAN, 2014, "2736"), (HUNAN, 2015, "2855"), (HUNAN, 2016, "2952"), (HUNAN, 2017, "3026"),
    (HUNAN, 2018, "3200"), (HUNAN, 2019, "3400"), (HUNAN, 2020, "4000"),
    (NATIONAL, 2015, "2968"), (NATIONAL, 2016, "3146"), (NATIONAL, 2017, "3335"), (NATIONAL, 2018, "3535"),
    (NATIONAL, 2019, "3747"), (NATIONAL, 2020, "4000"),
])
def test_each_year_uses_its_own_line(pack, year, line):
    at = Decimal(line) * 2
    assert "INCOME" in exit_reasons(facts(adults(2), net=str(at)), pack, year)
    assert "INCOME" not in exit_reasons(facts(adults(2), net=str(at + Decimal("0.01"))), pack, year)


def test_a_year_the_pack_lacks_is_an_error_not_a_verdict():
    with pytest.raises(ApplicationError) as e:
        exit_reasons(facts(), HUNAN, 2013)
    assert e.value.code == "E_POLICY_YEAR"
    with pytest.raises(ApplicationError) as e:
        exit_reasons(facts(), NATIONAL, 2014)
    assert e.value.code == "E_POLICY_YEAR"


# --- 6.1 EDUCATION: ages 6 to 15 inclusive, whole years on the assessment date -------------------------

@pytest.mark.parametrize(("born", "day", "age", "in_range"), [
    (D(2011, 12, 31), Y17, 6, True),     # sixth birthday on the assessment date
    (D(2012, 1, 1), Y17, 5, False),      # turns 6 the day after
    (D(2011, 6, 1), Y17, 6, True),
    (D(2002, 1, 1), Y17, 15, True),      # still 15 on 31 December, 16 the next day
    (D(2001, 12, 31), Y17, 16, False),   # sixteenth birthday on the assessment date
    (D(2002, 6, 30), D(2017, 6, 30), 15, True),  # a chosen date that is the 15th birthday
    (D(2001, 6, 30), D(2017, 6, 30), 16, False),
    (D(2011, 7, 1), D(2017, 6, 30), 5, False),
    # 29 February: in a common year the birthday has not come on 28 February and has on 1 March
    (D(2012, 2, 29), D(2018, 2, 28), 5, False),
    (D(2012, 2, 29), D(2018, 3, 1), 6, True),
    (D(2012, 2, 29), D(2018, 12, 31), 6, True),
    (D(2000, 2, 29), D(2016, 2, 29), 16, False),  # leap-year date: sixteenth birthday on the day itself
    (D(2000, 2, 29), D(2016, 2, 28), 15, True),
    (D(2001, 3, 1), D(2016, 2, 29), 14, True),
    (D(2000, 2, 28), D(2016, 2, 29), 16, False),  # born on the 28th, assessed on the 29th: 16 already
    (D(2001, 2, 28), D(2017, 2, 28), 16, False),
    (D(2002, 3, 1), D(2017, 2, 28), 14, True),
])
def test_compulsory_education_age_edges(born, day, age, in_range):
    assert age_on(born, day) == age
    f = facts([member(), member(born=born)], day=day)
    assert ("EDUCATION" in exit_reasons(f, HUNAN, day.year)) is in_range


@pytest.mark.parametrize(("child", "fails"), [
    (member(born=D(2008, 3, 1), school="小学"), False),
    (member(born=D(2008, 3, 1), school="七年级"), False),
    (member(born=D(2008, 3, 1)), True),                                  # 9 years old, out of school
    (member(born=D(2008, 3, 1), home=True), False),                      # 送教上门或免学
    (member(born=D(2008, 3, 1), state="死亡", state_date=D(2017, 5, 1)), False),  # not 在户 on the date
    (member(born=D(2008, 3, 1), state="迁出", state_date=D(2018, 1, 1)), True),   # left after the date
])
def test_education_counts_only_present_children_out_of_school_without_exemption(child, fails):
    assert ("EDUCATION" in exit_reasons(facts([member(), child]), HUNAN, 2017)) is fails


def test_education_range_comes_from_the_pack():
    p = custom_pack(compulsory_education={"min_age": 7, "max_age": 16})
    six, sixteen = [member(), member(born=D(2011, 1, 1))], [member(), member(born=D(2001, 6, 1))]
    # the age range is applied when the facts are gathered for a pack (both paths take the pack)
    assert exit_reasons(facts(six, pack=p), p, 2017) == () and exit_reasons(facts(six), HUNAN, 2017) == (
        "EDUCATION",)
    assert exit_reasons(facts(sixteen, pack=p), p, 2017) == ("EDUCATION",)
    assert exit_reasons(facts(sixteen), HUNAN, 2017) == ()


# --- 6.1 MEDICAL, HOUSING, WATER, FOOD, CLOTHING -------------------------------------------------------

@pytest.mark.parametrize(("m", "fails"), [
    (member(insured=False), True),
    (member(insured=False, soldier=True), False),          # active soldier without basic medical insurance
    (member(insured=True, soldier=True), False),
    (member(insured=False, state="迁出", state_date=D(2017, 3, 1)), False),
    (member(insured=False, state="死亡", state_date=D(2018, 1, 1)), True),   # died after the date
    (member(insured=False, state="死亡", state_date=Y17), False),            # died on the date: not 在户
    (member(insured=False, state="死亡"), False),                            # no date: never 在户
])
def test_medical_insurance(m, fails):
    assert ("MEDICAL" in exit_reasons(facts([member(), m]), HUNAN, 2017)) is fails


@pytest.mark.parametrize(("grade", "renovated", "relocated", "fails"), [
    ("A", False, False, False), ("B", False, False, False),
    ("C", False, False, True), ("D", False, False, True),
    ("C", True, False, False), ("D", True, False, False),   # renovation done
    ("C", False, True, False), ("D", False, True, False),   # relocated and moved in
])
def test_housing(grade, renovated, relocated, fails):
    f = facts(grade=grade, renovated=renovated, relocated=relocated)
    assert (exit_reasons(f, HUNAN, 2017) == ("HOUSING",)) is fails


@pytest.mark.parametrize(("pack", "year", "fails"), [
    (HUNAN, 2017, False), (HUNAN, 2018, False), (HUNAN, 2019, True), (HUNAN, 2020, True),
    (NATIONAL, 2018, False), (NATIONAL, 2019, True), (NATIONAL, 2020, True),
])
def test_water_is_a_criterion_only_from_the_packs_year(pack, year, fails):
    assert (exit_reasons(facts(water=False), pack, year) == ("WATER",)) is fails
    assert exit_reasons(facts(water=True), pack, year) == ()


def test_water_year_and_no_water_criterion_come_from_the_pack():
    never = custom_pack(water_criterion_from=None)
    early = custom_pack(water_criterion_from=2016)
    dry = facts(water=False)
    assert exit_reasons(dry, never, 2020) == ()
    assert exit_reasons(dry, early, 2015) == () and exit_reasons(dry, early, 2016) == ("WATER",)


def test_food_and_clothing():
    assert exit_reasons(facts(food=False), HUNAN, 2017) == ("FOOD",)
    assert exit_reasons(facts(clothing=False), HUNAN, 2017) == ("CLOTHING",)


def test_every_reason_in_table_order():
    f = facts([member(insured=False), member(born=D(2009, 1, 1))], net="100", food=False, clothing=False,
              grade="D", water=False)
    assert exit_reasons(f, HUNAN, 2019) == ("INCOME", "FOOD", "CLOTHING", "EDUCATION", "MEDICAL", "HOUSING", "WATER")


def test_no_income_data_still_reports_the_other_criteria_in_table_order():
    assert exit_reasons(facts(net=None), HUNAN, 2017) == ("NO_INCOME_DATA",)
    f = facts([member(insured=False), member()], net=None, clothing=False, grade="C", water=False)
    assert exit_reasons(f, HUNAN, 2019) == ("CLOTHING", "MEDICAL", "HOUSING", "WATER", "NO_INCOME_DATA")
    assert per_capita(f) is None


# --- who is 在户 on the date (through the registry and the single-household path) -----------------


@pytest.mark.django_db
@pytest.mark.parametrize(("states", "verdict"), [
    ([("死亡", D(2016, 4, 1)), ("迁出", D(2017, 12, 30))], ("NO_MEMBER",)),
    ([("死亡", Y17), ("迁出", Y17)], ("NO_MEMBER",)),                 # on the date itself: no longer 在户
    ([("死亡", None), ("迁出", None)], ("NO_MEMBER",)),
    ([("死亡", D(2016, 4, 1)), ("死亡", D(2018, 2, 1))], ()),          # died after the date: still 在户 then
])
def test_household_without_present_member_cannot_be_assessed(states, verdict):
    h = add_household(VILLAGE_A, "NM1", members=[person(state=s, state_date=d) for s, d in states],
                      incomes={2017: {"wage": 20000}})
    v = household_exit(h, year=2017, pack=HUNAN)
    assert v.reasons == verdict
    assert v.facts.members.present == (0 if verdict else 1)


@pytest.mark.django_db
def test_per_capita_divides_by_members_present_on_the_date():
    # 6,052.01 over the two members present on 31 December (one died in June): 3,026.005 > 3,026.
    # Dividing by all three would give 2,017.34 and fail.
    h = add_household(VILLAGE_A, "PC1", members=[person(), person(), person(state="死亡", state_date=D(2017, 6, 1))],
                      incomes={2017: {"wage": "5000.01", "business": "1500", "transfer": "52", "business_cost": "500"}})
    v = household_exit(h, year=2017, pack=HUNAN)
    assert v.reasons == () and v.per_capita == Decimal("3026.01")
    # assessed on a date before the death: three present, 2,017.34 each
    v = household_exit(h, year=2017, pack=HUNAN, day=D(2017, 5, 31))
    assert v.reasons == ("INCOME",) and v.per_capita == Decimal("2017.34")


@pytest.mark.django_db
def test_net_income_sums_the_four_incomes_less_business_costs_of_year_y_only():
    h = add_household(VILLAGE_A, "NI1", members=[person()], incomes={
        2016: {"wage": 99999},
        2017: {"wage": "1000", "business": "1500.50", "property_income": "300", "transfer": "726.00",
               "business_cost": "500.50", "medical_spending": "9000", "rigid_spending": "9000"}})
    v = household_exit(h, year=2017, pack=HUNAN)   # 1000 + 1500.50 + 300 + 726 − 500.50 = 3026.00
    assert v.per_capita == Decimal("3026.00") and v.reasons == ("INCOME",)
    assert household_exit(h, year=2016, pack=HUNAN).reasons == ()
    assert household_exit(h, year=2018, pack=HUNAN).reasons == ("NO_INCOME_DATA",)


@pytest.mark.django_db
def test_soldier_exemption_and_birthday_on_the_date_through_the_registry():
    h = add_household(VILLAGE_A, "SB1", members=[person(), person(insured=False, soldier=True),
                                                 person(born=D(2011, 12, 31))], incomes={2017: {"wage": 20000}})
    assert household_exit(h, year=2017, pack=HUNAN).reasons == ("EDUCATION",)
    assert household_exit(h, year=2017, pack=HUNAN, day=D(2017, 12, 30)).reasons == ()


# --- 6.5 monitoring ----------------------------------------------------------------------------------

def mon(f, *, exited=True, monitored=False, year=2021, pack=HUNAN):
    return monitoring(f, pack, year, exited=exited, monitored=monitored)


@pytest.mark.parametrize(("net", "people", "income"), [
    ("17999.99", 3, True), ("18000", 3, False), ("18000.01", 3, False), ("5999.99", 1, True), ("6000", 1, False),
])
def test_monitoring_income_is_strictly_below_the_threshold(net, people, income):
    f = facts(adults(people), day=D(2021, 12, 31), net=net)
    assert (mon(f).triggers == ("INCOME",)) is income


@pytest.mark.parametrize(("net", "spending", "triggered"), [
    ("40000", "20000", False),      # exactly 50%: not above
    ("40000", "20000.01", True),
    ("40000", "19999.99", False),
    ("40000.01", "20000", False),
    ("0", "0", False),
    ("0", "0.01", True),
])
def test_spending_above_half_of_net_income(net, spending, triggered):
    f = facts(day=D(2021, 12, 31), net=net, spending=spending)
    v = mon(f)
    assert ("SPENDING" in v.triggers) is triggered


@pytest.mark.parametrize(("change", "code"), [
    ({"food": False}, "FOOD"), ({"clothing": False}, "CLOTHING"),
    ({"members": [member(), member(born=D(2012, 5, 5))]}, "EDUCATION"),
    ({"members": [member(), member(insured=False)]}, "MEDICAL"),
    ({"grade": "C"}, "HOUSING"), ({"water": False}, "WATER"),
    ({"risks": ["大病"]}, "RISK"), ({"risks": ["务工不稳"]}, "RISK"), ({"risks": ["缺劳动力"]}, "RISK"),
])
def test_each_condition_trigger(change, code):
    f = facts(day=D(2021, 12, 31), **change)
    assert mon(f).triggers == (code,)


def test_triggers_in_table_order():
    f = facts([member(insured=False), member(born=D(2012, 1, 1))], day=D(2021, 12, 31), net="1000",
              spending="600", food=False, clothing=False, grade="D", water=False, risks=["灾害"])
    assert mon(f).triggers == ("INCOME", "SPENDING", "FOOD", "CLOTHING", "EDUCATION", "MEDICAL", "HOUSING",
                               "WATER", "RISK")


@pytest.mark.parametrize(("exited", "change", "category"), [
    (True, {"net": "1000"}, UNSTABLE),                   # exited with INCOME: still 脱贫不稳定户
    (True, {"risks": ["灾害"]}, UNSTABLE),
    (False, {"net": "1000"}, EDGE),                      # ordinary with INCOME
    (False, {"net": "1000", "food": False}, EDGE),
    (False, {"spending": "20000.01", "net": "40000"}, SUDDEN),  # ordinary, flagged without INCOME
    (False, {"risks": ["意外事故"]}, SUDDEN),
    (True, {}, ""), (False, {}, ""),                     # no trigger, no category
])
def test_categories(exited, change, category):
    v = mon(facts(day=D(2021, 12, 31), **change), exited=exited)
    assert v.category == category
    assert v.flagged is bool(category)
    assert category in ("", "脱贫不稳定户", "边缘易致贫户", "突发严重困难户")


def test_no_income_data_has_no_category():
    v = mon(facts(day=D(2021, 12, 31), net=None), exited=False)
    assert v.triggers == ("NO_INCOME_DATA",) and v.category == "" and not v.can_eliminate
    v = mon(facts(day=D(2021, 12, 31), net=None, food=False), exited=True, monitored=True)
    assert v.triggers == ("FOOD", "NO_INCOME_DATA") and v.category == "" and not v.can_eliminate


@pytest.mark.parametrize(("monitored", "change", "labour", "eliminable"), [
    (True, {}, ["普通劳动力"], True),
    (True, {}, ["技能劳动力", "无劳动力"], True),
    (True, {}, ["丧失劳动力", "无劳动力"], False),     # without labour ability it stays monitored
    (True, {"risks": ["产业失败"]}, ["普通劳动力"], False),   # a trigger still holds
    (True, {"net": "1000"}, ["普通劳动力"], False),
    (False, {}, ["普通劳动力"], False),                 # not under monitoring: nothing to eliminate
])
def test_risk_elimination(monitored, change, labour, eliminable):
    members = [member(labour=x) for x in labour]
    v = mon(facts(members, day=D(2021, 12, 31), **change), monitored=monitored)
    assert v.can_eliminate is eliminable


def test_risk_elimination_counts_only_labour_present_on_the_date():
    gone = [member(labour="无劳动力"), member(labour="普通劳动力", state="迁出", state_date=D(2021, 8, 1))]
    assert not mon(facts(gone, day=D(2021, 12, 31)), monitored=True).can_eliminate
    assert mon(facts(gone, day=D(2021, 7, 31)), monitored=True).can_eliminate


def test_monitoring_threshold_of_a_year_the_pack_lacks_is_an_error():
    with pytest.raises(ApplicationError) as e:
        mon(facts(day=D(2022, 12, 31)), year=2022)
    assert e.value.code == "E_POLICY_YEAR"


@pytest.mark.django_db
def test_monitoring_reads_the_check_year_or_else_the_year_before():
    day = D(2021, 9, 30)
    both = add_household(VILLAGE_A, "MY1", kind="一般农户", status="", members=[person()],
                         incomes={2020: {"wage": 1000}, 2021: {"wage": 9000}})
    before = add_household(VILLAGE_A, "MY2", kind="一般农户", status="", members=[person()],
                           incomes={2020: {"wage": 1000, "risks": ["灾害"]}})
    older = add_household(VILLAGE_A, "MY3", kind="一般农户", status="", members=[person()],
                          incomes={2019: {"wage": 1000}})
    spend = add_household(VILLAGE_A, "MY4", kind="一般农户", status="", members=[person()],
                          incomes={2021: {"wage": 20000, "medical_spending": "6000", "rigid_spending": "4000.01"}})
    assert household_monitoring(both, day=day, pack=HUNAN).triggers == ()
    v = household_monitoring(before, day=day, pack=HUNAN)
    assert v.triggers == ("INCOME", "RISK") and v.category == EDGE
    v = household_monitoring(older, day=day, pack=HUNAN)
    assert v.triggers == ("NO_INCOME_DATA",) and v.category == ""
    v = household_monitoring(spend, day=day, pack=HUNAN)
    assert v.triggers == ("SPENDING",) and v.category == SUDDEN


@pytest.mark.django_db
def test_monitoring_categories_and_elimination_through_the_registry():
    day = D(2021, 12, 31)
    exited = add_household(VILLAGE_A, "MC1", status="已脱贫", incomes={2021: {"wage": 3000}})
    monitored_ok = add_household(VILLAGE_A, "MC2", status="监测对象", incomes={2021: {"wage": 60000}})
    monitored_idle = add_household(VILLAGE_A, "MC3", status="监测对象", incomes={2021: {"wage": 60000}},
                                   members=[person(labour="丧失劳动力"), person(labour="无劳动力")])
    v = household_monitoring(exited, day=day, pack=HUNAN)
    assert (v.triggers, v.category) == (("INCOME",), UNSTABLE)
    v = household_monitoring(monitored_ok, day=day, pack=HUNAN)
    assert v.triggers == () and v.can_eliminate
    assert not household_monitoring(monitored_idle, day=day, pack=HUNAN).can_eliminate


# --- 6.4 identification ------------------------------------------------------------------------------

@pytest.mark.parametrize(("net", "people", "reasons"), [
    ("9078.00", 3, ()),            # at the line: qualifies
    ("9077.99", 3, ()),
    ("9078.01", 3, ("INCOME",)),   # above (even though 3,026.00 is shown)
    ("3026.01", 1, ("INCOME",)),
])
def test_identification_at_or_below_the_line(net, people, reasons):
    assert identification_reasons(facts(adults(people), net=net), HUNAN, 2017) == reasons


def test_identification_exclusions_and_missing_income():
    f = facts(adults(2), net="1000")
    assert identification_reasons(f, HUNAN, 2017, ["VEHICLE", "PUBLIC_SERVANT", "VEHICLE"]) == (
        "EXCLUDED_PUBLIC_SERVANT", "EXCLUDED_VEHICLE")
    assert identification_reasons(facts(net=None), HUNAN, 2017) == ("NO_INCOME_DATA",)
    assert identification_reasons(facts([member(state="死亡")], net="10"), HUNAN, 2017) == ("NO_MEMBER",)


# --- 6.2 village exit --------------------------------------------------------------------------------

ALL_OK = {"通硬化路": True, "通安全饮水": True, "通生活用电": True, "有标准化卫生室": True, "通宽带": True,
          "村集体经济收入": "50000.00"}


@pytest.mark.parametrize(("poor", "population", "passes"), [
    (20, 1000, False),        # exactly 2%: not strictly below
    (19, 1000, True),
    (1999, 100000, True),     # 1.999%: shown as 2.00, still below
    (2000, 100000, False),
    (0, 1, True),
])
def test_village_incidence_strictly_below_two_percent(poor, population, passes):
    assert (village_exit_reasons(poor, population, ALL_OK, HUNAN) == ()) is passes
    assert (village_exit_reasons(poor, population, ALL_OK, HUNAN) == ("INCIDENCE",)) is not passes


def test_incidence_display():
    assert incidence(1999, 100000) == Decimal("2.00") and incidence(20, 1000) == Decimal("2.00")
    assert incidence(1, 3) == Decimal("33.33") and incidence(5, None) is None and incidence(5, 0) is None


@pytest.mark.parametrize("population", [None, 0])
def test_no_village_data_alone(population):
    assert village_exit_reasons(500, population, {}, HUNAN) == ("NO_VILLAGE_DATA",)


def test_checklist_reasons_in_table_order():
    assert village_exit_reasons(30, 1000, {}, HUNAN) == (
        "INCIDENCE", "ROAD", "WATER", "POWER", "CLINIC", "BROADBAND", "COLLECTIVE_INCOME")
    nos = {k: False for k in ALL_OK} | {"村集体经济收入": "0"}
    assert village_exit_reasons(0, 1000, nos, HUNAN) == ("ROAD", "WATER", "POWER", "CLINIC", "BROADBAND",
                                                         "COLLECTIVE_INCOME")
    assert village_exit_reasons(0, 1000, ALL_OK | {"通生活用电": False, "通宽带": False}, HUNAN) == (
        "POWER", "BROADBAND")


@pytest.mark.parametrize(("amount", "passes"), [
    ("50000", True), ("50000.00", True), ("49999.99", False), ("120000.50", True), ("", False), (None, False),
    (50000, True),
])
def test_collective_income_at_least_the_packs_amount(amount, passes):
    items = ALL_OK | {"村集体经济收入": amount}
    assert (village_exit_reasons(0, 1000, items, HUNAN) == ()) is passes


def test_village_threshold_and_amount_come_from_the_pack():
    p = custom_pack(village_exit={"incidence_below": 3, "checklist": [
        {"column": "通硬化路", "kind": "bool", "code": "ROAD"},
        {"column": "村集体经济收入", "kind": "yuan", "min": 30000, "code": "COLLECTIVE_INCOME"}]})
    assert village_exit_reasons(29, 1000, {"通硬化路": True, "村集体经济收入": "30000"}, p) == ()
    assert village_exit_reasons(30, 1000, {"通硬化路": True, "村集体经济收入": "29999.99"}, p) == (
        "INCIDENCE", "COLLECTIVE_INCOME")


# --- 6.3 county exit ---------------------------------------------------------------------------------

GOOD_SPOT = SpotCheckFigures(exited_sampled=100, exited_wrong=1, others_sampled=100, others_poor=1, surveyed=100,
                             satisfied=91)


@pytest.mark.parametrize(("poor", "population", "spot", "reasons"), [
    (199, 10000, GOOD_SPOT, ()),
    (200, 10000, GOOD_SPOT, ("INCIDENCE",)),                                      # exactly 2%
    (0, 10000, SpotCheckFigures(100, 2, 100, 1, 100, 91), ("WRONGFUL_EXIT",)),    # exactly 2%
    (0, 10000, SpotCheckFigures(1000, 19, 100, 1, 100, 91), ()),                  # 1.9%
    (0, 10000, SpotCheckFigures(100, 1, 50, 1, 100, 91), ("MISSED_IDENTIFICATION",)),  # exactly 2%
    (0, 10000, SpotCheckFigures(100, 1, 51, 1, 100, 91), ()),                     # 1.96%
    (0, 10000, SpotCheckFigures(100, 1, 100, 1, 100, 90), ("APPROVAL",)),         # exactly 90%: not above
    (0, 10000, SpotCheckFigures(100, 1, 100, 1, 1000, 901), ()),                  # 90.1%
    (200, 10000, SpotCheckFigures(100, 2, 100, 2, 100, 90),
     ("INCIDENCE", "WRONGFUL_EXIT", "MISSED_IDENTIFICATION", "APPROVAL")),
])
def test_county_thresholds_at_the_edges(poor, population, spot, reasons):
    assert county_exit_reasons(poor, population, spot, HUNAN) == reasons


def test_county_without_spot_check_or_population():
    assert county_exit_reasons(0, 10000, None, HUNAN) == ("NO_SPOT_CHECK",)
    assert county_exit_reasons(500, 10000, None, HUNAN) == ("INCIDENCE", "NO_SPOT_CHECK")
    assert "NO_SPOT_CHECK" in county_exit_reasons(0, 10000, SpotCheckFigures(100, 1, 0, 0, 100, 95), HUNAN)
    assert county_exit_reasons(0, 0, GOOD_SPOT, HUNAN) == ("NO_VILLAGE_DATA",)


def test_rates_for_display():
    assert rules.rate(1, 3) == Decimal("33.33") and rules.rate(0, 0) is None
