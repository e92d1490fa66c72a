"""District-wide exports of fresh codes, made in the background with their progress shown."""

import csv
import io
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, SelfRegistration
from pairing.code_format import code_hash
from pairing.errors import PairingError
from pairing.models import CodeExport, CodeExportFormat, CodeExportState, PairingCode
from pairing.services import exports, pairing_code_redeem
from pairing.services.exports import (
    EXPORT_TASK,
    ExportInterrupted,
    code_export_file,
    code_export_request,
    code_export_run,
    code_exports_purge,
)
from pairing_portal.jobs import jobs_defer
from tests.factories import CourseFactory, EnrollmentFactory
from tests.jobs import jobs_of, run_due_jobs
from tests.test_shared_limits import test_database_url

BASE = "http://portal.example/"


@pytest.fixture
def district(course, student):
    """Two courses; one student in both, so that they must get one code, not two."""
    art = CourseFactory(institution=course.institution, name="Art")
    EnrollmentFactory(course=art, user=student)
    others = [EnrollmentFactory(course=art).user for _ in range(3)]
    return art, [student, *others]


def request_export(
    admin, *, courses=(), format=CodeExportFormat.CSV, language="en", institution=None
):
    return code_export_request(
        institution=institution or admin.institution,
        by=admin,
        courses=list(courses),
        format=format,
        paper="a4",
        language=language,
        base_url=BASE,
    )


def made(export) -> CodeExport:
    """What the export's job does."""
    return code_export_run(export_id=export.pk)


class WorkerKilled(BaseException):
    """A worker process that dies mid-export (killed, out of memory): nothing in it runs on."""


def worker_dies() -> bool:
    raise WorkerKilled


def csv_rows(export) -> list[list[str]]:
    _name, _type, content = code_export_file(export=export, by=export.requested_by)
    return list(csv.reader(io.StringIO(content.decode())))


def test_every_student_of_the_school_gets_one_working_code(admin, district, observer):
    _art, students = district
    export = made(request_export(admin))

    assert export.state == CodeExportState.DONE
    assert export.done == export.total == len(students)
    header, *rows = csv_rows(export)
    assert header[:5] == ["Last Name", "First Name", "SIS ID", "Pairing Code", "Expires At"]
    assert len(rows) == len(students)
    code = rows[0][3][2:-1]
    assert rows[0][5] == f"{BASE}profile/observees#code={code}"
    assert pairing_code_redeem(code=code, observer=observer).link.student in students


def test_chosen_courses_only(admin, course, district):
    art, _students = district
    export = made(request_export(admin, courses=[course]))
    assert export.total == 1  # Biology 101 has Sam only


def test_progress_is_saved_chunk_by_chunk(admin, district, monkeypatch):
    monkeypatch.setattr(exports, "CHUNK", 2)
    export = request_export(admin)
    with CaptureQueriesContext(connection) as captured:
        made(export)
    progress = [
        int(match.group(1))
        for query in captured.captured_queries
        if (match := re.search(r'UPDATE "pairing_codeexport" SET "done" = (\d+)', query["sql"]))
    ]
    assert progress == [2, 4]  # what the page shows while the rest is still being made


def test_the_file_is_kept_encrypted_and_for_a_day_only(admin, district):
    export = made(request_export(admin))
    codes = [row[3][2:-1] for row in csv_rows(export)[1:]]
    stored = bytes(CodeExport.objects.get(pk=export.pk).result)
    assert not any(code.encode() in stored for code in codes)
    assert all(PairingCode.objects.filter(code_hash=code_hash(code)).exists() for code in codes)

    CodeExport.objects.filter(pk=export.pk).update(
        result_expires_at=timezone.now() - timedelta(seconds=1)
    )
    export.refresh_from_db()
    with pytest.raises(PairingError) as refused:
        code_export_file(export=export, by=export.requested_by)
    assert refused.value.message == PairingError.EXPORT_EXPIRED
    assert code_exports_purge() == 1
    assert CodeExport.objects.get(pk=export.pk).result is None


def test_letters_come_in_the_language_of_the_requester(admin, district):
    export = made(request_export(admin, format=CodeExportFormat.LETTERS, language="es"))
    name, content_type, content = code_export_file(export=export, by=export.requested_by)
    html = content.decode()
    assert name.endswith(".html")
    assert content_type.startswith("text/html")
    assert html.count('<article class="letter"') == export.total == 4
    assert "Código de vinculación del estudiante" in html
    assert "size: A4" in html  # the paper's @page rule travels inside the file


def test_only_code_makers_of_the_school_may_ask(admin, teacher, student, other_admin):
    for person in (teacher, student, other_admin):
        with pytest.raises(PairingError):
            request_export(person, institution=admin.institution)
    admin.institution.self_registration = SelfRegistration.NONE
    admin.institution.save()
    with pytest.raises(PairingError) as refused:
        request_export(admin)
    assert refused.value.message == PairingError.SELF_REGISTRATION_OFF
    assert not CodeExport.objects.exists()


def test_another_schools_course_is_refused(admin, other_admin):
    elsewhere = CourseFactory(institution=other_admin.institution)
    with pytest.raises(PairingError):
        request_export(admin, courses=[elsewhere])


def test_asking_queues_the_export_with_its_job(admin, district):
    export = request_export(admin)
    [job] = jobs_of(EXPORT_TASK)
    assert (job.args, job.status) == ({"export_id": export.pk}, "todo")


def test_a_finished_export_is_not_made_again_when_its_job_runs_again(admin, district):
    export = made(request_export(admin))
    assert code_export_run(export_id=export.pk) is None
    assert PairingCode.objects.count() == 4


def test_a_worker_thought_dead_stops_when_another_has_taken_its_export_over(admin, district):
    export = request_export(admin)
    taken_over = []

    def meanwhile_another_worker_makes_it() -> bool:
        # The slow worker's job was retried elsewhere while it still ran (it was thought dead).
        if not taken_over:
            taken_over.append(code_export_run(export_id=export.pk))
        return False

    code_export_run(export_id=export.pk, should_stop=meanwhile_another_worker_makes_it)
    export.refresh_from_db()
    assert taken_over[0].state == export.state == CodeExportState.DONE
    assert export.done == 4
    assert PairingCode.objects.count() == 4  # one code per student, from one worker
    assert len(csv_rows(export)) == 5


def test_a_stopping_worker_hands_the_export_back_and_the_next_makes_it_whole(admin, district):
    export = request_export(admin)
    with pytest.raises(ExportInterrupted):
        code_export_run(export_id=export.pk, should_stop=lambda: True)
    export.refresh_from_db()
    assert (export.state, export.done, export.attempts) == (CodeExportState.QUEUED, 0, 0)

    made(export)
    export.refresh_from_db()
    assert (export.state, export.done) == (CodeExportState.DONE, 4)
    codes = [row[3][2:-1] for row in csv_rows(export)[1:]]
    assert len(codes) == 4
    assert PairingCode.objects.filter(state="active").count() == 4  # the file's, and no others
    assert all(PairingCode.objects.filter(code_hash=code_hash(c), state="active") for c in codes)


def test_an_export_stopped_on_its_jobs_last_try_fails_rather_than_waiting_for_ever(admin, district):
    export = request_export(admin)
    with pytest.raises(ExportInterrupted):
        code_export_run(export_id=export.pk, should_stop=lambda: True, last_try=True)
    export.refresh_from_db()
    assert export.state == CodeExportState.FAILED
    assert export.error == "The export stopped unexpectedly. Please try again."


def test_an_export_that_keeps_killing_its_worker_fails_after_three_tries(admin, district):
    export = request_export(admin)
    for _ in range(exports.MAX_ATTEMPTS):
        with pytest.raises(WorkerKilled):
            code_export_run(export_id=export.pk, should_stop=worker_dies)
        assert CodeExport.objects.get(pk=export.pk).state == CodeExportState.RUNNING
    assert code_export_run(export_id=export.pk) is None
    export.refresh_from_db()
    assert export.state == CodeExportState.FAILED
    assert not PairingCode.objects.exists()


def test_an_export_whose_worker_died_is_taken_up_by_another_and_made_whole(
    job_queue, admin, district
):
    export = request_export(admin)
    with pytest.raises(WorkerKilled):  # the first worker died mid-export...
        code_export_run(export_id=export.pk, should_stop=worker_dies)
    with connection.cursor() as cursor:  # ...holding the job, its heartbeat a minute old
        cursor.execute(
            "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now() - interval '1 minute')"
            " RETURNING id"
        )
        [dead] = cursor.fetchone()
        cursor.execute(
            "UPDATE procrastinate_jobs SET status = 'doing', worker_id = %s WHERE task_name = %s",
            [dead, EXPORT_TASK],
        )
    jobs_defer("jobs.retry_stalled", [{"timestamp": 0}])  # what the schedule does every minute

    run_due_jobs()
    export.refresh_from_db()
    assert (export.state, export.done, export.attempts) == (CodeExportState.DONE, 4, 2)
    assert [job.status for job in jobs_of(EXPORT_TASK)] == ["succeeded"]
    assert len(csv_rows(export)) == 5


def test_a_file_made_under_another_secret_key_is_reported_gone(admin, district, settings):
    export = made(request_export(admin))
    settings.SECRET_KEY = "another-" + "k" * 60
    with pytest.raises(PairingError) as refused:
        code_export_file(export=export, by=export.requested_by)
    assert refused.value.message == PairingError.EXPORT_EXPIRED


def test_a_requester_who_lost_the_right_gets_a_failed_export_and_no_codes(admin, district):
    export = request_export(admin)
    admin.is_account_admin = False
    admin.save()
    made(export)
    export.refresh_from_db()
    assert export.state == CodeExportState.FAILED
    assert export.error
    assert not PairingCode.objects.exists()


# --- The pages ------------------------------------------------------------------------------------


def test_an_admin_starts_an_export_watches_it_and_downloads_the_file(client, admin, district):
    client.force_login(admin)
    url = reverse("code_exports", args=[admin.institution_id])
    assert client.get(url).status_code == 200

    response = client.post(url, {"format": "csv", "paper": "a4"})
    export = CodeExport.objects.get()
    assert response["Location"] == reverse("code_export", args=[admin.institution_id, export.pk])
    status = reverse("code_export_status", args=[admin.institution_id, export.pk])
    assert client.get(status).json()["state"] == "queued"

    made(export)
    assert client.get(status).json() == {
        "state": "done",
        "done": 4,
        "total": 4,
        "percent": 100,
        "finished": True,
        "label": "Finished.",
    }
    page = client.get(response["Location"]).content.decode()
    assert "Download the file" in page
    download = client.get(reverse("code_export_download", args=[admin.institution_id, export.pk]))
    assert download["Content-Type"].startswith("text/csv")
    assert "attachment" in download["Content-Disposition"]
    assert "no-store" in download["Cache-Control"]
    assert len(list(csv.reader(io.StringIO(download.content.decode())))) == 5
    # Asking for the codes and taking them away in clear are both on the audit trail.
    assert list(
        AuditEvent.objects.filter(action__startswith="code_export.")
        .order_by("at", "id")
        .values_list("action", "actor")
    ) == [("code_export.requested", admin.pk), ("code_export.downloaded", admin.pk)]


def test_teachers_get_403_and_other_schools_404(client, admin, teacher, other_admin, district):
    export = request_export(admin)
    urls = [
        reverse("code_exports", args=[admin.institution_id]),
        reverse("code_export", args=[admin.institution_id, export.pk]),
        reverse("code_export_status", args=[admin.institution_id, export.pk]),
        reverse("code_export_download", args=[admin.institution_id, export.pk]),
    ]
    for person, status in ((teacher, 403), (other_admin, 404)):
        client.force_login(person)
        for url in urls:
            assert client.get(url).status_code == status, (person, url)


def test_the_export_list_keeps_a_flat_query_count(
    client, admin, district, django_assert_max_num_queries
):
    client.force_login(admin)
    url = reverse("code_exports", args=[admin.institution_id])
    for _ in range(2):
        request_export(admin, courses=[district[0]])
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for _ in range(15):
        request_export(admin, courses=[district[0]])
    with django_assert_max_num_queries(len(few)):
        client.get(url)


def test_the_worker_process_makes_a_waiting_export(job_queue, admin, district):
    export = request_export(admin)
    environment = {**os.environ, "DEBUG": "true", "DATABASE_URL": test_database_url()}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    root = Path(__file__).resolve().parents[2]
    finished = subprocess.run(
        [sys.executable, "manage.py", "run_worker", "--once"],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    export.refresh_from_db()
    assert export.state == CodeExportState.DONE
    assert export.done == 4
    assert [job.status for job in jobs_of(EXPORT_TASK)] == ["succeeded"]
