"""The procedure pages in English (the language switch): the page chrome is translated, while the
household data and what people wrote (names, opinions) are shown as stored."""

import pytest

from tests.procedures.conftest import T0
from tests.procedures.helpers import open_case, take

pytestmark = pytest.mark.django_db


def english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    return client


@pytest.fixture
def case(crew, household_for):
    c = open_case(crew, "exit", household_for("exit", head_name="王建国"), T0)
    take(crew, c, T0)  # 入户核实 passed by the second village clerk: the case waits at 户签字认可
    return c


def test_work_list_in_english(client, crew, case):
    english(client).force_login(crew["clerk_a"])  # the opener; clerk_a2 took the last step
    r = client.get("/procedures/")
    page = r.content.decode()
    assert r.headers["Content-Language"] == "en"
    for s in ("Waiting for me", "Open a procedure", "Propose exits in bulk", "All open cases", "Public notices",
              "Current step", "Last action", "Open cases by step", "For the selected cases", "Approve selected"):
        assert s in page, s
    for s in ("待我处理", "发起程序", "批量拟退出", "全部在办案件", "当前环节", "在办案件（按环节）", "批量通过"):
        assert s not in page, s
    assert f"#{case.pk}<" in page and "王建国" in page and case.household.number in page


def test_case_page_in_english_keeps_what_people_wrote(client, crew, case):
    english(client).force_login(crew["clerk_a"])
    page = client.get(f"/procedures/cases/{case.pk}/").content.decode()
    for s in ("Procedures", "This household's cases", "Steps taken", "Household timeline",
              "Opinion / reason for rejection", "Attachments (PDF, JPEG or PNG, up to 5 MB)", ">Approved<", ">Open<"):
        assert s in page, s
    for s in ("程序办理", "该户案件", "办理记录", "户的办理时间线", "意见 / 驳回理由", "附件（"):
        assert s not in page, s
    # data: the head's name, the opener's and the approver's opinions as written
    assert "王建国" in page and "本人申请" in page and "同意" in page


def test_case_list_and_notices_in_english(client, crew, case):
    english(client).force_login(crew["township_officer"])
    page = client.get("/procedures/cases/?open=1").content.decode()
    assert "Procedure cases" in page and "All procedures" in page and "Open only" in page
    assert "程序案件" not in page and "全部环节" not in page
    assert "王建国" in page
    page = client.get("/procedures/notices/").content.decode()
    assert "Public notices" in page and "None yet" in page and "公示公告" not in page
