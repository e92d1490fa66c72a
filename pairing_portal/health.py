"""/healthz, /readyz and /healthz/queue, for a load balancer, systemd or a monitor; JSON, never
behind log-in.

``/healthz``: the process is alive and answers (nothing else is touched, the database included):
restart it when this fails. ``/readyz``: it can serve people now, each of READINESS_CHECKS
passing: send it traffic only then. ``/healthz/queue``: the background worker keeps up (QUEUE_
CHECKS), for monitoring to alert on; not part of /readyz, since a worker falling behind would
otherwise take every web server out of the load balancer at once, while they could still serve.
A failing check is named with the class of its error, never its message (which may hold a host
name, a user or a password).

They are answered by the first middleware, before the host check, the HTTPS redirect, sessions
and languages, so that a probe on the machine itself (http://127.0.0.1:8000/readyz) needs no
host name, no TLS and no cookie, and is not logged as a request.
"""

import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse


def database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def shared_cache() -> None:
    key, value = "readyz", uuid.uuid4().hex
    cache.set(key, value, timeout=10)
    if cache.get(key) != value:
        raise LookupError("the cache did not keep a value")


_migrations_applied = False


def migrations() -> None:
    """Every migration of this code is applied (`manage.py migrate` ran after the upgrade)."""
    global _migrations_applied
    if _migrations_applied:  # once applied, they stay so: no need to read the graph again
        return
    executor = MigrationExecutor(connection)
    waiting = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if waiting:
        raise LookupError(f"{len(waiting)} migrations are not applied")
    _migrations_applied = True


def task_queue() -> None:
    """The oldest job due to run has waited less than HEALTH_QUEUE_MAX_WAIT seconds: otherwise no
    worker runs, or the workers cannot keep up (notices, exports and imports wait)."""
    with connection.cursor() as cursor:
        # A job is due from its scheduled time, or else from when it was queued (its "deferred"
        # event); one index scan of the waiting jobs.
        cursor.execute(
            """
            SELECT EXTRACT(EPOCH FROM now() - MIN(COALESCE(job.scheduled_at, queued.at)))
            FROM procrastinate_jobs AS job
            JOIN procrastinate_events AS queued
              ON queued.job_id = job.id AND queued.type = 'deferred'
            WHERE job.status = 'todo' AND (job.scheduled_at IS NULL OR job.scheduled_at <= now())
            """
        )
        (waited,) = cursor.fetchone()
    if waited is not None and waited > settings.HEALTH_QUEUE_MAX_WAIT:
        raise TimeoutError(f"a job has waited {int(waited)} s for a worker")


Checks = list[tuple[str, Callable[[], None]]]

# (name, check): a check raises when the portal cannot serve.
READINESS_CHECKS: Checks = [
    ("database", database),
    ("cache", shared_cache),
    ("migrations", migrations),
]
# Background work: alerted on by monitoring, never a reason to stop sending people to the portal.
QUEUE_CHECKS: Checks = [("task_queue", task_queue)]


def run_checks(checks: Checks) -> tuple[bool, dict[str, dict]]:
    results, ready = {}, True
    for name, check in checks:
        started = time.monotonic()
        try:
            check()
        # A probe turns any failure into "not ready": an exception escaping it would be a 500,
        # which says less. Only the class is shown; messages may hold connection details.
        except Exception as error:  # noqa: BLE001
            ready = False
            results[name] = {"status": "fail", "error": type(error).__name__}
        else:
            results[name] = {"status": "ok"}
        results[name]["ms"] = round((time.monotonic() - started) * 1000, 1)
    return ready, results


def _answer(body: dict, status: int) -> JsonResponse:
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    return response


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            return _answer({"status": "ok"}, 200)
        checks = PROBES.get(request.path)
        if checks is not None:
            passed, results = run_checks(checks)
            return _answer(
                {"status": "ok" if passed else "fail", "checks": results}, 200 if passed else 503
            )
        return self.get_response(request)


PROBES: dict[str, Checks] = {"/readyz": READINESS_CHECKS, "/healthz/queue": QUEUE_CHECKS}
