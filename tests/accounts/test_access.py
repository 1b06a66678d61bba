import pytest

from fupin.accounts.access import can_read_audit, can_unmask, can_write_registry, in_scope
from fupin.registry.selectors import access_household, household_list
from fupin.core.errors import NotFound
from tests.cast import OTHER_COUNTY_VILLAGE, VILLAGE_A, VILLAGE_B
from tests.factories import make_household

pytestmark = pytest.mark.django_db


@pytest.fixture
def homes(cast, system_user):
    return {
        "a": make_household(system_user, "A-1", VILLAGE_A, "赵一"),
        "b": make_household(system_user, "B-1", VILLAGE_B, "钱二"),
        "c": make_household(system_user, "C-1", OTHER_COUNTY_VILLAGE, "孙三"),
    }


@pytest.mark.parametrize("who,visible", [
    ("clerk_a", {"A-1"}), ("clerk_b", {"B-1"}), ("township_officer", {"A-1", "B-1"}),
    ("county_officer", {"A-1", "B-1"}), ("city_officer", {"A-1", "B-1", "C-1"}), ("auditor", {"A-1", "B-1", "C-1"}),
    ("inspector", {"A-1", "B-1"}), ("helper", set()),
])
def test_list_scope(cast, homes, who, visible):
    assert set(household_list(user=cast[who]).values_list("number", flat=True)) == visible


def test_clerk_b_cannot_open_or_search_village_a(cast, homes):
    with pytest.raises(NotFound):
        access_household(cast["clerk_b"], homes["a"].pk)
    head_id = homes["a"].members.get(relation="户主").id_number
    for q in (head_id, "A-1", "赵一", "zy"):
        assert not household_list(user=cast["clerk_b"], filters={"q": q}).exists()
        assert household_list(user=cast["clerk_a"], filters={"q": q}).filter(number="A-1").exists()


def test_auditor_reads_but_cannot_write(cast, homes):
    assert access_household(cast["auditor"], homes["a"].pk).number == "A-1"
    with pytest.raises(NotFound):
        access_household(cast["auditor"], homes["a"].pk, write=True)


def test_role_permissions(cast):
    assert can_write_registry(cast["clerk_a"]) and not can_write_registry(cast["auditor"])
    assert can_unmask(cast["clerk_a"]) and not can_unmask(cast["auditor"]) and not can_unmask(cast["helper"])
    assert can_read_audit(cast["auditor"]) and not can_read_audit(cast["city_officer"])
    assert in_scope(cast["township_officer"], VILLAGE_A) and not in_scope(cast["clerk_b"], VILLAGE_A)
