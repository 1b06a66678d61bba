"""Rules the database itself keeps, whatever path writes (domain.md 4): a person is an active
(在户) member of at most one household. Written here past the services, as a bulk write or a
concurrent import would reach the table."""

import pytest
from django.db import IntegrityError, connection, transaction

from fupin.registry.models import Member
from tests.cast import VILLAGE_A
from tests.factories import make_household

pytestmark = pytest.mark.django_db


def _copy_of(m: Member, household) -> Member:
    fields = {f.attname: getattr(m, f.attname) for f in Member._meta.concrete_fields if not f.primary_key}
    return Member(**{**fields, "household_id": household.pk})


def _left_for(m: Member, household) -> Member:
    """A saved row of `m` in `household` with the state 迁出 (moved out)."""
    old = _copy_of(m, household)
    old.state = "迁出"
    old.save()
    return old


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
    _left_for(person, b)
    assert Member.objects.filter(id_number=person.id_number).count() == 2


def test_a_person_may_have_left_several_households(cast):
    # only 在户 rows can clash: two old 迁出 rows of the same person and one 在户 row live side by side
    homes = [make_household(cast["clerk_a"], f"C{n}", VILLAGE_A, size=1) for n in (5, 6, 7)]
    person = homes[0].members.get()
    for h in homes[1:]:
        _left_for(person, h)
    assert Member.objects.filter(id_number=person.id_number).count() == 3
    assert Member.objects.filter(id_number=person.id_number, state="在户").count() == 1


def test_a_person_who_left_cannot_come_back_beside_an_active_row(cast):
    a = make_household(cast["clerk_a"], "C8", VILLAGE_A, size=1)
    b = make_household(cast["clerk_a"], "C9", VILLAGE_A, size=1)
    moved = _left_for(a.members.get(), b)
    moved.state = "在户"
    with pytest.raises(IntegrityError), transaction.atomic():
        moved.save()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL index")
def test_one_index_serves_the_id_number_and_the_active_person_rule():
    # migration registry 0008: the unique index leads with the ID number in byte order, so it also
    # serves every look-up by ID number, and no second index on that column is paid for per write
    with connection.cursor() as c:
        c.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'registry_member' "
                  "AND indexdef LIKE '%%id_number%%'")
        found = dict(c.fetchall())
    assert list(found) == ["uniq_active_person"]
    assert "UNIQUE" in found["uniq_active_person"]
    assert "(id_number varchar_pattern_ops, (" in found["uniq_active_person"]
    with connection.cursor() as c:
        c.execute("SET LOCAL enable_seqscan = off")
        c.execute("EXPLAIN SELECT id FROM registry_member WHERE id_number = %s", ["430000000000000000"])
        plan = " ".join(r[0] for r in c.fetchall())
    assert "uniq_active_person" in plan
