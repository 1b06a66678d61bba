"""The spot-check pages as their users meet them: the county office draws, the inspection team
records, everyone in scope sees the figures; outside the county's scope the pages do not exist."""

import pytest

from fupin.spotchecks.models import SampledHousehold, SpotCheck, SurveyResponse
from fupin.spotchecks.services import draw_sample
from tests.cast import COUNTY, VILLAGE_A, VILLAGE_B
from tests.spotchecks.helpers import QINGQUAN_VILLAGE, household

pytestmark = pytest.mark.django_db
Y = 2017


@pytest.fixture
def county(system_user):
    for v in (VILLAGE_A, VILLAGE_A, VILLAGE_B, QINGQUAN_VILLAGE):
        household(system_user, v)
    household(system_user, VILLAGE_B, kind="一般农户")
    return COUNTY


def test_county_officer_draws_from_the_page_and_sees_the_sample_by_township(client, cast, county):
    client.force_login(cast["county_officer"])
    page = client.get(f"/spotchecks/?year={Y}").content.decode()
    assert "桂东县" in page and "尚未抽样" in page and 'name="seed"' in page
    r = client.post("/spotchecks/draw/", {"county": COUNTY, "year": Y, "seed": "2017", "share": ""})
    assert r.status_code == 302 and r["Location"] == f"/spotchecks/{COUNTY}/{Y}/"
    spot = SpotCheck.objects.get()
    assert spot.drawn_by == cast["county_officer"] and spot.sampled.filter(part="exited").count() == 2
    page = client.get(r["Location"]).content.decode()
    assert "沙田镇" in page and "清泉镇" in page and "随机种子 2017" in page
    assert 'name="finding"' not in page  # the county office does not record findings


def test_bad_seed_is_explained_and_nothing_is_drawn(client, cast, county):
    client.force_login(cast["county_officer"])
    r = client.post("/spotchecks/draw/", {"county": COUNTY, "year": Y, "seed": "abc"}, follow=True)
    assert "随机种子应为整数" in r.content.decode()
    assert not SpotCheck.objects.exists()


def test_inspector_records_findings_and_surveys_and_sees_the_rates(client, cast, county):
    spot = draw_sample(actor=cast["county_officer"], county=COUNTY, year=Y, seed=1, share=100)
    client.force_login(cast["inspector"])
    assert client.post("/spotchecks/draw/", {"county": COUNTY, "year": Y, "seed": "9"}).status_code == 403
    exited = list(spot.sampled.filter(part="exited").order_by("household__number"))
    for i, x in enumerate(exited):
        r = client.post(f"/spotchecks/sampled/{x.pk}/", {"finding": "否" if i == 0 else "是", "note": "住房C级" * (i == 0)})
        assert r.status_code == 302
    number = exited[1].household.number
    assert client.post(f"/spotchecks/{COUNTY}/{Y}/survey/", {"number": number, "satisfied": "是"}).status_code == 302
    page = client.get(f"/spotchecks/{COUNTY}/{Y}/?township={exited[0].township_id}").content.decode()
    assert "25.00%" in page          # 错退率: 1 of 4 exited households
    assert "100.00%" in page         # 群众认可度: 1 of 1
    assert "不符合退出标准（错退）" in page and "住房C级" in page
    assert SampledHousehold.objects.get(pk=exited[0].pk).finding is False
    assert SurveyResponse.objects.get().household.number == number
    r = client.post(f"/spotchecks/{COUNTY}/{Y}/survey/", {"number": "NOPE", "satisfied": "是"}, follow=True)
    assert "没有户编号 NOPE" in r.content.decode()


@pytest.mark.parametrize("who", ["clerk_a", "clerk_b", "township_officer"])
def test_outside_the_countys_scope_the_pages_do_not_exist(client, cast, county, who):
    spot = draw_sample(actor=cast["county_officer"], county=COUNTY, year=Y, seed=1)
    x = spot.sampled.first()
    client.force_login(cast[who])
    assert client.get(f"/spotchecks/{COUNTY}/{Y}/").status_code == 404
    assert client.post(f"/spotchecks/sampled/{x.pk}/", {"finding": "否"}).status_code == 404
    assert client.post(f"/spotchecks/{COUNTY}/{Y}/survey/", {"number": x.household.number,
                                                             "satisfied": "否"}).status_code == 404
    assert client.post("/spotchecks/draw/", {"county": COUNTY, "year": Y, "seed": "5"}).status_code == 404
    assert "桂东县" not in client.get("/spotchecks/").content.decode()
    assert SampledHousehold.objects.get(pk=x.pk).finding is None and not SurveyResponse.objects.exists()
    assert SpotCheck.objects.get().seed == 1


def test_county_office_cannot_record(client, cast, county):
    spot = draw_sample(actor=cast["county_officer"], county=COUNTY, year=Y, seed=1)
    client.force_login(cast["county_officer"])
    assert client.post(f"/spotchecks/sampled/{spot.sampled.first().pk}/", {"finding": "否"}).status_code == 403
    assert not spot.sampled.filter(finding__isnull=False).exists()


def test_pages_in_english(client, cast, county):
    draw_sample(actor=cast["county_officer"], county=COUNTY, year=Y, seed=1)
    client.force_login(cast["county_officer"])
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get(f"/spotchecks/{COUNTY}/{Y}/").content.decode()
    assert "Wrongful-exit rate" in page and "Seed 1, share 20.00%;" in page
    assert "Village exit" in client.get("/assessments/villages/").content.decode()
