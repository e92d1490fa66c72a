"""The accounts app's background jobs (run by `manage.py run_worker`; see README): invitations, and
the scheduled housekeeping."""

from django.db import InterfaceError, OperationalError
from procrastinate import JobContext, RetryStrategy
from procrastinate.contrib.django import app

from accounts.audit import audit_context
from accounts.housekeeping import (
    audit_events_prune,
    sessions_prune,
    spent_challenges_prune,
    throttle_buckets_prune,
)
from accounts.invitation_mail import InvitationNotSentYet, invitation_send
from accounts.models import AuditSource
from accounts.services.invitations import BATCH_TASK, INVITATION_TASK, invitation_batch_run

# Waits of 4 s, 16 s, 1 min, 4 min, 17 min, 68 min, 4.5 h: a mail server down for about six hours
# in all is given up on (the admin sees the invitation failed, and may send it again).
MAIL_RETRY = RetryStrategy(
    max_attempts=7,
    exponential_wait=4,
    retry_exceptions=[InvitationNotSentYet, OperationalError, InterfaceError],
)
BATCH_RETRY = RetryStrategy(
    max_attempts=10, exponential_wait=2, retry_exceptions=[OperationalError, InterfaceError]
)


@app.task(name=INVITATION_TASK, pass_context=True, retry=MAIL_RETRY)
def invitation_send_job(context: JobContext, *, invitation_id: int) -> bool:
    last_try = context.job.attempts >= (MAIL_RETRY.max_attempts or 0)
    return invitation_send(invitation_id=invitation_id, last_try=last_try)


@app.task(name=BATCH_TASK, retry=BATCH_RETRY)
def invitation_batch_job(*, batch_id: int) -> str:
    with audit_context(source=AuditSource.COMMAND, client_address=None):
        batch = invitation_batch_run(batch_id=batch_id)
    return "nothing to do" if batch is None else f"{batch.invited} of {batch.total} invited"


@app.periodic(cron="7 * * * *")  # hourly
@app.task(name="accounts.housekeeping", queueing_lock="accounts.housekeeping")
def accounts_housekeeping_job(timestamp: int) -> dict[str, int]:
    return {
        "expired sessions": sessions_prune(),
        "old attempt counters": throttle_buckets_prune(),
        "expired proofs of work": spent_challenges_prune(),
    }


@app.periodic(cron="37 3 * * *")  # daily, at night (UTC)
@app.task(name="accounts.audit_retention", queueing_lock="accounts.audit_retention")
def audit_retention_job(timestamp: int) -> int:
    return audit_events_prune()
