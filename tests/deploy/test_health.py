"""/healthz says the process answers; /readyz that it can serve (database, cache, migrations);
/healthz/queue that the background worker keeps up, for monitoring to alert on (a slow queue must
not take the web servers out of the load balancer). JSON, no log-in, no secret, answered whatever
the Host header or scheme."""

import time

import pytest
import requests
from django.db.migrations.recorder import MigrationRecorder

from pairing_portal import health
from tests.deploy.conftest import SECRET_KEY, gunicorn

# --- In the test process -----------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_readyz_lists_each_check_and_passes(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "migrations"}
    assert all(check["status"] == "ok" for check in body["checks"].values())


@pytest.mark.django_db
def test_readyz_fails_while_a_migration_is_not_applied(client, monkeypatch):
    monkeypatch.setattr(health, "_migrations_applied", False)
    MigrationRecorder.Migration.objects.filter(app="accounts").order_by("-name").first().delete()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == {
        "status": "fail",
        "error": "LookupError",
        "ms": response.json()["checks"]["migrations"]["ms"],
    }
    assert response.json()["checks"]["database"]["status"] == "ok"


def _job_waiting_since(seconds_ago: int) -> None:
    from django.db import connection

    from pairing_portal.jobs import jobs_defer

    (job_id,) = jobs_defer("accounts.housekeeping", [{"timestamp": 0}])
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE procrastinate_events SET at = now() - make_interval(secs => %s) "
            "WHERE job_id = %s AND type = 'deferred'",
            [seconds_ago, job_id],
        )


@pytest.mark.django_db
def test_the_queue_check_passes_while_jobs_wait_less_than_the_limit(client, settings):
    settings.HEALTH_QUEUE_MAX_WAIT = 600
    _job_waiting_since(60)
    response = client.get("/healthz/queue")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response.json()["status"] == "ok"
    assert response.json()["checks"]["task_queue"]["status"] == "ok"


@pytest.mark.django_db
def test_the_queue_check_fails_when_a_job_has_waited_too_long_and_readyz_does_not(client, settings):
    settings.HEALTH_QUEUE_MAX_WAIT = 600
    _job_waiting_since(3600)
    queue = client.get("/healthz/queue")
    assert queue.status_code == 503
    assert queue.json()["checks"]["task_queue"]["status"] == "fail"
    assert queue.json()["checks"]["task_queue"]["error"] == "TimeoutError"
    # The web servers still serve: the load balancer keeps sending them people.
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert "task_queue" not in ready.json()["checks"]


@pytest.mark.django_db
def test_the_queue_check_passes_with_an_empty_queue(client):
    assert client.get("/healthz/queue").status_code == 200


# --- A production server -----------------------------------------------------------------------


@pytest.mark.slow
def test_probes_answer_on_the_machine_itself_without_https_host_or_log_in(env, tmp_path):
    production = {**env, "SECURE_SSL_REDIRECT": "true", "ALLOWED_HOSTS": "portal.example.org"}
    with gunicorn(production, tmp_path, GUNICORN_WORKERS="1") as portal:
        assert requests.get(f"{portal.url}/login", timeout=10).status_code == 400  # wrong host
        for path in ("/healthz", "/readyz", "/healthz/queue"):
            response = requests.get(portal.url + path, timeout=10, allow_redirects=False)
            assert response.status_code == 200, response.text
            assert response.headers["Content-Type"] == "application/json"
            assert response.json()["status"] == "ok"
            for secret in (SECRET_KEY, env["DATABASE_URL"], "postgres"):
                assert secret not in response.text


@pytest.mark.slow
def test_readyz_fails_while_postgresql_is_stopped_and_recovers_after(env, postgres, tmp_path):
    with gunicorn(env, tmp_path, GUNICORN_WORKERS="1") as portal:
        assert requests.get(f"{portal.url}/readyz", timeout=10).status_code == 200
        postgres.stop()
        try:
            ready = requests.get(f"{portal.url}/readyz", timeout=30)
            alive = requests.get(f"{portal.url}/healthz", timeout=10)
        finally:
            postgres.start()
        assert ready.status_code == 503
        checks = ready.json()["checks"]
        assert checks["database"]["status"] == "fail"
        assert checks["database"]["error"] == "OperationalError"
        assert checks["cache"]["status"] == "ok"
        assert postgres.socket_dir not in ready.text  # the error's message stays in the server
        assert alive.status_code == 200  # alive, only not ready: no restart needed

        deadline = time.monotonic() + 30
        while requests.get(f"{portal.url}/readyz", timeout=30).status_code != 200:
            assert time.monotonic() < deadline, "/readyz never recovered"
            time.sleep(0.5)
