"""security.md 2 and 3 through the API: personal numbers masked by default in every list and
detail response; unmasking needs the permission and a reason and writes exactly one audit row."""

import datetime as dt
import itertools
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fupin.core import idcard
from fupin.core.models import AuditEntry
from fupin.registry.services import household_create
from tests.cast import VILLAGE_A
from tests.factories import family

pytestmark = pytest.mark.django_db

FULL_ID = re.compile(r"\d{17}[\dX]")
PHONE_11 = re.compile(r"(?<!\d)\d{11}(?!\d)")
_numbers = itertools.count(1)


def assert_masked(text: str, secrets: list[str]) -> None:
    assert not FULL_ID.search(text), FULL_ID.search(text)
    assert not PHONE_11.search(text), PHONE_11.search(text)
    for secret in secrets:
        assert secret not in text


def secrets_of(household) -> list[str]:
    out = [household.phone, household.bank_account] + list(household.members.values_list("id_number", flat=True))
    # The masked ID hides exactly the birth date: a response must not give it back another way.
    out += [f"{m.birth_date:%Y-%m-%d}" for m in household.members.all()]
    return [s for s in out if s]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    phone=st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    account=st.from_regex(r"[1-9][0-9]{9,24}", fullmatch=True),
    born=st.dates(dt.date(1930, 1, 1), dt.date(2015, 12, 31)),
    sex=st.sampled_from(["男", "女"]),
    size=st.integers(1, 5),
)
def test_lists_and_details_never_show_full_numbers(cast, api, phone, account, born, sex, size):
    n = next(_numbers)
    number = f"MASK{n:05d}"
    hh, members = family(number, VILLAGE_A, size=size, 联系电话=phone, 银行账号=account)
    # A prefix no factory ID uses, so the head is a new person in every example.
    head_id = idcard.make(f"99{n:04d}", born, 101 if sex == "男" else 102)
    members[0].update({"证件号码": head_id, "性别": sex})
    hh["户主证件号码"] = head_id
    h = household_create(actor=cast["clerk_a"], household=hh, members=members)
    c = api(cast["clerk_a"])
    for url in ["/api/households/", f"/api/households/?q={number}", f"/api/households/?q={head_id}",
                f"/api/households/{number}/"]:
        r = c.get(url)
        assert r.status_code == 200
        assert_masked(r.content.decode(), secrets_of(h))
    detail = c.get(f"/api/households/{number}/").json()
    assert detail["members"][0]["id_number"] == head_id[:6] + "*" * 8 + head_id[-4:]
    assert detail["phone"] == phone[:3] + "****" + phone[-4:]
    assert detail["bank_account"].endswith(account[-4:]) and set(detail["bank_account"][:-4]) == {"*"}


def test_member_writes_answer_masked_too(cast, api, homes):
    from tests.factories import member_row, new_id

    idn = new_id(dt.date(1999, 9, 9), "男")
    r = api(cast["clerk_a"]).post(f"/api/households/{homes['A'].number}/members/",
                                  member_row("", "赵六", idn, "其他"), format="json")
    assert r.status_code == 201
    assert_masked(r.content.decode(), [idn, "1999-09-09"])


def test_unmask_with_permission_and_reason_gives_full_numbers_and_one_audit_row(cast, api, homes):
    h = homes["A"]
    r = api(cast["clerk_a"]).post(f"/api/households/{h.number}/unmask/", {"reason": "核对低保名单"}, format="json")
    assert r.status_code == 200
    assert r["Cache-Control"] == "no-store"
    d = r.json()
    assert d["phone"] == "13807351234" and d["bank_account"] == "6230901234567890123"
    assert sorted(m["id_number"] for m in d["members"]) == sorted(h.members.values_list("id_number", flat=True))
    (entry,) = AuditEntry.objects.filter(action="pii.unmask")
    assert entry.actor == cast["clerk_a"] and entry.object_id == h.number and entry.reason == "核对低保名单"


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": None}, {"reason": ["x"]}])
def test_unmask_without_a_reason_is_400_and_not_audited(cast, api, homes, body):
    r = api(cast["clerk_a"]).post(f"/api/households/{homes['A'].number}/unmask/", body, format="json")
    assert r.status_code == 400 and r.json()["code"] == "E_REASON_REQUIRED"
    assert "13807351234" not in r.content.decode()
    assert not AuditEntry.objects.filter(action="pii.unmask").exists()


@pytest.mark.parametrize("who", ["auditor", "inspector"])
def test_unmask_without_the_permission_is_403_and_not_audited(cast, api, homes, who):
    r = api(cast[who]).post(f"/api/households/{homes['A'].number}/unmask/", {"reason": "看看"}, format="json")
    assert r.status_code == 403 and r.json()["code"] == "E_PERMISSION"
    assert not FULL_ID.search(r.content.decode())
    assert not AuditEntry.objects.filter(action="pii.unmask").exists()
