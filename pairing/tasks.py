"""The pairing app's background jobs: thin wrappers over its services (run by `manage.py run_worker`).

Each mail job sends one notice or alert; a temporary failure (the mail server down, slow or
answering 4xx, the database away) is retried with exponential back-off, anything else fails that
job alone. The housekeeping jobs run on a schedule: every worker offers them, and the database
lets one run per tick.
"""

from django.db import InterfaceError, OperationalError
from procrastinate import JobContext, RetryStrategy
from procrastinate.contrib.django import app

from accounts.audit import audit_context
from accounts.models import AuditSource
from pairing.alerts import ALERT_TASK, AlertNotSentYet, guessing_alert_send
from pairing.notices import (
    NOTICE_TASK,
    NOTICES_QUEUE_TASK,
    NoticeNotSentYet,
    observer_notice_send,
    observer_notices_prune,
    observer_notices_queue,
)
from pairing.services.exports import (
    EXPORT_TASK,
    ExportInterrupted,
    code_export_run,
    code_exports_purge,
)

DATABASE_AWAY = [OperationalError, InterfaceError]

# Waits of 4 s, 16 s, 1 min, 4 min, 17 min, 68 min, 4.5 h: a mail server down for about six hours
# in all is given up on (the notice is marked so; the link it announces stays).
MAIL_RETRY = RetryStrategy(
    max_attempts=7,
    exponential_wait=4,
    retry_exceptions=[NoticeNotSentYet, AlertNotSentYet, *DATABASE_AWAY],
)

# An export handed back by a stopping worker is taken up again at once (2 s); one that met a
# database outage, a little later each time.
EXPORT_RETRY = RetryStrategy(
    max_attempts=10, exponential_wait=2, retry_exceptions=[ExportInterrupted, *DATABASE_AWAY]
)


def _last_try(context: JobContext, strategy: RetryStrategy) -> bool:
    return context.job.attempts >= (strategy.max_attempts or 0)


@app.task(name=NOTICE_TASK, pass_context=True, retry=MAIL_RETRY)
def observer_notice_send_job(context: JobContext, *, notice_id: int) -> bool:
    return observer_notice_send(notice_id=notice_id, last_try=_last_try(context, MAIL_RETRY))


@app.task(name=NOTICES_QUEUE_TASK, retry=RetryStrategy(max_attempts=10, exponential_wait=2))
def observer_notices_queue_job(*, notice_ids: list[int]) -> int:
    return observer_notices_queue(notice_ids=notice_ids)


@app.task(name=ALERT_TASK, pass_context=True, retry=MAIL_RETRY)
def guessing_alert_send_job(context: JobContext, *, alert_id: int) -> bool:
    return guessing_alert_send(alert_id=alert_id, last_try=_last_try(context, MAIL_RETRY))


@app.task(name=EXPORT_TASK, pass_context=True, retry=EXPORT_RETRY)
def code_export_make_job(context: JobContext, *, export_id: int) -> str:
    with audit_context(source=AuditSource.COMMAND, client_address=None):
        export = code_export_run(
            export_id=export_id,
            should_stop=context.should_abort,
            last_try=_last_try(context, EXPORT_RETRY),
        )
    return "nothing to do" if export is None else f"{export.state}, {export.done} of {export.total}"


@app.periodic(cron="17 * * * *")  # hourly
@app.task(name="pairing.housekeeping", queueing_lock="pairing.housekeeping")
def pairing_housekeeping_job(timestamp: int) -> dict[str, int]:
    return {
        "export files purged": code_exports_purge(),
        "old notices deleted": observer_notices_prune(),
    }
