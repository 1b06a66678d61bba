"""The main screens in a real browser: log in, find a household by pinyin initials, open it, see
the masked ID and the timeline, upload a bad file and see its error rows (domain.md 3, 4)."""

import csv
import re

import pytest

from tests.cast import PASSWORD, VILLAGE_A, VILLAGE_B
from tests.factories import family, make_household

pytestmark = pytest.mark.e2e

FULL_ID = re.compile(r"(?<!\d)\d{17}[\dX](?!\d)")


def log_in(page, username):
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form[action='/login/'] button[type=submit]")
    page.wait_for_selector(".who .user")


@pytest.fixture
def registry(transactional_db, cast):
    a = make_household(cast["clerk_a"], "4310271012000001", VILLAGE_A, head_name="王建国", size=4)
    make_household(cast["clerk_a"], "4310271012000002", VILLAGE_A, head_name="刘德华", size=2, 脱贫状态="已脱贫",
                   脱贫年度=2016)
    make_household(cast["clerk_b"], "4310271012010001", VILLAGE_B, head_name="王建军", size=3)
    return {"a": a}


def test_clerk_finds_a_household_by_pinyin_and_sees_it_masked(page, registry, shots):
    log_in(page, "clerk_a")
    assert page.locator(".stat .num").first.inner_text() == "2"
    page.screenshot(path=str(shots / "1-home.png"), full_page=True)

    page.click("text=农户台账")
    page.fill("input[name=q]", "wjg")
    page.press("input[name=q]", "Enter")
    rows = page.locator("#household-table tbody tr")
    rows.first.wait_for()
    page.wait_for_function("document.querySelectorAll('#household-table tbody tr').length === 1")
    # clerk A finds 王建国 of village A, never 王建军 of village B (same initials)
    assert "王建国" in rows.first.inner_text() and "王建军" not in page.content()
    page.screenshot(path=str(shots / "2-households.png"), full_page=True)

    rows.first.locator("a").first.click()
    page.wait_for_selector("#timeline")
    html = page.content()
    head = registry["a"].members.get(relation="户主").id_number
    assert head[:6] + "********" + head[-4:] in html and not FULL_ID.search(html)
    assert "建档：户主 王建国，4 人" in page.locator("#timeline").inner_text()
    page.screenshot(path=str(shots / "3-household.png"), full_page=True)

    # unmask with a reason: the full number for this response only
    page.fill("#unmask-form input[name=reason]", "核对低保名单")
    page.click("#unmask-form button")
    page.wait_for_selector("#full-note")
    assert head in page.content()
    page.goto(f"/households/{registry['a'].pk}/")  # the next view is masked again
    page.wait_for_selector("#timeline")
    assert not FULL_ID.search(page.content())


def test_upload_a_bad_file_and_read_its_errors(page, registry, shots, tmp_path):
    hh, members = family("4310271012000009", VILLAGE_A, "周强", size=2)
    members[1]["证件号码"] = members[1]["证件号码"][:-1] + ("0" if members[1]["证件号码"][-1] != "0" else "1")
    hh["住房安全等级"] = "E"
    for name, rows in (("户.csv", [hh]), ("人.csv", members)):
        with (tmp_path / name).open("w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0].keys()))
            w.writeheader()
            w.writerows(rows)
    log_in(page, "clerk_a")
    page.click("text=数据导入")
    page.screenshot(path=str(shots / "4-import.png"), full_page=True)
    page.set_input_files("input[name=households]", str(tmp_path / "户.csv"))
    page.set_input_files("input[name=members]", str(tmp_path / "人.csv"))
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#error-table")
    table = page.locator("#error-table").inner_text()
    assert "E_ID_CHECKSUM" in table and "E_ENUM" in table and "住房安全等级" in table
    assert "未做任何修改" in page.locator("#import-failed").inner_text()
    page.screenshot(path=str(shots / "5-import-errors.png"), full_page=True)


def test_area_tree_and_english_switch(page, registry, shots):
    log_in(page, "township_officer")
    page.click("text=行政区划")
    page.locator("table.grid a").first.click()
    page.wait_for_selector("text=水庄村")
    page.screenshot(path=str(shots / "6-area.png"), full_page=True)
    page.goto("/households/new/")
    page.wait_for_selector("select[name=行政区划代码]")
    page.screenshot(path=str(shots / "7-household-form.png"), full_page=True)
    page.click("button[value=en]")
    page.wait_for_selector("text=Households")
    assert "农户台账" not in page.locator(".mainnav").inner_text()
