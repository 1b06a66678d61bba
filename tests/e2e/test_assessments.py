"""Assessments in a real browser: the household page explains why a household cannot exit yet,
and a county officer runs the bulk assessment and reads its results (domain.md 6.1)."""

import pytest

from tests.cast import COUNTY, VILLAGE_A
from tests.e2e.test_browser import log_in
from tests.factories import make_household

pytestmark = pytest.mark.e2e


@pytest.fixture
def homes(transactional_db, cast):
    # 2016 incomes; two people each. 9,000 → 4,500.00 per person; 5,904 → 2,952.00, equal to the 2016 line.
    ok = make_household(cast["clerk_a"], "4310271012000011", VILLAGE_A, head_name="赵国强", size=2)
    poor = make_household(cast["clerk_a"], "4310271012000012", VILLAGE_A, head_name="钱小红", size=2,
                          工资性收入=3904, 生产经营性收入=1000, 转移性收入=1500, 生产经营性支出=500)
    return ok, poor


def test_household_page_says_why_it_cannot_exit(page, homes, shots):
    _, poor = homes
    log_in(page, "clerk_a")
    page.goto(f"/households/{poor.pk}/")
    page.wait_for_selector("#exit-criteria")  # loaded into the page by htmx
    page.select_option("#exit-panel select[name=year]", "2016")
    page.wait_for_function("document.querySelector('#exit-verdict').innerText.includes('2016')")
    assert "2016 年暂不能退出" in page.inner_text("#exit-verdict")
    income = page.locator("#exit-criteria tr[data-code=INCOME]").inner_text()
    assert "人均纯收入 2,952.00 = 2,952.00" in income and "未达标" in income
    assert "达标" in page.locator("#exit-criteria tr[data-code=HOUSING]").inner_text()
    page.screenshot(path=str(shots / "assess-1-household.png"), full_page=True)


def test_county_officer_runs_the_bulk_assessment(page, homes, shots):
    log_in(page, "county_officer")
    page.click(".mainnav >> text=评估")
    page.select_option("#run-form select[name=area]", COUNTY)
    page.select_option("#run-form select[name=year]", "2016")
    page.click("#run-form button[type=submit]")
    page.wait_for_selector("#passed-count")  # the eager job finished; its page forwards to the run
    assert page.inner_text("#passed-count") == "1"
    rows = page.locator("#results tbody tr")
    assert rows.count() == 2
    assert "INCOME" in page.inner_text("#results")
    page.screenshot(path=str(shots / "assess-2-run.png"), full_page=True)
