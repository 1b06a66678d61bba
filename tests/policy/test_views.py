"""The assessment pages: 为什么不能退出 on the household page, bulk runs as jobs, run results,
pack comparison — and that all of them stay inside the user's areas."""

import csv
import io

import pytest

from tests.cast import COUNTY, VILLAGE_A, VILLAGE_B
from tests.conftest import login
from tests.factories import make_household

pytestmark = pytest.mark.django_db


@pytest.fixture
def start(client, django_capture_on_commit_callbacks):
    """POST the bulk-run form; the job is queued after commit and runs inline (eager Celery)."""

    def post(data):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/assess/start/", data)

    return post


@pytest.fixture
def homes(cast, system_user):
    # Two-person households (head and spouse): no school-age child, so only the income decides.
    # 2016 income: 6,000 + 2,000 + 0 + 1,500 − 500 = 9,000 → 4,500.00 per person > 2,952.
    a = make_household(system_user, "A-1", VILLAGE_A, size=2)
    # 5,904 ÷ 2 = 2,952.00: equal to the 2016 line, so not above it.
    poor = make_household(system_user, "A-2", VILLAGE_A, size=2, 工资性收入=3904, 生产经营性收入=1000,
                          转移性收入=1500, 生产经营性支出=500)
    b = make_household(system_user, "B-1", VILLAGE_B, size=2)
    return a, poor, b


def test_household_page_explains_each_criterion_with_its_figure(client, cast, homes):
    a, poor, _ = homes
    login(client, cast["clerk_a"])
    page = client.get(f"/households/{a.pk}/").content.decode()
    assert f"/assess/households/{a.pk}/exit/" in page  # the panel loads into the household page

    ok = client.get(f"/assess/households/{a.pk}/exit/?year=2016").content.decode()
    assert "2016 年符合退出标准" in ok
    assert "人均纯收入 4,500.00 &gt; 2,952.00" in ok

    bad = client.get(f"/assess/households/{poor.pk}/exit/?year=2016").content.decode()
    assert "2016 年暂不能退出" in bad
    assert "人均纯收入 2,952.00 = 2,952.00" in bad
    assert "（INCOME）" in bad
    # Water is not an exit criterion before 2019 in the hunan pack: shown as not applicable.
    assert "2016 年不作为退出指标（自 2019 年起）" in bad


def test_exit_panel_of_another_village_is_not_found(client, cast, homes):
    a, _, b = homes
    login(client, cast["clerk_b"])
    assert client.get(f"/assess/households/{a.pk}/exit/").status_code == 404
    assert client.get(f"/assess/households/{b.pk}/exit/").status_code == 200


def test_county_officer_runs_a_bulk_assessment_and_reads_its_results(client, cast, homes, start):
    _, poor, _ = homes
    login(client, cast["county_officer"])
    r = start({"kind": "households", "area": COUNTY, "year": "2016"})
    assert r.status_code == 302
    job_page = client.get(r["Location"])  # eager job: already finished, so it forwards to the run
    assert job_page.status_code == 302 and "/assess/runs/" in job_page["Location"]
    run_page = client.get(job_page["Location"]).content.decode()
    assert "A-1" in run_page and "A-2" in run_page and "B-1" in run_page
    assert 'id="passed-count">2<' in run_page

    rows = list(csv.reader(io.StringIO(client.get(job_page["Location"] + "results.csv").getvalue()
                                       .decode("utf-8-sig"))))
    assert rows[0] == ["户编号", "行政区划代码", "人均纯收入", "可退出", "原因"]
    by_number = {row[0]: row for row in rows[1:]}
    assert by_number["A-1"] == ["A-1", VILLAGE_A, "4500.00", "是", ""]
    assert by_number["A-2"] == ["A-2", VILLAGE_A, "2952.00", "否", "INCOME"]

    # The household page now lists the stored result of 2016.
    panel = client.get(f"/assess/households/{poor.pk}/exit/?year=2016").content.decode()
    assert 'id="exit-history"' in panel and "INCOME" in panel


def test_a_village_clerk_reads_a_county_run_only_for_their_village(client, cast, homes, start):
    login(client, cast["county_officer"])
    loc = client.get(start({"area": COUNTY, "year": "2016"})["Location"])["Location"]
    client.logout()
    login(client, cast["clerk_b"])
    assert client.post("/assess/start/", {"area": VILLAGE_B, "year": "2016"}).status_code == 403
    page = client.get(loc).content.decode()
    assert "B-1" in page and "A-1" not in page and "A-2" not in page
    assert 'id="passed-count">1<' in page  # counted over village B only
    lines = client.get(loc + "results.csv").getvalue().decode("utf-8-sig").splitlines()
    assert [x.split(",")[0] for x in lines[1:]] == ["B-1"]
    assert "见批次页" in client.get("/assess/").content.decode()  # no county totals in the list


def test_county_officer_cannot_start_a_run_outside_the_county(client, cast, homes):
    login(client, cast["county_officer"])
    assert client.post("/assess/start/", {"area": "431022000000", "year": "2016"}).status_code == 404


def test_pack_comparison_counts_households_passing_under_each_pack(client, cast, homes, system_user):
    # 4,500 per person passes both 2016 lines (hunan 2,952; national-6pct 3,146); one at 3,000 only hunan's.
    make_household(system_user, "A-3", VILLAGE_A, size=2, 工资性收入=3500, 生产经营性收入=1000, 转移性收入=1500,
                   生产经营性支出=0)
    login(client, cast["county_officer"])
    page = client.get("/assess/packs/", {"a": "hunan", "b": "national-6pct", "year": "2016", "area": COUNTY})
    html = page.content.decode()
    assert 'id="pass-a">3<' in html  # A-1, B-1, A-3 under hunan
    assert 'id="pass-b">2<' in html  # A-3 (3,000.00) is not above 3,146


def test_monitoring_run_lists_flagged_households_with_category_and_triggers(client, cast, system_user, start):
    # Exited in 2016; 2021 income 9,000 for two people = 4,500 per person, below the 2021 threshold of 6,000.
    make_household(system_user, "A-9", VILLAGE_A, size=2, 脱贫状态="已脱贫", 脱贫年度=2016, 收入年度=2021)
    make_household(system_user, "A-8", VILLAGE_A, size=2, 脱贫状态="已脱贫", 脱贫年度=2016, 收入年度=2021,
                   工资性收入=20000)  # 14,500 per person: no trigger, not listed
    login(client, cast["county_officer"])
    r = start({"kind": "monitoring", "area": COUNTY, "date": "2021-12-31"})
    page = client.get(client.get(r["Location"])["Location"]).content.decode()
    assert 'id="flagged"' in page
    assert "A-9" in page and "脱贫不稳定户" in page and "INCOME" in page
    assert "A-8" not in page


def test_results_download_is_audited_with_rows_and_checksum(client, cast, homes, start):
    import hashlib

    from fupin.core.models import AuditEntry

    login(client, cast["county_officer"])
    loc = client.get(start({"area": COUNTY, "year": "2016"})["Location"])["Location"]
    body = client.get(loc + "results.csv").getvalue()
    e = AuditEntry.objects.get(action="policy.results_export")
    assert e.actor == cast["county_officer"]
    assert e.after == {"rows": 3, "sha256": hashlib.sha256(body).hexdigest()}


def test_only_the_offices_compare_packs(client, cast, homes):
    login(client, cast["clerk_a"])
    page = client.get("/assess/packs/", {"a": "hunan", "b": "national-6pct", "year": "2016", "area": VILLAGE_A})
    html = page.content.decode()
    assert page.status_code == 200 and 'id="packs"' in html
    assert 'id="compare-form"' not in html and 'id="comparison"' not in html
