"""A real worker process killed (SIGKILL) in the middle of a district's users.csv: the stalled-job
check takes the job back, the import ends failed saying how many rows landed, and the same file
imported again finishes the job."""

import os
import signal

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection
from procrastinate.contrib.django.models import ProcrastinateJob

from accounts.models import User
from pairing_portal.jobs import jobs_defer
from rostering.models import SisImport, SisImportState
from rostering.sis_import import CHUNK_ROWS, SIS_IMPORT_TASK, sis_import_request
from tests.jobs import make_retries_due, run_due_jobs
from tests.rostering.sis_helpers import USERS, counts, run
from tests.test_shared_limits import test_database_url
from tests.test_worker import start_worker, wait_until

pytestmark = pytest.mark.slow

ROWS = 60_000  # a dozen chunks: seconds of work, so the kill lands in the middle


def district_users() -> bytes:
    lines = [USERS] + [f"D{n},d{n}@district.test,First{n},Last{n},,active" for n in range(ROWS)]
    return ("\n".join(lines) + "\n").encode()


def test_an_import_killed_mid_way_ends_failed_and_the_same_file_finishes_it(
    job_queue, institution, tmp_path
):
    data = district_users()
    record = sis_import_request(
        institution=institution, filename="users.csv", upload=ContentFile(data), by=None
    )
    env = {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": test_database_url(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log = tmp_path / "worker.log"
    worker = start_worker(env, log)

    def rows_landed() -> int:
        progress = SisImport.objects.values_list("progress", flat=True).get(pk=record.pk)
        return progress[0]["done"] if progress else 0

    try:
        wait_until(lambda: rows_landed() >= CHUNK_ROWS, seconds=180, what="a chunk", log=log)
    finally:
        worker.send_signal(signal.SIGKILL)  # out of memory, or pulled from under it
        worker.wait(timeout=30)
    landed = User.objects.filter(sis_user_id__startswith="D").count()
    assert CHUNK_ROWS <= landed < ROWS
    assert landed % CHUNK_ROWS == 0  # whole chunks, each in its own transaction
    assert SisImport.objects.get(pk=record.pk).state == SisImportState.RUNNING

    # A minute later its worker has sent no heartbeat: the stalled-job check takes the job back,
    # and its next try finds the import still running.
    [job] = ProcrastinateJob.objects.filter(task_name=SIS_IMPORT_TASK)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 minute' "
            "WHERE id = %s",
            [job.worker_id],
        )
    # What the schedule does every minute (the killed worker may have queued this tick's already).
    if not ProcrastinateJob.objects.filter(task_name="jobs.retry_stalled", status="todo").exists():
        jobs_defer("jobs.retry_stalled", [{"timestamp": 0}])
    make_retries_due()
    run_due_jobs()

    record.refresh_from_db()
    assert record.state == SisImportState.FAILED
    done = f"{landed:,}"
    assert record.error == (
        f"users.csv: {done} of 60,000 rows applied before the import stopped; run the same file "
        "again to finish."
    )
    assert record.upload.name == ""
    assert [job.status for job in ProcrastinateJob.objects.filter(task_name=SIS_IMPORT_TASK)] == [
        "succeeded"
    ]

    again = run(institution, "users.csv", data)

    assert again.state == SisImportState.DONE
    assert again.counts == {
        "users.csv": counts("users", ROWS, changed=ROWS - landed, unchanged=landed)
    }
    assert User.objects.filter(sis_user_id__startswith="D").count() == ROWS
