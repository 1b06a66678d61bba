"""The assessment pages in English (the language switch): the page chrome is translated, the data
— names, reason codes, area names — is shown as stored, and Chinese comes back when switched back."""

import pytest

from tests.cast import COUNTY, VILLAGE_A
from tests.conftest import login
from tests.factories import make_household

pytestmark = pytest.mark.django_db


def english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    return client


def chinese(client):
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    return client


@pytest.fixture
def homes(system_user):
    # Two-person households: 9,000 ÷ 2 = 4,500.00 > the 2016 line of 2,952; 5,904 ÷ 2 = 2,952.00 is not above it.
    ok = make_household(system_user, "A-1", VILLAGE_A, head_name="李桂英", size=2)
    poor = make_household(system_user, "A-2", VILLAGE_A, head_name="王建国", size=2, 工资性收入=3904,
                          生产经营性收入=1000, 转移性收入=1500, 生产经营性支出=500)
    return ok, poor


def test_runs_page_and_tabs_in_english(client, cast):
    login(english(client), cast["county_officer"])
    r = client.get("/assess/")
    page = r.content.decode()
    assert r.headers["Content-Language"] == "en"
    for s in ("Household exit assessment and return-to-poverty monitoring", "Bulk assessment", "Runs",
              "Assessment date (optional)", "Include households that have exited", "No run yet",
              # the tab strip (web/_assess_tabs.html) and the top bar
              "Household exit", "Village exit", "County exit", "Spot check", "Identification and cross-checks",
              ">Assessment<"):
        assert s in page, s
    for s in ("贫困户退出评估与防返贫监测", "批量评估", "评估批次", "开始评估", "包括已脱贫户", "新识别与比对", "贫困县摘帽"):
        assert s not in page, s
    assert "桂东县" in page  # area names are data: shown as stored


def test_packs_page_in_english(client, cast):
    login(english(client), cast["county_officer"])
    page = client.get("/assess/packs/").content.decode()
    for s in ("Compare two packs", "Poverty line (yuan per person-year)", "Monitoring income threshold",
              "Notice days", "In use"):
        assert s in page, s
    for s in ("比较两个政策包", "贫困线（元/人·年）", "监测收入标准", "公示天数", "当前使用"):
        assert s not in page, s


def test_household_exit_panel_in_english_with_codes_unchanged(client, cast, homes):
    ok, poor = homes
    login(english(client), cast["clerk_a"])
    page = client.get(f"/assess/households/{ok.pk}/exit/?year=2016").content.decode()
    assert "Meets the exit criteria for 2016" in page
    assert "Per-capita net income 4,500.00 &gt; 2,952.00 (2 present)" in page
    assert "Enough food" in page and "Criterion" in page

    page = client.get(f"/assess/households/{poor.pk}/exit/?year=2016").content.decode()
    assert "Cannot exit for 2016 yet" in page
    # the label is translated, the reason code stays as the rules return it
    assert "Per-capita net income not above the poverty line（INCOME）" in page
    assert "Per-capita net income 2,952.00 = 2,952.00 (2 present)" in page
    assert "Not an exit criterion in 2016 (only from 2019)" in page
    for s in ("年暂不能退出", "人均纯收入未超过贫困线", "一超过", "不作为退出指标", "退出评估（"):
        assert s not in page, s

    # back to Chinese: the same panel, the same figures, in Chinese again (labels are not frozen in English)
    chinese(client)
    page = client.get(f"/assess/households/{poor.pk}/exit/?year=2016").content.decode()
    assert "2016 年暂不能退出" in page and "人均纯收入未超过贫困线（INCOME）" in page
    assert "Cannot exit" not in page


def test_run_results_in_english_keep_names_and_codes(client, cast, homes, django_capture_on_commit_callbacks):
    login(english(client), cast["county_officer"])
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post("/assess/start/", {"kind": "households", "area": COUNTY, "year": "2016"})
    run_page = client.get(r.headers["Location"], follow=True).content.decode()
    for s in ("Households assessed", "May exit", "May not exit", "Criteria not met", "Results (first 200 households)",
              "Per-capita net income not above the poverty line（INCOME）"):
        assert s in run_page, s
    for s in ("评估户数", "未达标原因", "结果（前 200 户）", "人均纯收入未超过贫困线"):
        assert s not in run_page, s
    # household data as stored: head names, numbers and the stored reason codes
    assert "李桂英" in run_page and "王建国" in run_page and "A-2" in run_page
    assert "<td>INCOME</td>" in run_page
