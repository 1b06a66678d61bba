"""The cross-check, identification and targets pages as staff use them: upload with an error
table, versions and counts, the identification verdict of one household and of an area, targets
and progress — no full ID number in any page, and nothing outside the user's areas."""

import hashlib
import re

import pytest
from django.test import Client

from fupin.crosscheck.models import ListVersion
from fupin.crosscheck.services import load_list
from tests.cast import VILLAGE_A, VILLAGE_B
from tests.conftest import login
from tests.crosscheck.conftest import household, list_csv, person
from tests.factories import new_id

pytestmark = pytest.mark.django_db
FULL_ID = re.compile(r"(?<!\d)\d{17}[\dX](?!\d)")


def page(r) -> str:
    text = r.content.decode()
    assert not FULL_ID.search(text), FULL_ID.search(text).group(0)
    return text


def test_city_uploads_a_list_and_sees_versions_and_counts_masked(client, cast, tmp_path):
    idn = new_id()
    login(client, cast["city_officer"])
    path = list_csv(tmp_path, [{"证件号码": idn, "姓名": "李四", "单位": "桂东县财政局"}], name="公职人员2017.csv")
    with open(path, "rb") as fh:
        r = client.post("/crosscheck/", {"kind": "PUBLIC_SERVANT", "file": fh})
    text = page(r)
    assert r.status_code == 200 and 'id="load-ok"' in text
    assert "公职人员2017.csv" in text and ListVersion.objects.get().source_name == "公职人员2017.csv"
    r = client.get("/crosscheck/lists/PUBLIC_SERVANT/")
    text = page(r)
    assert idn[:6] + "*" * 8 + idn[-4:] in text and "桂东县财政局" in text


def test_a_bad_file_shows_every_error_with_row_and_column_and_changes_nothing(client, cast, tmp_path):
    login(client, cast["city_officer"])
    bad = new_id()
    bad = bad[:17] + ("0" if bad[17] != "0" else "1")
    path = list_csv(tmp_path, [{"证件号码": new_id(), "企业名称": "甲", "状态": "在营"},
                               {"证件号码": bad, "企业名称": "乙", "状态": ""}])
    with open(path, "rb") as fh:
        r = client.post("/crosscheck/", {"kind": "BUSINESS", "file": fh})
    text = page(r)
    assert r.status_code == 400 and 'id="error-table"' in text
    assert text.count("<td class=\"num\">3</td>") == 2 and "E_ID_CHECKSUM" in text and "E_REQUIRED" in text
    assert not ListVersion.objects.exists()


def test_an_upload_is_hashed_as_written_and_the_same_file_again_changes_nothing(client, cast, tmp_path):
    login(client, cast["city_officer"])
    path = list_csv(tmp_path, [{"证件号码": new_id(), "车牌号": f"湘L{i:05d}"} for i in range(2500)])
    for expected in (200, 200):
        with open(path, "rb") as fh:
            r = client.post("/crosscheck/", {"kind": "VEHICLE", "file": fh})
        assert r.status_code == expected
    version = ListVersion.objects.get()
    assert version.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert version.rows == version.entries.count() == 2500        # more than one insert batch


def test_a_file_over_the_upload_limit_is_refused_before_anything_is_written(client, cast, tmp_path, settings):
    media = tmp_path / "media"
    settings.MEDIA_ROOT = str(media)
    settings.LIST_UPLOAD_MAX_BYTES = 1000
    login(client, cast["city_officer"])
    small = list_csv(tmp_path, [{"证件号码": new_id(), "单位": "桂东县财政局"}], name="small.csv")
    big = list_csv(tmp_path, [{"证件号码": new_id(), "单位": "桂东县财政局" * 10} for _ in range(30)], name="大名单.csv")
    assert 1000 < big.stat().st_size < 1000 + 64 * 1024               # passes the Content-Length check
    huge = list_csv(tmp_path, [{"证件号码": new_id(), "单位": "桂东县财政局" * 10} for _ in range(1000)], name="huge.csv")
    assert huge.stat().st_size > 1000 + 64 * 1024                    # refused before the body is parsed
    for path in (big, huge):
        with open(path, "rb") as fh:
            r = client.post("/crosscheck/", {"kind": "PUBLIC_SERVANT", "file": fh})
        text = page(r)
        assert r.status_code == 413 and 'id="form-errors"' in text
        assert "超过名单上传上限 1 KB，未导入任何内容" in text
        assert not ListVersion.objects.exists() and not media.exists()
    client.post("/i18n/setlang/", {"language": "en", "next": "/crosscheck/"})
    with open(big, "rb") as fh:
        text = page(client.post("/crosscheck/", {"kind": "PUBLIC_SERVANT", "file": fh}))
    assert f"大名单.csv is {big.stat().st_size / 1024:.1f} KB, over the 1 KB limit for list uploads; nothing was loaded" in text
    with open(small, "rb") as fh:
        assert client.post("/crosscheck/", {"kind": "PUBLIC_SERVANT", "file": fh}).status_code == 200
    assert ListVersion.objects.get().source_name == "small.csv"


def test_the_upload_still_needs_the_csrf_token(cast, tmp_path):
    csrf_client = Client(enforce_csrf_checks=True)
    login(csrf_client, cast["city_officer"])
    with open(list_csv(tmp_path, [{"证件号码": new_id()}]), "rb") as fh:
        assert csrf_client.post("/crosscheck/", {"kind": "VEHICLE", "file": fh}).status_code == 403
    assert not ListVersion.objects.exists()


@pytest.mark.parametrize("name", ["clerk_a", "township_officer", "helper"])
def test_lists_page_is_not_for_village_and_township_staff(client, cast, name):
    login(client, cast[name])
    assert client.get("/crosscheck/").status_code == 403


def test_county_sees_counts_but_cannot_upload_or_read_entries(client, cast, system_user, tmp_path):
    on_list = person("在册公务员")
    household(VILLAGE_A, "R-A", members=[on_list], kind="建档立卡户", status="未脱贫")
    load_list(actor=system_user, kind="PUBLIC_SERVANT", path=list_csv(tmp_path, [{"证件号码": on_list["id"]}]))
    login(client, cast["county_officer"])
    text = page(client.get("/crosscheck/"))
    assert 'id="upload-form"' not in text and "R-A" in text and "名单上的建档立卡户：1 户" in text
    assert client.get("/crosscheck/lists/PUBLIC_SERVANT/").status_code == 404
    with open(list_csv(tmp_path, [{"证件号码": new_id()}], name="x.csv"), "rb") as fh:
        assert client.post("/crosscheck/", {"kind": "VEHICLE", "file": fh}).status_code == 403


def test_household_identification_page_names_the_member_and_list_masked(client, cast, system_user, tmp_path):
    owner = person("车主")
    h, _ = household(VILLAGE_A, "O-1", members=[person("户主"), owner], net="100")
    load_list(actor=system_user, kind="VEHICLE", path=list_csv(tmp_path, [{"证件号码": owner["id"], "车牌号": "湘L12345"}]))
    login(client, cast["clerk_a"])
    r = client.get(f"/crosscheck/identification/households/{h.pk}/?year=2017")
    text = page(r)
    assert r.status_code == 200 and "不符合 2017 年新识别条件" in text and "EXCLUDED_VEHICLE" in text
    assert "湘L12345" in text and owner["id"][:6] + "*" * 8 + owner["id"][-4:] in text
    login(client, cast["clerk_b"])
    assert client.get(f"/crosscheck/identification/households/{h.pk}/").status_code == 404


def test_area_identification_lists_the_qualifying_households_of_the_users_areas(client, cast):
    household(VILLAGE_A, "O-A", net="100")
    household(VILLAGE_B, "O-B", net="100")
    login(client, cast["clerk_a"])
    text = page(client.get("/crosscheck/identification/?year=2017&run=1"))
    assert "O-A" in text and "O-B" not in text
    assert client.get(f"/crosscheck/identification/?year=2017&area={VILLAGE_B}&run=1").status_code == 404
    assert client.get(f"/crosscheck/identification/?year=2017&area={VILLAGE_B}").status_code == 404


def test_area_identification_is_computed_only_when_the_user_asks(client, cast, monkeypatch):
    """A plain visit shows the form: the computation reads every ordinary household of the area."""
    from fupin.crosscheck import views

    household(VILLAGE_A, "O-A", net="100")
    calls = []
    real = views.identification_candidates
    monkeypatch.setattr(views, "identification_candidates", lambda **kw: calls.append(kw) or real(**kw))
    login(client, cast["clerk_a"])
    text = page(client.get("/crosscheck/identification/"))
    assert calls == [] and "O-A" not in text and 'id="qualifying"' not in text
    assert 'id="not-run"' in text and 'name="run" value="1"' in text
    text = page(client.get(f"/crosscheck/identification/?year=2017&area={VILLAGE_A}&run=1"))
    assert len(calls) == 1 and "O-A" in text and 'id="qualifying"' in text
    client.post("/i18n/setlang/", {"language": "en", "next": "/crosscheck/identification/"})
    assert "then click Check" in page(client.get("/crosscheck/identification/")) and len(calls) == 1


def test_targets_page_sets_and_shows_progress(client, cast):
    household(VILLAGE_A, "E1", kind="建档立卡户", status="已脱贫", exit_year=2017)
    login(client, cast["city_officer"])
    r = client.post("/targets/", {"area": "431000000000", "year": "2017", "villages": "276", "people": "100,000",
                                  "counties": "431027"})
    assert r.status_code == 302
    text = page(client.get("/targets/?area=431000000000&year=2017"))
    assert "100,000" in text and "276" in text and "预计" in text
    assert re.search(r'id="row-people">.*?<td class="num">3</td>', text, re.DOTALL)
    r = client.post("/targets/", {"area": "431000000000", "year": "2017", "people": "-3", "counties": ""})
    assert r.status_code == 400 and "E_NUMBER" in r.content.decode()


def test_targets_page_stays_in_the_users_areas(client, cast):
    login(client, cast["county_officer"])
    assert client.get("/targets/?area=431000000000&year=2017").status_code == 404
    text = page(client.get("/targets/?year=2017"))
    assert "桂东县" in text and 'id="target-form"' in text
    login(client, cast["clerk_a"])
    text = page(client.get("/targets/"))
    assert 'id="progress"' not in text and 'id="target-form"' not in text


def test_pages_are_chinese_first_and_english_when_asked(client, cast):
    login(client, cast["city_officer"])
    assert "目标与进度" in client.get("/targets/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/targets/"})
    text = client.get("/targets/").content.decode()
    assert "Targets and progress" in text and "Projected" in text
    text = client.get("/crosscheck/").content.decode()
    assert "Cross-check lists" in text and "Urban commercial property" in text


def test_an_ordinary_households_page_links_to_its_identification_check(client, cast):
    ordinary, _ = household(VILLAGE_A, "O-1")
    registered, _ = household(VILLAGE_A, "R-1", kind="建档立卡户", status="未脱贫")
    login(client, cast["clerk_a"])
    assert f"/crosscheck/identification/households/{ordinary.pk}/" in page(client.get(f"/households/{ordinary.pk}/"))
    assert 'id="identification-link"' not in page(client.get(f"/households/{registered.pk}/"))
