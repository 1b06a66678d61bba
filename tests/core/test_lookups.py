"""field__any (fupin.core.lookups): the same rows as field__in, on both databases."""

import pytest
from django.db import connection

from fupin.registry.models import Household, Member
from tests.cast import VILLAGE_A, VILLAGE_B
from tests.factories import make_household

pytestmark = pytest.mark.django_db


@pytest.fixture
def three(cast):
    return [make_household(cast["clerk_a"], "L1", VILLAGE_A, size=2),
            make_household(cast["clerk_a"], "L2", VILLAGE_A, size=1),
            make_household(cast["clerk_b"], 'L"3\\', VILLAGE_B, size=3)]


def test_any_finds_what_in_finds(three):
    numbers = ["L1", 'L"3\\', "absent", "L1"]
    assert (sorted(Household.objects.filter(number__any=numbers).values_list("number", flat=True))
            == sorted(Household.objects.filter(number__in=numbers).values_list("number", flat=True))
            == sorted(["L1", 'L"3\\']))


def test_any_on_a_foreign_key_and_on_an_id(three):
    pks = [three[0].pk, three[2].pk]
    by_any = set(Member.objects.filter(household_id__any=pks).values_list("pk", flat=True))
    assert by_any == set(Member.objects.filter(household_id__in=pks).values_list("pk", flat=True))
    assert len(by_any) == 5
    assert Member.objects.filter(household__any=pks).count() == 5
    assert Household.objects.filter(pk__any=pks).count() == 2


def test_any_of_nothing_is_no_row(three):
    assert list(Household.objects.filter(number__any=[])) == []
    assert Household.objects.exclude(number__any=[]).count() == 3


def test_any_sends_one_parameter_on_postgresql(three):
    sql, params = Household.objects.filter(number__any=["L1", "L2", "x"]).query.sql_with_params()
    if connection.vendor == "postgresql":
        assert "= ANY(%s)" in sql and len(params) == 1
    else:
        assert len(params) == 3
