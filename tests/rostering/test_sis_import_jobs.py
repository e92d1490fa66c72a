"""SIS imports as background jobs: the upload page returns at once and the import's page follows the
job; the job saves its progress with each chunk, hands an import back when its worker stops, and
an import whose worker died ends failed, saying what landed, and is finished by running the same
file again."""

import re
from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from procrastinate.contrib.django.models import ProcrastinateJob
from pytest_django.asserts import assertContains

from accounts.models import User
from rostering import sis_import
from rostering.models import SisImport, SisImportState
from rostering.sis_import import SIS_IMPORT_TASK, ImportInterrupted, sis_import_run
from tests.rostering.sis_helpers import USERS, counts, csv_bytes, run, run_queued_imports, skips
from tests.rostering.test_sis_import_page import detail_url, imported_users, upload

FIVE = csv_bytes(USERS, *[f"U{n},u{n}@example.test,User,Number{n},,active" for n in range(1, 6)])


class WorkerKilled(BaseException):
    """A worker process that dies mid-import (killed, out of memory): nothing in it runs on."""


def stops_at_chunk(number: int, *, then=ImportInterrupted):
    """A ``should_stop`` that lets ``number - 1`` chunks through, then raises ``then``."""
    asked = []

    def should_stop() -> bool:
        asked.append(1)
        if len(asked) == number:
            if then is ImportInterrupted:
                return True
            raise then
        return False

    return should_stop


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(sis_import, "CHUNK_ROWS", 2)


def queued(institution, data=FIVE, name="users.csv", **options) -> SisImport:
    from django.core.files.base import ContentFile

    return sis_import.sis_import_request(
        institution=institution, filename=name, upload=ContentFile(data), by=None, **options
    )


# --- The pages ---------------------------------------------------------------------------------------


def test_the_upload_page_answers_at_once_and_the_import_page_follows_the_job(
    client, institution, admin
):
    client.force_login(admin)

    response = upload(client, institution)

    record = SisImport.objects.get()
    assert response.url == detail_url(institution, record)
    assert record.state == SisImportState.QUEUED
    assert imported_users() == []  # nothing is imported inside the request
    assert [job.args for job in ProcrastinateJob.objects.filter(task_name=SIS_IMPORT_TASK)] == [
        {"import_id": record.pk}
    ]
    status_url = reverse("sis_import_status", args=[institution.pk, record.pk])
    page = client.get(response.url)
    assertContains(page, "Your import has started.")
    assertContains(page, f'data-status-url="{status_url}"')
    assertContains(page, '<p role="status" id="import-status">Waiting to start…</p>', html=True)
    assert client.get(status_url).json() == {
        "state": "queued",
        "finished": False,
        "percent": 0,
        "label": "Waiting to start…",
        "files": [],
    }

    run_queued_imports()

    assert client.get(status_url).json() == {
        "state": "done",
        "finished": True,
        "percent": 100,
        "label": "Finished.",
        "files": [{"file": "users.csv", "done": 2, "total": 2}],
    }
    page = client.get(response.url)
    assert 'id="import-progress"' not in page.content.decode()
    assertContains(page, "<td>users</td>")


def test_the_status_says_which_file_and_how_far_a_tenth_at_a_time(client, institution, admin):
    record = queued(institution)
    SisImport.objects.filter(pk=record.pk).update(
        state=SisImportState.RUNNING,
        progress=[
            {"file": "users.csv", "kind": "users", "done": 300, "total": 300},
            {"file": "enrollments.csv", "kind": "enrollments", "done": 4999, "total": 10000},
        ],
    )
    client.force_login(admin)
    client.cookies["django_language"] = "es"

    status = client.get(reverse("sis_import_status", args=[institution.pk, record.pk])).json()

    assert status["percent"] == 51
    assert status["label"] == (
        "Importando enrollments.csv (archivo 2 de 2): 40 % de sus filas hecho."
    )


def test_the_upload_is_kept_only_until_the_import_ends(institution):
    record = queued(institution)
    stored = record.upload.name
    assert stored.startswith("sis_imports/")
    assert default_storage.exists(stored)

    sis_import_run(import_id=record.pk)

    record.refresh_from_db()
    assert (record.state, record.upload.name) == (SisImportState.DONE, "")
    assert not default_storage.exists(stored)


def test_an_unreadable_uploads_file_is_deleted_too(institution):
    record = queued(institution, b"name,email\nAnn,ann@example.test\n")
    stored = record.upload.name

    sis_import_run(import_id=record.pk)

    record.refresh_from_db()
    assert record.state == SisImportState.FAILED
    assert not default_storage.exists(stored)


# --- Chunks, stops and deaths -----------------------------------------------------------------------


def test_each_chunk_saves_the_progress_counts_and_messages_of_what_landed(
    institution, small_chunks
):
    data = csv_bytes(
        USERS,
        "U1,u1@example.test,Ann,Lee,,active",
        "U2,u2@example.test,Bo,Kim,,maybe",
        "U3,u3@example.test,Cy,Ng,,active",
    )
    record = queued(institution, data)
    seen = []

    def should_stop() -> bool:
        seen.append(
            SisImport.objects.values_list("progress", "counts", "message_count").get(pk=record.pk)
        )
        return False

    sis_import_run(import_id=record.pk, should_stop=should_stop)

    assert seen == [
        ([{"file": "users.csv", "kind": "users", "done": 0, "total": 3}], {}, 0),
        (
            [{"file": "users.csv", "kind": "users", "done": 2, "total": 3}],
            {"users.csv": counts("users", 2, changed=1, skipped=1)},
            1,
        ),
    ]


def planner_rows(table: str) -> float:
    """How many rows PostgreSQL's planner believes ``table`` holds (its last ANALYZE's count)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        return cursor.fetchone()[0]


def test_a_file_that_changed_a_chunks_worth_of_rows_leaves_its_tables_analyzed(
    institution, small_chunks
):
    sis_import_run(import_id=queued(institution).pk)

    # The planner counts the five new people: the next file is planned on what is there now.
    assert planner_rows(User._meta.db_table) == User.objects.count()


def test_a_stopping_worker_hands_the_import_back_and_the_next_try_carries_on(
    institution, small_chunks
):
    record = queued(institution)

    with pytest.raises(ImportInterrupted):
        sis_import_run(import_id=record.pk, should_stop=stops_at_chunk(2))

    record.refresh_from_db()
    assert (record.state, record.progress[0]["done"]) == (SisImportState.QUEUED, 2)
    assert imported_users() == ["U1", "U2"]

    sis_import_run(import_id=record.pk)

    record.refresh_from_db()
    assert record.state == SisImportState.DONE
    assert record.counts == {"users.csv": counts("users", 5, changed=5)}
    assert sorted(imported_users()) == ["U1", "U2", "U3", "U4", "U5"]


def test_an_import_whose_worker_died_fails_saying_what_landed_and_the_same_file_finishes_it(
    institution, small_chunks
):
    record = queued(institution)
    stored = record.upload.name
    with pytest.raises(WorkerKilled):
        sis_import_run(import_id=record.pk, should_stop=stops_at_chunk(2, then=WorkerKilled))
    assert SisImport.objects.get(pk=record.pk).state == SisImportState.RUNNING

    assert sis_import_run(import_id=record.pk) is None  # its job's next try

    record.refresh_from_db()
    assert record.state == SisImportState.FAILED
    assert record.error == (
        "users.csv: 2 of 5 rows applied before the import stopped; run the same file again to "
        "finish."
    )
    assert record.finished_at is not None
    assert not default_storage.exists(stored)

    again = run(institution, "users.csv", FIVE)

    assert again.state == SisImportState.DONE
    assert again.counts == {"users.csv": counts("users", 5, changed=3, unchanged=2)}
    assert User.objects.filter(sis_user_id__startswith="U").count() == 5


def test_a_dead_try_of_a_zip_names_each_file_it_reached(institution, small_chunks):
    from tests.rostering.sis_helpers import school_zip

    record = queued(institution, school_zip(), "school.zip")
    with pytest.raises(WorkerKilled):
        sis_import_run(import_id=record.pk, should_stop=stops_at_chunk(5, then=WorkerKilled))
    sis_import_run(import_id=record.pk)

    record.refresh_from_db()
    assert record.error == (
        "users.csv: all 5 rows applied; sis/courses.csv: all 2 rows applied before the import "
        "stopped; run the same file again to finish."
    )


def test_a_dry_run_that_died_says_nothing_was_changed(institution, small_chunks):
    record = queued(institution, dry_run=True)
    with pytest.raises(WorkerKilled):
        sis_import_run(import_id=record.pk, should_stop=stops_at_chunk(2, then=WorkerKilled))
    sis_import_run(import_id=record.pk)

    record.refresh_from_db()
    assert record.error == "The dry run stopped unexpectedly; nothing was changed. Run it again."
    assert imported_users() == []


def test_messages_past_the_limit_are_counted_and_the_first_kept_in_row_order(
    institution, small_chunks, monkeypatch
):
    monkeypatch.setattr(SisImport, "MAX_MESSAGES", 3)
    data = csv_bytes(USERS, *[f"U{n},u{n}@example.test,A,B,,maybe" for n in range(1, 8)])

    record = run(institution, "users.csv", data)

    assert [row for _file, row, _message in skips(record)] == [2, 3, 4]
    assert record.message_count == 7


def test_the_job_of_a_finished_import_does_nothing(institution):
    record = run(institution, "users.csv", FIVE)

    assert sis_import_run(import_id=record.pk) is None
    assert SisImport.objects.get(pk=record.pk).counts == record.counts


# --- The command ---------------------------------------------------------------------------------------


def test_the_command_can_queue_the_import_and_return_at_once(institution, tmp_path):
    path = tmp_path / "users.csv"
    path.write_bytes(FIVE)
    out = StringIO()

    call_command("sis_import", str(path), "--no-wait", stdout=out, stderr=StringIO())

    record = SisImport.objects.get()
    assert record.state == SisImportState.QUEUED
    assert out.getvalue() == (
        f"Queued import #{record.pk} of users.csv into Springfield Schools; a background worker "
        "(manage.py run_worker) runs it.\n"
    )
    assert imported_users() == []


def test_the_command_shows_each_files_progress_while_it_waits(job_queue, institution, tmp_path):
    path = tmp_path / "users.csv"
    path.write_bytes(FIVE)
    err = StringIO()

    call_command("sis_import", str(path), stdout=StringIO(), stderr=err)

    assert re.search(r"^users\.csv: 5/5 rows$", err.getvalue(), re.M), err.getvalue()
    assert sorted(imported_users()) == ["U1", "U2", "U3", "U4", "U5"]
