"""The job queue's own upkeep: jobs whose worker died are retried, old finished jobs deleted.

Every worker runs the schedule; procrastinate records each (task, tick) once in the database, so
with several workers each tick still runs once.
"""

from procrastinate import JobContext
from procrastinate.contrib.django import app

# A worker writes a heartbeat every 10 s; one silent for this long died (or lost the database)
# with its job, which goes back to the queue. The job's own code makes a second run harmless.
STALLED_AFTER_SECONDS = 30
FINISHED_JOBS_KEPT_HOURS = 7 * 24
FAILED_JOBS_KEPT_HOURS = 30 * 24  # long enough for an operator to look at them


@app.periodic(cron="* * * * *")
@app.task(name="jobs.retry_stalled", queueing_lock="jobs.retry_stalled", pass_context=True)
async def retry_stalled_jobs(context: JobContext, timestamp: int) -> int:
    manager = context.app.job_manager
    stalled = await manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_AFTER_SECONDS)
    for job in stalled:
        await manager.retry_job(job)
    return len(stalled)


@app.periodic(cron="47 4 * * *")  # daily, at night (UTC)
@app.task(name="jobs.remove_old", queueing_lock="jobs.remove_old", pass_context=True)
async def remove_old_jobs(context: JobContext, timestamp: int) -> None:
    manager = context.app.job_manager
    await manager.delete_old_jobs(
        nb_hours=FINISHED_JOBS_KEPT_HOURS, include_cancelled=True, include_aborted=True
    )
    await manager.delete_old_jobs(nb_hours=FAILED_JOBS_KEPT_HOURS, include_failed=True)
