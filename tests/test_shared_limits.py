"""Two app servers, one limit: failures counted through one server pause the account on the other.

Two real `manage.py runserver` processes share the test database (and, in the second test, Redis),
as two app servers behind a load balancer would.
"""

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from django.db import connection
from django.utils import timezone

from accounts.models import ThrottleBucket
from accounts.roles import Role
from accounts.services import api_token_create
from pairing.services import pairing_code_create
from tests.factories import CourseFactory, EnrollmentFactory, InstitutionFactory, UserFactory
from tests.proof_of_work import solved

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_database_url() -> str:
    """A DATABASE_URL for the database this test run uses (the test database, not the real one)."""
    params = connection.get_connection_params()
    host = params.get("host") or "127.0.0.1"
    user = params.get("user") or "postgres"
    password = f":{params['password']}" if params.get("password") else ""
    if host.startswith("/"):
        return f"postgres://{user}{password}@/{params['dbname']}?host={host}"
    return f"postgres://{user}{password}@{host}:{params.get('port') or 5432}/{params['dbname']}"


test_database_url.__test__ = False  # a helper, not a test


@contextmanager
def two_servers(**env: str):
    environment = {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": test_database_url(),
        "CONN_MAX_AGE": "0",
        **env,
    }
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    ports = [free_port(), free_port()]
    servers = [
        subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "runserver",
                f"127.0.0.1:{port}",
                "--noreload",
                "--skip-checks",
            ],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    try:
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        deadline = time.monotonic() + 60
        for url in urls:
            while True:
                try:
                    requests.get(f"{url}/login", timeout=2)
                    break
                except requests.ConnectionError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.3)
        yield urls
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=20)


def pause_shared_by_two_servers(**env: str) -> None:
    institution = InstitutionFactory()
    course = CourseFactory(institution=institution)
    student = EnrollmentFactory(course=course, type=Role.STUDENT).user
    observer = UserFactory(institution=institution)
    token = api_token_create(user=observer, purpose="two servers").token
    good_code = pairing_code_create(student=student, by=student).code
    headers = {"Authorization": f"Bearer {token}"}
    path = f"/api/v1/users/{observer.pk}/observees"

    with two_servers(**env) as (first, second):
        for server in (first, first, first, second, second):
            response = requests.post(
                server + path, data={"pairing_code": "zzzzzz"}, headers=headers, timeout=10
            )
            assert response.status_code == 422
        # Five failures in all, but at most three through either server: only a shared count pauses.
        for server in (first, second):
            response = requests.post(
                server + path, data={"pairing_code": good_code}, headers=headers, timeout=10
            )
            assert response.status_code == 429, response.text
            assert "paused" in response.json()["errors"][0]["message"]


def test_two_servers_share_one_limit_through_the_database():
    pause_shared_by_two_servers(THROTTLE_STORE="database", CACHE_URL="locmemcache://")


def redis_is_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not redis_is_up(), reason="no Redis server at 127.0.0.1:6379")
def test_two_servers_share_one_limit_through_redis():
    from django.core.cache.backends.redis import RedisCache

    url = "redis://127.0.0.1:6379/5"
    RedisCache(url, {}).clear()
    try:
        pause_shared_by_two_servers(THROTTLE_STORE="cache", CACHE_URL=url)
    finally:
        RedisCache(url, {}).clear()  # leave no counters behind


def test_counters_each_server_keeps_to_itself_would_not_pause():
    # The control: with per-process memory as the store, neither server sees five failures.
    with pytest.raises(AssertionError, match="429"):
        pause_shared_by_two_servers(THROTTLE_STORE="cache", CACHE_URL="locmemcache://")


def test_two_servers_accept_a_proof_of_work_once_between_them(settings):
    # An institution past its limit (its counter written as a day of wrong codes would leave it):
    # a solution spent through one server is refused by the other.
    institution = InstitutionFactory()
    course = CourseFactory(institution=institution)
    first_kid, second_kid = (
        EnrollmentFactory(course=course, type=Role.STUDENT).user for _ in range(2)
    )
    observer = UserFactory(institution=institution)
    token = api_token_create(user=observer, purpose="two servers").token
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    ThrottleBucket.objects.create(
        key=f"redeem:institution:{institution.pk}:day",
        bucket_start=hour,
        count=settings.PAIRING_FAILURES_PER_INSTITUTION_PER_DAY[0],
    )
    headers = {"Authorization": f"Bearer {token}"}
    path = f"/api/v1/users/{observer.pk}/observees"

    with two_servers(THROTTLE_STORE="database", CACHE_URL="locmemcache://") as (first, second):
        code = pairing_code_create(student=first_kid, by=first_kid).code
        asked = requests.post(
            first + path, data={"pairing_code": code}, headers=headers, timeout=10
        )
        assert asked.status_code == 429, asked.text
        proof = solved(asked.json()["altcha_challenge"])
        answer = requests.post(
            first + path, data={"pairing_code": code, "altcha": proof}, headers=headers, timeout=10
        )
        assert answer.status_code == 200, answer.text

        code = pairing_code_create(student=second_kid, by=second_kid).code
        replay = requests.post(
            second + path, data={"pairing_code": code, "altcha": proof}, headers=headers, timeout=10
        )
        assert replay.status_code == 429, replay.text
        assert "altcha_challenge" in replay.json()
