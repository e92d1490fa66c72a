"""The job queue in tests: run a real worker (procrastinate's, through ``run_worker``'s loop) on
the test database until no job is due, and empty the queue's tables after a test that commits
(they are not Django-managed, so a transactional test's flush leaves them)."""

import asyncio

from django.db import connection
from procrastinate.contrib.django.models import ProcrastinateJob

from pairing_portal.worker import worker_run

QUEUE_TABLES = (
    "procrastinate_events",
    "procrastinate_periodic_defers",
    "procrastinate_jobs",
    "procrastinate_workers",
)


def run_due_jobs() -> None:
    """What a worker does with the jobs due now; returns when none is left (later retries wait)."""
    assert asyncio.run(worker_run(wait=False, listen_notify=False)), "the database was away"


def make_retries_due() -> None:
    """Time passes: jobs waiting to be retried are due now."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE procrastinate_jobs SET scheduled_at = now() WHERE status = 'todo'")


def jobs_of(task_name: str) -> list[ProcrastinateJob]:
    return list(ProcrastinateJob.objects.filter(task_name=task_name).order_by("id"))


def empty_the_queue() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(QUEUE_TABLES)} CASCADE")
