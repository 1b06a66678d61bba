import pytest

from fupin.areas.models import VillageAttributes
from fupin.core.models import AuditEntry
from tests.cast import VILLAGE_A

pytestmark = pytest.mark.django_db

FORM = {"年度": "2017", "农业户籍人口": "1,250", "通硬化路": "是", "通安全饮水": "是", "通生活用电": "是",
        "有标准化卫生室": "否", "通宽带": "是", "村集体经济收入": "48000"}


def test_village_clerk_records_the_year_and_it_is_audited(client, cast):
    client.force_login(cast["clerk_a"])
    r = client.post(f"/areas/{VILLAGE_A}/attributes/", FORM)
    assert r.status_code == 302
    va = VillageAttributes.objects.get(village_id=VILLAGE_A, year=2017)
    assert va.rural_population == 1250 and va.items["有标准化卫生室"] is False
    assert va.items["村集体经济收入"] == "48000.00"
    assert AuditEntry.objects.filter(action="village_attributes.set", object_id=f"{VILLAGE_A}/2017").count() == 1
    page = client.get(f"/areas/{VILLAGE_A}/").content.decode()
    assert "1,250" in page


def test_bad_value_is_shown_in_chinese_and_nothing_is_written(client, cast):
    client.force_login(cast["clerk_a"])
    r = client.post(f"/areas/{VILLAGE_A}/attributes/", {**FORM, "农业户籍人口": "很多"})
    assert r.status_code == 400
    assert "农业户籍人口" in r.content.decode() and "非负整数" in r.content.decode()
    assert not VillageAttributes.objects.exists()


@pytest.mark.parametrize("who,status", [("clerk_b", 404), ("auditor", 403)])
def test_others_cannot_write(client, cast, who, status):
    client.force_login(cast[who])
    r = client.post(f"/areas/{VILLAGE_A}/attributes/", FORM)
    assert r.status_code == status
    assert not VillageAttributes.objects.exists()
