"""The pages: work list, case page with its action form and attachments, batch forms with their
summary, and the 404 outside the user's areas."""

import hashlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fupin.procedures.models import Attachment, Case, Step
from tests.procedures.conftest import T0
from tests.procedures.helpers import open_case

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def test_work_list_act_and_attachment(crew, household_for, client):
    case = open_case(crew, "exit", household_for("exit", head_name="王建国"), T0)
    client.force_login(crew["clerk_a"])  # the opener: not on their list (maker-checker)
    assert f"#{case.pk}<" not in client.get("/procedures/").content.decode()
    client.force_login(crew["clerk_a2"])
    page = client.get("/procedures/").content.decode()
    assert f"#{case.pk}<" in page and "王建国" in page
    r = client.post(f"/procedures/cases/{case.pk}/act/", {
        "action": "approve", "opinion": "入户核实无误", "version": case.version,
        "attachment": SimpleUploadedFile("核实照片.png", PNG, content_type="image/png")})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.state == "consent"
    a = Attachment.objects.get(case=case)
    assert a.sha256 == hashlib.sha256(PNG).hexdigest() and a.step.seq == 2
    assert Path(a.path).name.startswith(a.sha256)
    got = client.get(f"/procedures/cases/{case.pk}/files/{a.pk}/")
    assert got.status_code == 200 and b"".join(got.streaming_content) == PNG
    assert got["X-Content-Type-Options"] == "nosniff"
    client.force_login(crew["clerk_b"])
    assert client.get(f"/procedures/cases/{case.pk}/files/{a.pk}/").status_code == 404
    assert client.get(f"/procedures/cases/{case.pk}/").status_code == 404
    # the household page's timeline shows the step
    client.force_login(crew["clerk_a"])
    page = client.get(f"/households/{case.household_id}/").content.decode()
    assert "退出：入户核实通过 → 户签字认可" in page


def test_bad_attachment_and_stale_form_change_nothing(crew, household_for, client):
    case = open_case(crew, "exit", household_for("exit"), T0)
    client.force_login(crew["clerk_a2"])
    r = client.post(f"/procedures/cases/{case.pk}/act/", {
        "action": "approve", "version": case.version,
        "attachment": SimpleUploadedFile("x.png", b"<script>alert(1)</script>", content_type="image/png")})
    assert r.status_code == 400 and "PDF、JPEG 或 PNG" in r.content.decode()
    r = client.post(f"/procedures/cases/{case.pk}/act/", {"action": "approve", "version": case.version - 1 + 5})
    assert r.status_code == 409
    case.refresh_from_db()
    assert case.state == "verification" and not Attachment.objects.exists()
    r = client.post(f"/procedures/cases/{case.pk}/act/", {"action": "reject", "opinion": ""})
    assert r.status_code == 400 and 'data-code="E_REASON_REQUIRED"' in r.content.decode()


def test_batch_approve_summary_lists_done_and_skipped(crew, household_for, client):
    cases = [open_case(crew, "exit", household_for("exit"), T0) for _ in range(3)]
    mine = open_case(crew, "exit", household_for("exit"), T0, opener="clerk_a2")
    client.force_login(crew["clerk_a2"])
    r = client.post("/procedures/batch/", {"action": "approve", "case": [c.pk for c in [*cases, mine]],
                                           "opinion": "批量核实"})
    page = r.content.decode()
    assert r.status_code == 200 and 'id="summary"' in page
    assert "完成 <strong>3</strong>" in page and "跳过 <strong>1</strong>" in page
    assert "办理上一环节的人不能办理下一环节" in page
    assert sorted(Case.objects.values_list("state", flat=True)) == ["consent"] * 3 + ["verification"]


def test_open_case_page(crew, household_for, client):
    h = household_for("exit")
    client.force_login(crew["clerk_a"])
    assert client.get("/procedures/cases/new/").status_code == 200
    r = client.post("/procedures/cases/new/", {"number": h.number, "kind": "exit", "year": "2017"})
    assert r.status_code == 302
    case = Case.objects.get(household=h)
    assert r["Location"] == f"/procedures/cases/{case.pk}/"
    r = client.post("/procedures/cases/new/", {"number": h.number, "kind": "exit", "year": "2017"})
    assert r.status_code == 400 and "未办结" in r.content.decode()
    client.force_login(crew["clerk_b"])
    r = client.post("/procedures/cases/new/", {"number": h.number, "kind": "exit", "year": "2017"})
    assert r.status_code == 400 and Case.objects.count() == 1


def test_batch_approval_never_copies_one_households_votes_onto_others(crew, household_for, client):
    """A democratic review is each household's own vote: a batch skips that step for every case,
    saying why, even when vote counts are posted with it; rejecting in a batch still works."""
    cases = [open_case(crew, "identification", household_for("identification"), T0) for _ in range(3)]
    client.force_login(crew["clerk_a2"])
    r = client.post("/procedures/batch/", {"action": "approve", "case": [c.pk for c in cases], "opinion": "评议通过",
                                           "votes_agree": "12", "votes_against": "1", "votes_abstain": "0"})
    page = r.content.decode()
    assert r.status_code == 200 and "完成 <strong>0</strong>" in page and "跳过 <strong>3</strong>" in page
    assert page.count("该步骤需逐户录入表决票数") == 3
    assert set(Case.objects.values_list("state", flat=True)) == {"village_review"}
    assert not Step.objects.filter(votes_agree__isnull=False).exists()
    r = client.post("/procedures/batch/", {"action": "reject", "case": [cases[0].pk], "opinion": "不符合条件"})
    assert "完成 <strong>1</strong>" in r.content.decode()
    cases[0].refresh_from_db()
    assert cases[0].state == "rejected" and cases[0].steps.last().votes_agree is None
