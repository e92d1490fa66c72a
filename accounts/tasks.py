"""The accounts app's scheduled housekeeping (run by `manage.py run_worker`; see README)."""

from procrastinate.contrib.django import app

from accounts.housekeeping import (
    audit_events_prune,
    sessions_prune,
    spent_challenges_prune,
    throttle_buckets_prune,
)


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
