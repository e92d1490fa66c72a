"""The rostering app's background job: one per roster import (run by `manage.py run_worker`, or by
the `sis_import` command itself while it waits). A thin wrapper over rostering.sis_import."""

from django.db import InterfaceError, OperationalError
from procrastinate import JobContext, RetryStrategy
from procrastinate.contrib.django import app

from rostering.sis_import import SIS_IMPORT_TASK, ImportInterrupted, sis_import_run

# Imports have a queue of their own, so that the command can work on imports alone, and a site
# may give them workers of their own.
SIS_IMPORT_QUEUE = "sis_imports"

# An import handed back by a stopping worker is carried on at once (2 s); one that met a database
# outage, a little later each time.
IMPORT_RETRY = RetryStrategy(
    max_attempts=10,
    exponential_wait=2,
    retry_exceptions=[ImportInterrupted, OperationalError, InterfaceError],
)


@app.task(name=SIS_IMPORT_TASK, queue=SIS_IMPORT_QUEUE, pass_context=True, retry=IMPORT_RETRY)
def sis_import_job(context: JobContext, *, import_id: int) -> str:
    record = sis_import_run(
        import_id=import_id,
        should_stop=context.should_abort,
        last_try=context.job.attempts >= (IMPORT_RETRY.max_attempts or 0),
    )
    return "nothing to do" if record is None else f"{record.state}, {record.rows_done} rows"
