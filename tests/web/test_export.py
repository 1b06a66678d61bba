import io
import re

import pytest
from openpyxl import load_workbook

from fupin.core.models import AuditEntry
from tests.cast import VILLAGE_A, VILLAGE_B
from tests.factories import make_household

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def homes(cast, system_user):
    return [make_household(system_user, "A-1", VILLAGE_A, "赵一"), make_household(system_user, "B-1", VILLAGE_B, "钱二")]


def download(client, response):
    assert response.status_code == 302
    job_url = response["Location"]
    page = client.get(job_url).content.decode()
    assert "已导出" in page, page[:2000]
    r = client.get(job_url + "download/")
    assert r.status_code == 200
    return load_workbook(io.BytesIO(b"".join(r.streaming_content)), read_only=True), job_url


def test_masked_export_holds_only_the_clerks_village(client, cast, homes, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    client.force_login(cast["clerk_b"])
    wb, _ = download(client, client.post("/export/", {}))
    numbers = [r[0] for r in wb["户"].iter_rows(min_row=2, values_only=True)]
    assert numbers == ["B-1"]
    text = "\n".join(str(c) for r in wb["人"].iter_rows(values_only=True) for c in r if c)
    assert not re.search(r"\d{17}[\dX]", text)
    assert AuditEntry.objects.filter(action="registry.export", actor=cast["clerk_b"]).count() == 1


def test_full_export_needs_a_reason_and_is_audited(client, cast, homes, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    client.force_login(cast["clerk_a"])
    r = client.post("/export/", {"full_ids": "1", "reason": ""})
    assert r.status_code == 302 and "export_error=reason" in r["Location"]
    wb, _ = download(client, client.post("/export/", {"full_ids": "1", "reason": "核对低保名单"}))
    text = "\n".join(str(c) for r in wb["人"].iter_rows(values_only=True) for c in r if c)
    assert re.search(r"\d{17}[\dX]", text)
    e = AuditEntry.objects.get(action="registry.export_full")
    assert e.reason == "核对低保名单" and e.after["rows_households"] == 1


def test_others_cannot_download_a_job_and_auditor_cannot_export_full(client, cast, homes, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    client.force_login(cast["clerk_a"])
    _, job_url = download(client, client.post("/export/", {}))
    client.force_login(cast["clerk_b"])
    assert client.get(job_url + "download/").status_code == 404
    client.force_login(cast["auditor"])
    assert client.post("/export/", {"full_ids": "1", "reason": "x"}).status_code == 403
    assert client.post("/export/", {"area": "431022101201"}).status_code == 302  # in the auditor's city scope
    client.force_login(cast["clerk_b"])
    assert client.post("/export/", {"area": VILLAGE_A}).status_code == 404
