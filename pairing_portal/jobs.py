"""Queueing background jobs (procrastinate) from the portal's services.

Jobs are queued through Django's own database connection, so a job queued inside
``transaction.atomic()`` exists only if that transaction commits: a rolled-back link owes no
notice. Services name the task they queue (``"pairing.observer_notice_send"``) rather than import
it, since the task modules import the services.
"""

import json

from procrastinate.contrib.django import app


def jobs_defer(task_name: str, arguments: list[dict]) -> list[int]:
    """Queue one job of ``task_name`` per dict of keyword arguments, in one statement; returns
    their ids."""
    if not arguments:
        return []
    return app.configure_task(name=task_name, allow_unknown=False).batch_defer(*arguments)


def jobs_defer_sql(task_name: str, arguments: str, rows: str) -> tuple[str, dict]:
    """An expression that queues one job of ``task_name`` per row of ``rows`` (a relation of the
    caller's statement), its keyword arguments the jsonb expression ``arguments``: for a service
    whose one statement writes rows and queues their jobs with them. The same SQL function, and
    the task's own queue, priority and locks, as ``jobs_defer``; the job ids, as an array, are
    its value. Named parameters ``job_*`` (returned, for the caller's own)."""
    job = app.configure_task(name=task_name, allow_unknown=False).job
    sql = f"""procrastinate_defer_jobs_v1(ARRAY(
        SELECT ROW(%(job_queue)s, %(job_task)s, %(job_priority)s::integer, %(job_lock)s::text,
            %(job_queueing_lock)s::text, %(job_defaults)s::jsonb || {arguments},
            %(job_scheduled_at)s::timestamptz)::procrastinate_job_to_defer_v1
        FROM {rows}
    ))"""  # noqa: S608 - the caller's own SQL; every value is a parameter
    return sql, {
        "job_queue": job.queue,
        "job_task": job.task_name,
        "job_priority": job.priority,
        "job_lock": job.lock,
        "job_queueing_lock": job.queueing_lock,
        "job_defaults": json.dumps(job.task_kwargs),
        "job_scheduled_at": job.scheduled_at,
    }
