"""The importer's second connection (PostgreSQL): when the import's transaction is the outermost
one (the command, a job), its look-ups of the registry that take no lock are asked there instead
of on the import's own connection (importer._Importer.side_reads). These are the tests of
test_importer.py that depend on what is already in the registry, run with real commits so that
the second connection sees the same registry, plus a check that that road is really taken."""

import pytest
from django.db import connection

from fupin.registry import importer
from fupin.registry.models import Household
from tests.cast import VILLAGE_A
from tests.registry import test_importer as t
from tests.registry.exchange_files import families

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the second connection is PostgreSQL's"),
]

# the same tests, now with the registry committed and the import's transaction outermost
test_person_active_in_another_household_is_refused_naming_it = t.test_person_active_in_another_household_is_refused_naming_it
test_update_by_household_number_with_member_missing_warning = t.test_update_by_household_number_with_member_missing_warning
test_new_income_year_for_existing_household_is_added = t.test_new_income_year_for_existing_household_is_added
test_member_of_the_same_household_is_not_a_registry_duplicate = t.test_member_of_the_same_household_is_not_a_registry_duplicate
test_new_head_next_to_a_stored_head_left_out_of_the_file_is_a_second_head = (
    t.test_new_head_next_to_a_stored_head_left_out_of_the_file_is_a_second_head)
test_members_may_name_a_household_already_in_the_system = t.test_members_may_name_a_household_already_in_the_system
test_household_of_another_village_cannot_be_reached_by_member_rows = (
    t.test_household_of_another_village_cannot_be_reached_by_member_rows)
test_household_number_taken_outside_the_actors_areas_is_refused = (
    t.test_household_number_taken_outside_the_actors_areas_is_refused)
test_importing_the_same_file_twice_changes_nothing_the_second_time = (
    t.test_importing_the_same_file_twice_changes_nothing_the_second_time)
test_all_or_nothing_one_bad_row_changes_nothing = t.test_all_or_nothing_one_bad_row_changes_nothing


def _spy(monkeypatch):
    calls = []
    real = importer._Scratch.active_holders

    def spy(self, ids):
        calls.append(len(ids))
        return real(self, ids)

    monkeypatch.setattr(importer._Scratch, "active_holders", spy)
    return calls


def test_outermost_import_asks_the_registry_on_the_second_connection(cast, tmp_path, monkeypatch):
    calls = _spy(monkeypatch)
    hh, mm = families(2, VILLAGE_A)
    r = t.run(cast["clerk_a"], tmp_path, hh, mm)
    assert r.ok, r.errors
    assert calls and sum(calls) == 6
    assert Household.objects.filter(number__in=["H00001", "H00002"]).count() == 2


def test_import_inside_an_enclosing_transaction_asks_on_its_own_connection(cast, tmp_path, monkeypatch):
    from django.db import transaction

    calls = _spy(monkeypatch)
    hh, mm = families(1, VILLAGE_A)
    with transaction.atomic():
        r = t.run(cast["clerk_a"], tmp_path, hh, mm)
    assert r.ok, r.errors
    assert calls == []
