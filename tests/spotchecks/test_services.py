"""Spot check (domain.md 6.3): drawing the sample, recording findings and surveys, the three
figures, the import file, and who may do what (the cast of tests/cast.py)."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from fupin.accounts.services import user_create
from fupin.core.errors import ApplicationError, NotFound, PermissionDenied
from fupin.core.models import AuditEntry
from fupin.policy.area_exit import assess_counties
from fupin.policy.models import CountyResult
from fupin.policy.packs import builtin
from fupin.registry.services import household_set_status
from fupin.spotchecks.models import SampledHousehold, SpotCheck, SurveyResponse
from fupin.spotchecks.selectors import access_spot_check, figures
from fupin.spotchecks.services import draw_sample, import_results, record_finding, record_survey
from tests.cast import COUNTY, OTHER_COUNTY_VILLAGE, PASSWORD, VILLAGE_A, VILLAGE_B
from tests.spotchecks.helpers import QINGQUAN, QINGQUAN_VILLAGE, SHATIAN, household

pytestmark = pytest.mark.django_db
Y = 2017


@pytest.fixture
def county(system_user):
    """桂东县: 10 households exited in 2017 in 沙田镇 and 3 in 清泉镇, plus ones that must not be drawn,
    and 6 ordinary households (5 in 沙田镇, 1 in 清泉镇)."""
    for i in range(10):
        household(system_user, VILLAGE_A if i % 2 else VILLAGE_B)
    for _ in range(3):
        household(system_user, QINGQUAN_VILLAGE)
    household(system_user, VILLAGE_A, exit_year=2016)             # another year
    household(system_user, VILLAGE_A, status="未脱贫")
    household(system_user, VILLAGE_A, status="返贫")
    household(system_user, OTHER_COUNTY_VILLAGE)                  # another county
    for i in range(5):
        household(system_user, VILLAGE_A, kind="一般农户")
    household(system_user, QINGQUAN_VILLAGE, kind="一般农户")
    return COUNTY


def drawn(spot, part="exited"):
    return sorted(spot.sampled.filter(part=part).values_list("household__number", flat=True))


def test_draw_is_stratified_by_township_from_the_years_exited_households(county, cast):
    spot = draw_sample(actor=cast["county_officer"], county=county, year=Y, seed=2017, share=25)
    assert (spot.exited_total, spot.ordinary_total, spot.share) == (13, 6, Decimal("25.00"))
    by_town = {t: spot.sampled.filter(part="exited", township_id=t).count() for t in (SHATIAN, QINGQUAN)}
    assert by_town == {SHATIAN: 3, QINGQUAN: 1}          # 10 × 25% = 2.5 → 3; 3 × 25% → at least 1
    sampled = SampledHousehold.objects.filter(spot_check=spot, part="exited").select_related("household")
    assert {(s.household.status, s.household.exit_year) for s in sampled} == {("已脱贫", 2017)}
    assert {s.household.village_id[:6] for s in sampled} == {"431027"}
    ordinary = spot.sampled.filter(part="ordinary")
    assert {s.household.kind for s in ordinary} == {"一般农户"}
    assert {t: ordinary.filter(township_id=t).count() for t in (SHATIAN, QINGQUAN)} == {SHATIAN: 1, QINGQUAN: 1}
    assert AuditEntry.objects.filter(action="spotcheck.draw", object_id=str(spot.pk), actor_name="county_officer",
                                     area_code=county).count() == 1


def test_a_household_exited_in_the_year_and_now_monitored_is_in_the_exited_pool(county, cast, system_user):
    monitored = household(system_user, QINGQUAN_VILLAGE)                   # exited 2017, now 监测对象
    household_set_status(actor=system_user, household=monitored, status="监测对象", reason="测试 / test")
    earlier = household(system_user, QINGQUAN_VILLAGE, exit_year=2016)     # exited 2016, now 监测对象
    household_set_status(actor=system_user, household=earlier, status="监测对象", reason="测试 / test")
    spot = draw_sample(actor=cast["county_officer"], county=county, year=Y, seed=7, share=100)
    assert spot.exited_total == 13 + 1
    assert monitored.number in drawn(spot) and earlier.number not in drawn(spot)
    sampled = SampledHousehold.objects.get(spot_check=spot, household=monitored)
    assert (sampled.part, sampled.township_id) == ("exited", QINGQUAN)


def test_default_share_is_the_packs_20_percent(county, cast):
    spot = draw_sample(actor=cast["city_officer"], county=county, year=Y, seed=1)
    assert spot.share == builtin("hunan").sample_share == Decimal("20.00")
    assert spot.sampled.filter(part="exited").count() == 2 + 1   # 10 × 20% = 2; 3 × 20% → 1


def test_same_seed_same_sample_another_seed_replaces_it_until_results_exist(county, cast):
    officer = cast["county_officer"]
    first = drawn(draw_sample(actor=officer, county=county, year=Y, seed=99))
    SpotCheck.objects.all().delete()
    assert drawn(draw_sample(actor=officer, county=county, year=Y, seed=99)) == first   # reproducible
    again = draw_sample(actor=officer, county=county, year=Y, seed=99)                 # same draw: no-op
    assert drawn(again) == first
    assert AuditEntry.objects.filter(action="spotcheck.draw").count() == 2
    seeds = {tuple(drawn(draw_sample(actor=officer, county=county, year=Y, seed=s))) for s in range(100, 110)}
    assert len(seeds) > 1                                                               # the seed matters
    spot = SpotCheck.objects.get()
    record_finding(actor=cast["inspector"], sampled=spot.sampled.first(), finding=True)
    with pytest.raises(ApplicationError) as e:
        draw_sample(actor=officer, county=county, year=Y, seed=5)
    assert e.value.code == "E_CONFLICT"


@pytest.mark.parametrize("who,error", [("clerk_b", NotFound), ("township_officer", NotFound),
                                       ("inspector", PermissionDenied), ("auditor", PermissionDenied)])
def test_who_may_not_draw(county, cast, who, error):
    with pytest.raises(error):
        draw_sample(actor=cast[who], county=county, year=Y, seed=1)
    assert not SpotCheck.objects.exists()


def test_figures_and_who_records_them(county, cast):
    spot = draw_sample(actor=cast["county_officer"], county=county, year=Y, seed=3, share=100)
    inspector = cast["inspector"]
    exited = list(spot.sampled.filter(part="exited").select_related("household", "spot_check"))
    ordinary = list(spot.sampled.filter(part="ordinary").select_related("household", "spot_check"))
    s = exited[0]
    for who, error in (("clerk_b", NotFound), ("clerk_a", NotFound), ("county_officer", PermissionDenied)):
        with pytest.raises(error):
            record_finding(actor=cast[who], sampled=s, finding=False)
        with pytest.raises(error):
            record_survey(actor=cast[who], spot_check=spot, household=s.household, satisfied=True)
    for i, s in enumerate(exited):
        record_finding(actor=inspector, sampled=s, finding=i != 0, note="收入未达标" if i == 0 else "")
    for i, s in enumerate(ordinary):
        record_finding(actor=inspector, sampled=s, finding=i == 0)
    for i, s in enumerate(exited[:10]):
        record_survey(actor=inspector, spot_check=spot, household=s.household.number, satisfied=i != 9)
    record_survey(actor=inspector, spot_check=spot, household=exited[0].household, satisfied=True)  # replaces
    with pytest.raises(NotFound):  # a household of another county cannot answer for this one
        record_survey(actor=inspector, spot_check=spot, household="SC-none", satisfied=True)
    f = figures(spot)
    assert (f.found.exited_sampled, f.found.exited_wrong, f.found.others_sampled, f.found.others_poor,
            f.found.surveyed, f.found.satisfied) == (13, 1, 6, 1, 10, 9)
    assert (f.wrongful_exit_rate, f.missed_rate, f.approval_rate) == (Decimal("7.69"), Decimal("16.67"),
                                                                      Decimal("90.00"))
    assert f.exited_complete and f.ordinary_complete
    assert SampledHousehold.objects.get(pk=exited[0].pk).note == "收入未达标"
    assert AuditEntry.objects.filter(action="spotcheck.finding", actor_name="inspector").count() == 19
    assert AuditEntry.objects.filter(action="spotcheck.survey").count() == 11

    run = assess_counties(actor=cast["county_officer"], year=Y, pack=builtin("hunan"), area=COUNTY)
    r = CountyResult.objects.get(run=run)
    assert (r.wrongful_exit_rate, r.missed_rate, r.approval_rate) == (Decimal("7.69"), Decimal("16.67"),
                                                                      Decimal("90.00"))
    assert r.reasons == "NO_VILLAGE_DATA;WRONGFUL_EXIT;MISSED_IDENTIFICATION;APPROVAL"


def test_an_unfinished_part_of_the_sample_counts_as_no_spot_check(county, cast):
    spot = draw_sample(actor=cast["county_officer"], county=county, year=Y, seed=3, share=100)
    for s in spot.sampled.filter(part="exited").select_related("spot_check", "household")[:12]:
        record_finding(actor=cast["inspector"], sampled=s, finding=True)
    for s in spot.sampled.filter(part="ordinary").select_related("spot_check", "household"):
        record_finding(actor=cast["inspector"], sampled=s, finding=False)
    for s in spot.sampled.select_related("household")[:10]:
        record_survey(actor=cast["inspector"], spot_check=spot, household=s.household, satisfied=True)
    run = assess_counties(actor=cast["county_officer"], year=Y, pack=builtin("hunan"), area=COUNTY)
    r = CountyResult.objects.get(run=run)
    # 12 of 13 exited households verified: no wrongful-exit rate yet; the other two parts count
    assert r.wrongful_exit_rate is None and r.missed_rate == Decimal("0.00") and r.approval_rate == Decimal("100.00")
    assert r.reasons == "NO_VILLAGE_DATA;NO_SPOT_CHECK"


def test_spot_check_is_not_found_outside_scope(county, cast):
    draw_sample(actor=cast["county_officer"], county=county, year=Y, seed=3)
    assert access_spot_check(cast["inspector"], county, Y).year == Y
    assert access_spot_check(cast["city_officer"], county, Y).year == Y
    for who in ("clerk_a", "clerk_b", "township_officer", "helper"):
        with pytest.raises(NotFound):
            access_spot_check(cast[who], county, Y)


# --- the import file ------------------------------------------------------------------------

def write(path, rows, header="年度,户编号,项目,结果,备注"):
    path.write_text("\n".join([header, *(",".join(map(str, r)) for r in rows)]) + "\n", encoding="utf-8-sig")
    return path


def test_import_all_or_nothing_with_row_and_column(county, cast, tmp_path):
    spot = draw_sample(actor=cast["county_officer"], county=county, year=Y, seed=8, share=100)
    ex = list(spot.sampled.filter(part="exited").values_list("household__number", flat=True))
    od = list(spot.sampled.filter(part="ordinary").values_list("household__number", flat=True))
    bad = write(tmp_path / "bad.csv", [
        (Y, ex[0], "退出户核验", "否", "住房不安全"),
        (Y, od[0], "退出户核验", "是", ""),           # not in the exited part
        (Y, ex[1], "满意度", "是", ""),               # unknown item
        (Y, ex[2], "满意度调查", "也许", ""),          # bad result
        (2016, ex[3], "退出户核验", "是", ""),        # no draw for 2016
        (Y, "NOPE", "满意度调查", "是", ""),
    ])
    r = import_results(actor=cast["inspector"], path=bad)
    assert [(e.row, e.column, e.code) for e in r.errors] == [
        (3, "户编号", "E_NOT_SAMPLED"), (4, "项目", "E_ENUM"), (5, "结果", "E_ENUM"), (6, "年度", "E_NOT_SAMPLED"),
        (7, "户编号", "E_UNKNOWN_HOUSEHOLD")]
    assert not spot.sampled.filter(finding__isnull=False).exists() and not SurveyResponse.objects.exists()

    good = write(tmp_path / "good.csv", [(Y, ex[0], "退出户核验", "否", "住房不安全"), (Y, ex[1], "退出户核验", "是", ""),
                                         (Y, od[0], "一般农户核验", "是", "收入低于标准"),
                                         (Y, ex[0], "满意度调查", "是", ""), (Y, od[1], "满意度调查", "否", "")])
    with pytest.raises(PermissionDenied):
        import_results(actor=cast["county_officer"], path=good)
    with pytest.raises(PermissionDenied):
        import_results(actor=cast["clerk_a"], path=good)
    elsewhere = user_create(actor=None, username="inspector_yz", role="inspector", area_codes=["431022000000"],
                            password=PASSWORD, validate=False)  # 宜章县's team: 桂东县's households do not exist
    assert {e.code for e in import_results(actor=elsewhere, path=good).errors} == {"E_UNKNOWN_HOUSEHOLD"}
    call_command("spotcheck_import", str(good), "--as", "inspector")
    f = figures(spot)
    assert (f.found.exited_sampled, f.found.exited_wrong, f.found.others_poor, f.found.surveyed,
            f.found.satisfied) == (2, 1, 1, 2, 1)
    assert spot.sampled.get(household__number=ex[0]).note == "住房不安全"
    assert AuditEntry.objects.filter(action__startswith="spotcheck.", actor_name="inspector").count() == 5


def test_import_names_missing_columns(county, cast, tmp_path):
    r = import_results(actor=cast["inspector"], path=write(tmp_path / "x.csv", [], header="户编号,结果"))
    assert [(e.column, e.code) for e in r.errors] == [("年度", "E_MISSING_COLUMN"), ("项目", "E_MISSING_COLUMN")]


def test_cli_draw_prints_the_sample_and_is_idempotent(county, capsys):
    call_command("spotcheck_draw", "--county", COUNTY, "--year", str(Y), "--seed", "11")
    out = capsys.readouterr().out
    assert "3/13" in out and "2/6" in out
    first = drawn(SpotCheck.objects.get())
    call_command("spotcheck_draw", "--county", COUNTY, "--year", str(Y), "--seed", "11")
    assert drawn(SpotCheck.objects.get()) == first and SpotCheck.objects.count() == 1
