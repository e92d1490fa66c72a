"""Queueing background jobs (procrastinate) from the portal's services.

Jobs are queued through Django's own database connection, so a job queued inside
``transaction.atomic()`` exists only if that transaction commits: a rolled-back link owes no
notice. Services name the task they queue (``"pairing.observer_notice_send"``) rather than import
it, since the task modules import the services.
"""

from procrastinate.contrib.django import app


def jobs_defer(task_name: str, arguments: list[dict]) -> list[int]:
    """Queue one job of ``task_name`` per dict of keyword arguments, in one statement; returns
    their ids."""
    if not arguments:
        return []
    return app.configure_task(name=task_name, allow_unknown=False).batch_defer(*arguments)
