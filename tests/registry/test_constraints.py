"""Rules the database itself keeps, whatever path writes (domain.md 4): a person is an active
(在户) member of at most one household. Written here past the services, as a bulk write or a
concurrent import would reach the table."""

import pytest
from django.db import IntegrityError, transaction

from fupin.registry.models import Member
from tests.cast import VILLAGE_A
from tests.factories import make_household

pytestmark = pytest.mark.django_db


def _copy_of(m: Member, household) -> Member:
    fields = {f.attname: getattr(m, f.attname) for f in Member._meta.concrete_fields if not f.primary_key}
    return Member(**{**fields, "household_id": household.pk})


def test_the_same_person_cannot_be_active_in_two_households(cast):
    a = make_household(cast["clerk_a"], "C1", VILLAGE_A, size=1)
    b = make_household(cast["clerk_a"], "C2", VILLAGE_A, size=1)
    person = a.members.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        _copy_of(person, b).save()


def test_a_person_who_left_may_be_active_elsewhere(cast):
    a = make_household(cast["clerk_a"], "C3", VILLAGE_A, size=1)
    b = make_household(cast["clerk_a"], "C4", VILLAGE_A, size=1)
    person = a.members.get()
    moved = _copy_of(person, b)
    moved.state = "迁出"
    moved.save()
    assert Member.objects.filter(id_number=person.id_number).count() == 2
