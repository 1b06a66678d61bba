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


def test_a_jobs_progress_is_seen_by_a_watcher_during_the_import(cast, tmp_path, monkeypatch):
    """The progress bar of a web import reads the Job row from another connection: it must move
    while the import's transaction is still open, not jump from 0 to 100 at the end."""
    import psycopg

    from fupin.jobs.models import Job
    from fupin.jobs.services import job_create
    from fupin.jobs.tasks import run_import
    from tests.registry.exchange_files import write_xlsx

    monkeypatch.setattr(importer, "BATCH", 2)  # several batches, so several progress steps
    monkeypatch.setattr(importer, "JOB_PROGRESS_EVERY", 0)  # each of them written, however fast
    hh, mm = families(4, VILLAGE_A)
    path = write_xlsx(tmp_path / "job.xlsx", hh, mm)
    job = job_create(actor=cast["clerk_a"], kind="registry_import", params={"xlsx": str(path), "dry_run": False})
    params = connection.get_connection_params()
    seen = []
    real = importer._Importer.progress

    def watch(self, stage, step=0, last=False):
        real(self, stage, step, last)
        with psycopg.connect(**{k: v for k, v in params.items() if k != "cursor_factory"}) as watcher:
            seen.append(watcher.execute(f"SELECT done FROM {Job._meta.db_table} WHERE id = %s", [job.pk]).fetchone()[0])

    monkeypatch.setattr(importer._Importer, "progress", watch)
    run_import.apply(args=(job.pk,))
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert Household.objects.filter(number__startswith="H0000").count() == 4
    during = [d for d in seen if 0 < d < job.total]
    assert len(set(during)) >= 3, seen  # the watcher saw it move, step by step


def test_a_failed_scratch_write_fails_the_import_and_leaves_the_registry_unchanged(cast, tmp_path, monkeypatch):
    # The scratch rows go to the second connection from a thread (_Scratch.insert); its failure must
    # reach the import (at the next read of the scratch tables) and undo everything, not be lost.
    real = importer.tuple_copy_payload

    def broken(rows):
        data = real(rows)
        return data + b"not\ta\trow\n" if len(rows[0]) == 7 else data  # the members' scratch rows

    monkeypatch.setattr(importer, "tuple_copy_payload", broken)
    before = t.counts()
    hh, mm = families(3, VILLAGE_A)
    with pytest.raises(Exception, match="(?i)copy|invalid|syntax"):
        t.run(cast["clerk_a"], tmp_path, hh, mm)
    assert t.counts() == before
    monkeypatch.setattr(importer, "tuple_copy_payload", real)
    r = t.run(cast["clerk_a"], tmp_path, hh, mm)  # and the next import works
    assert r.ok, r.errors
    assert t.counts()[0] == before[0] + 3
