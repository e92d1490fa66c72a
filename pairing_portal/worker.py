"""The background worker (``manage.py run_worker``): procrastinate's, kept alive through outages.

procrastinate's worker stops when it loses the database (its heartbeat, its listener or its next
fetch fails). Here it is started again, with a growing pause, until the database answers: the
process itself never exits for that, so a deploy's process manager has nothing to restart. A job
that was running when the database went away is left "doing" by its dead worker and goes back to
the queue a little later (``pairing_portal.tasks.retry_stalled_jobs``).

SIGTERM or SIGINT stops it gracefully: no new job is taken, the running one may finish for the
``shutdown_graceful_timeout`` and is then asked to stop (an export stops between two chunks and is
queued again); the process waits for it either way, so nothing is left half-done.
"""

import asyncio
import contextlib
import logging
import signal
from typing import Any

import psycopg
from procrastinate import PsycopgConnector, exceptions
from procrastinate.contrib.django import app
from procrastinate.contrib.django.utils import connector_params
from procrastinate.worker import Worker

logger = logging.getLogger(__name__)

FIRST_PAUSE, LONGEST_PAUSE = 1.0, 30.0  # seconds between starts while the database is away
# Seconds a query waits for a pool connection: a lost database is noticed this soon, rather than
# after the pool's default 30 s (for each of the heartbeat, the next fetch and the goodbye).
POOL_WAIT = 5.0
DATABASE_AWAY = (exceptions.ConnectorException, psycopg.Error, OSError)


async def worker_run(**options: Any) -> bool:
    """Run jobs until a signal says stop, then return True. With ``wait=False``, run the jobs
    due now and return whether the database could be reached (no waiting for it then)."""
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    running: list[Worker] = []

    def stop() -> None:
        if not stopping.is_set():
            logger.warning("Stopping (a running job may finish first)")
        stopping.set()
        for worker in running:
            worker.stop()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop)
    app.perform_import_paths()
    # The worker's own pool (Django's connection is for deferring jobs from requests).
    connector = PsycopgConnector(kwargs=connector_params(), timeout=POOL_WAIT)
    pause = FIRST_PAUSE
    try:
        with app.replace_connector(connector):
            while not stopping.is_set():
                outcome = asyncio.create_task(_one_run(options, running))
                stop_asked = asyncio.create_task(stopping.wait())
                await asyncio.wait({outcome, stop_asked}, return_when=asyncio.FIRST_COMPLETED)
                stop_asked.cancel()
                if not outcome.done() and not running:
                    outcome.cancel()  # still waiting for the database: nothing to finish
                healthy = await _finished(outcome)
                if options.get("wait") is False:
                    return healthy
                if stopping.is_set():
                    return True
                if healthy:
                    pause = FIRST_PAUSE
                    logger.warning("The worker stopped by itself; starting it again")
                with contextlib.suppress(TimeoutError):  # a pause, cut short by a signal
                    await asyncio.wait_for(stopping.wait(), timeout=pause)
                pause = min(pause * 2, LONGEST_PAUSE)
            return True
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


async def _one_run(options: dict[str, Any], running: list[Worker]) -> None:
    async with app.open_async():
        worker = Worker(
            app=app, **{**app.worker_defaults, **options, "install_signal_handlers": False}
        )
        running.append(worker)
        try:
            await worker.run()
        finally:
            running.remove(worker)


async def _finished(outcome: asyncio.Task) -> bool:
    """Whether the run ended cleanly; a lost database is logged, anything else raised."""
    try:
        await outcome
    except asyncio.CancelledError:
        return False
    except DATABASE_AWAY as error:
        logger.warning("The database is unreachable (%s); the worker waits and tries again", error)
        return False
    return True
