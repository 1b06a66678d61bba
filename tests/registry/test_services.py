import pytest

from fupin.core.errors import ValidationFailed
from fupin.core.models import AuditEntry
from fupin.registry.models import Household, HouseholdEvent, Member
from fupin.registry.services import household_create, household_update, member_save
from tests.cast import VILLAGE_A, VILLAGE_B
from tests.factories import family, make_household, member_row, new_id

pytestmark = pytest.mark.django_db


def codes(exc):
    return [e["code"] for e in exc.value.errors]


def test_create_writes_household_members_income_audit_and_event(cast):
    h = make_household(cast["clerk_a"], "4310271012000001", VILLAGE_A, size=3)
    assert h.members.count() == 3
    assert h.incomes.get(year=2016).net == 9000  # 6000 + 2000 + 0 + 1500 - 500
    assert h.head_initials == "zs"
    actions = list(AuditEntry.objects.filter(object_id__startswith=h.number).values_list("action", flat=True))
    assert sorted(actions) == ["household.create", "income.set", "member.create", "member.create", "member.create"]
    assert HouseholdEvent.objects.filter(household=h, type="created").count() == 1


def test_clerk_b_cannot_create_in_village_a(cast):
    hh, members = family("X1", VILLAGE_A)
    with pytest.raises(Exception) as exc:
        household_create(actor=cast["clerk_b"], household=hh, members=members)
    assert getattr(exc.value, "code", "") == "E_UNKNOWN_AREA"
    assert not Household.objects.filter(number="X1").exists()


def test_person_already_in_another_household_is_refused_and_named(cast):
    h = make_household(cast["clerk_a"], "H1", VILLAGE_A)
    head_id = h.members.get(relation="户主").id_number
    hh, members = family("H2", VILLAGE_A)
    members[1]["证件号码"] = head_id
    members[1]["性别"] = "男"
    with pytest.raises(ValidationFailed) as exc:
        household_create(actor=cast["clerk_a"], household=hh, members=members)
    assert "E_DUP_ID_IN_REGISTRY" in codes(exc)
    assert any("H1" in e["message"] for e in exc.value.errors)
    assert not Household.objects.filter(number="H2").exists()
    assert Member.objects.filter(id_number=head_id).count() == 1


def test_update_records_before_and_after_and_bumps_version(cast):
    h = make_household(cast["clerk_a"], "H3", VILLAGE_A)
    hh, _ = family("H3", VILLAGE_A)
    head = h.members.get(relation="户主")
    hh.update({"户主证件号码": head.id_number, "住房安全等级": "C", "工资性收入": "7,000"})
    household_update(actor=cast["clerk_a"], household=h, data=hh, expected_version=1)
    h.refresh_from_db()
    assert h.housing_grade == "C" and h.version == 2
    e = AuditEntry.objects.get(action="household.update", object_id="H3")
    assert e.before == {"housing_grade": "B"} and e.after == {"housing_grade": "C"}
    assert e.actor == cast["clerk_a"]
    inc = AuditEntry.objects.filter(action="income.set", object_id="H3/2016").order_by("id").last()
    assert inc.before == {"wage": "6000.00"} and inc.after == {"wage": "7000.00"}


def test_stale_version_is_a_conflict(cast):
    h = make_household(cast["clerk_a"], "H4", VILLAGE_A)
    hh, _ = family("H4", VILLAGE_A)
    hh["户主证件号码"] = h.members.get(relation="户主").id_number
    with pytest.raises(Exception) as exc:
        household_update(actor=cast["clerk_a"], household=h, data=hh, expected_version=7)
    assert exc.value.code == "E_CONFLICT"


def test_second_head_is_refused(cast):
    h = make_household(cast["clerk_a"], "H5", VILLAGE_A)
    with pytest.raises(ValidationFailed) as exc:
        member_save(actor=cast["clerk_a"], household=h, data=member_row("H5", "王五", new_id(), "户主"))
    assert codes(exc) == ["E_MULTIPLE_HEADS"]


def test_clerk_b_cannot_add_member_to_village_a(cast):
    h = make_household(cast["clerk_a"], "H6", VILLAGE_A)
    with pytest.raises(Exception) as exc:
        member_save(actor=cast["clerk_b"], household=h, data=member_row("H6", "王五", new_id(), "其他"))
    assert exc.value.code == "E_UNKNOWN_AREA"
    assert h.members.count() == 3


def test_auditor_cannot_write(cast):
    hh, members = family("H7", VILLAGE_B)
    with pytest.raises(Exception) as exc:
        household_create(actor=cast["auditor"], household=hh, members=members)
    assert exc.value.code == "E_PERMISSION"
