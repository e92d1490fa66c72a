"""The portal's background worker (see README, "The background worker")."""

import asyncio

from django.core.management.base import BaseCommand, CommandError

from pairing_portal.worker import worker_run


class Command(BaseCommand):
    help = (
        "Run the portal's background jobs: e-mails to students about new observers and to admins "
        "about guessing, school-wide code exports, and the scheduled housekeeping. Run one or "
        "more, on one machine or several: they never take the same job. It keeps running while "
        "the database is away, and stops gracefully on SIGTERM."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Do the jobs waiting now, then stop."
        )
        parser.add_argument(
            "--concurrency",
            type=int,
            default=1,
            help="Jobs run at once by this process, each in its own thread (default 1).",
        )
        parser.add_argument(
            "--queue",
            dest="queues",
            action="append",
            help="Only take jobs from this queue (repeatable; default: every queue).",
        )
        parser.add_argument(
            "--shutdown-graceful-timeout",
            type=float,
            default=None,
            help="Seconds a running job may go on after SIGTERM before it is asked to stop "
            "(default: PROCRASTINATE_WORKER_DEFAULTS).",
        )

    def handle(self, *args, once, concurrency, queues, shutdown_graceful_timeout, **options):
        worker_options = {"concurrency": concurrency, "wait": not once}
        if queues:
            worker_options["queues"] = queues
        if shutdown_graceful_timeout is not None:
            worker_options["shutdown_graceful_timeout"] = shutdown_graceful_timeout
        self.stdout.write(
            "Running background jobs." if not once else "Running the jobs waiting now."
        )
        if not asyncio.run(worker_run(**worker_options)):
            raise CommandError("The database could not be reached (see the log above).")
