"""Import a Canvas SIS CSV (or a zip of several), or a OneRoster CSV zip, from the command line.

The import is a background job like every other. By default the command waits for it, with a
progress bar, and runs the job itself unless a background worker (``manage.py run_worker``) takes it
first, so it works on a machine without one; ``--no-wait`` queues it and returns at once.
"""

import asyncio
import sys
import threading
from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from accounts.models import Institution
from pairing_portal.worker import worker_run
from rostering.models import SisImport, SisImportState, SisImportType
from rostering.sis_import import sis_import_cancel, sis_import_options, sis_import_request
from rostering.tasks import SIS_IMPORT_QUEUE

BAR_WIDTH = 30
POLL_SECONDS = 0.5


class Command(BaseCommand):
    help = (
        "Import users.csv, courses.csv, enrollments.csv and user_observers.csv (one file, or a zip "
        "of several), or a OneRoster 1.1 or 1.2 CSV zip (--import-type oneroster_csv), into an "
        "institution, matching by SIS id."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--institution",
            help="The institution's id or exact name; needed when the portal has more than one.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and count everything, change nothing."
        )
        parser.add_argument(
            "--send-invitations",
            action="store_true",
            help="E-mail each new user an invitation to choose a password (the background worker "
            "sends them; links go to the institution's domain, or PORTAL_URL).",
        )
        parser.add_argument(
            "--import-type",
            choices=SisImportType.values,
            default=SisImportType.INSTRUCTURE_CSV,
            help="The file's format: Canvas SIS CSV (the default) or a OneRoster CSV zip.",
        )
        oneroster = parser.add_argument_group("OneRoster")
        oneroster.add_argument(
            "--allow-removals",
            action="store_true",
            help="Let a bulk file deactivate, delete and unlink what earlier imports from its "
            "source made and it no longer lists, even past the threshold.",
        )
        oneroster.add_argument(
            "--change-threshold",
            type=int,
            metavar="PERCENT",
            help="The largest share of what the source made that a bulk file may remove without "
            "--allow-removals (default 10).",
        )
        oneroster.add_argument(
            "--oneroster-admins",
            action="store_true",
            help="Make the export's administrators account admins of the institution.",
        )
        oneroster.add_argument(
            "--oneroster-sis-id",
            choices=["sourcedId", "identifier"],
            default="",
            help="The users.csv column that gives SIS ids (default sourcedId).",
        )
        oneroster.add_argument(
            "--oneroster-source",
            default="",
            help="Whose records these are (default the manifest's source.systemCode).",
        )
        waiting = parser.add_mutually_exclusive_group()
        waiting.add_argument(
            "--wait",
            dest="wait",
            action="store_true",
            default=True,
            help="Wait for the import, showing its progress, and run it here unless a background "
            "worker takes it first (the default).",
        )
        waiting.add_argument(
            "--no-wait",
            dest="wait",
            action="store_false",
            help="Queue the import for the background worker and return at once.",
        )

    def handle(
        self,
        *args,
        file: Path,
        institution: str | None,
        dry_run: bool,
        wait: bool,
        send_invitations: bool,
        import_type: str,
        **options,
    ):
        target = self._institution(institution)
        try:
            with file.open("rb") as upload:
                record = sis_import_request(
                    institution=target,
                    filename=file.name,
                    upload=File(upload),
                    by=None,
                    dry_run=dry_run,
                    import_type=import_type,
                    options=sis_import_options(
                        send_invitations=send_invitations,
                        oneroster_admins=options["oneroster_admins"],
                        oneroster_sis_id=options["oneroster_sis_id"],
                        oneroster_source=options["oneroster_source"],
                        change_threshold=options["change_threshold"],
                        allow_removals=options["allow_removals"],
                    ),
                )
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        if not wait:
            self.stdout.write(
                f"Queued import #{record.pk} of {file.name} into {target.name}; a background "
                "worker (manage.py run_worker) runs it."
            )
            return
        record = self._wait_for(record)
        if record.state == SisImportState.WAITING:
            sis_import_cancel(record=record)
            raise CommandError(
                f"{record.error} Nothing was imported; to remove them, run the command again "
                "with --allow-removals."
            )
        if record.state == SisImportState.FAILED:
            raise CommandError(record.error)
        if record.state != SisImportState.DONE:
            raise CommandError(
                f"Stopped waiting: import #{record.pk} is queued again, and goes on when a "
                "background worker (manage.py run_worker) takes it up."
            )
        verb = "Would import" if dry_run else "Imported"
        self.stdout.write(
            self.style.SUCCESS(f"{verb} {file.name} into {target.name} (import #{record.pk})")
        )
        for name, counts in record.counts.items():
            self.stdout.write(
                f"  {name} ({counts['kind']}): {counts['rows']} rows, {counts['changed']} changed, "
                f"{counts['unchanged']} unchanged, {counts['skipped']} skipped"
            )
        for message in record.messages:
            self.stdout.write(f"  {message['file']} row {message['row']}: {message['message']}")
        if record.message_count > len(record.messages):
            self.stdout.write(
                f"  … and {record.message_count - len(record.messages)} more messages"
            )

    def _institution(self, reference: str | None) -> Institution:
        if reference is None:
            institutions = list(Institution.objects.all()[:2])
            if len(institutions) != 1:
                raise CommandError(
                    "Name the institution with --institution (its id or exact name)."
                )
            return institutions[0]
        query = Institution.objects.filter(pk=int(reference)) if reference.isdigit() else None
        found = (query.first() if query is not None else None) or Institution.objects.filter(
            name=reference
        ).first()
        if found is None:
            raise CommandError(f"No institution {reference!r}.")
        return found

    def _wait_for(self, record: SisImport) -> SisImport:
        """Run the imports' queue here until it is empty (a worker elsewhere may take this import
        first: then wait for it), showing the progress meanwhile."""
        bar = _ProgressBar(record.pk, self.stderr)
        bar.start()
        try:
            asyncio.run(worker_run(queues=[SIS_IMPORT_QUEUE], wait=False, listen_notify=False))
            record.refresh_from_db()
            while record.state == SisImportState.RUNNING:
                bar.stopped.wait(POLL_SECONDS)
                record.refresh_from_db()
        finally:
            bar.stop()
        return record


class _ProgressBar(threading.Thread):
    """Reads the import's progress from its record and draws it: a bar redrawn in place on a
    terminal, a line per file (and every tenth of it) otherwise."""

    def __init__(self, import_id: int, out):
        super().__init__(daemon=True)
        self.import_id, self.out = import_id, out
        self.tty = sys.stderr.isatty()
        self.stopped = threading.Event()
        self.shown: set[tuple[str, int]] = set()
        self.drawing: str | None = None

    def run(self) -> None:
        try:
            while not self.stopped.wait(POLL_SECONDS):
                self.show()
        finally:
            connection.close()  # this thread's own

    def stop(self) -> None:
        self.stopped.set()
        self.join()
        self.show()
        if self.tty and self.drawing:
            self.out.write("")

    def show(self) -> None:
        progress = (
            SisImport.objects.filter(pk=self.import_id).values_list("progress", flat=True).first()
        )
        if not progress:
            return
        # The file being applied: the first not done yet, or the last once all are.
        entry = next((e for e in progress if e["done"] < e["total"]), progress[-1])
        total = max(entry["total"], 1)
        line = f"{entry['file']}: {entry['done']:,}/{entry['total']:,} rows"
        if not self.tty:
            tenth = entry["done"] * 10 // total
            if (entry["file"], tenth) not in self.shown:
                self.shown.add((entry["file"], tenth))
                self.out.write(line)
            return
        if self.drawing not in (None, entry["file"]):
            self.out.write("")  # the previous file's bar stays, finished
        self.drawing = entry["file"]
        filled = BAR_WIDTH * entry["done"] // total
        self.out.write(f"\r[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {line}", ending="")
