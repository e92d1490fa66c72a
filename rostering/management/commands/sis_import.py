"""Import a Canvas SIS CSV (or a zip of several) from the command line."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Institution
from rostering.models import SisImportState
from rostering.sis_import import sis_import_run


class Command(BaseCommand):
    help = (
        "Import users.csv, courses.csv, enrollments.csv and user_observers.csv (one file, or a zip "
        "of several) into an institution, matching by SIS id."
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

    def handle(
        self,
        *args,
        file: Path,
        institution: str | None,
        dry_run: bool,
        send_invitations: bool,
        **options,
    ):
        target = self._institution(institution)
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        record = sis_import_run(
            institution=target,
            filename=file.name,
            data=data,
            by=None,
            dry_run=dry_run,
            progress=self._progress,
            send_invitations=send_invitations,
        )
        if sys.stderr.isatty():
            self.stderr.write("")
        if record.state == SisImportState.FAILED:
            raise CommandError(record.error)
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

    def _progress(self, name: str, done: int, total: int) -> None:
        line = f"{name}: {done}/{total} rows"
        if sys.stderr.isatty():
            self.stderr.write(f"\r{line}", ending="")
        elif done == total or done % 10_000 < 1000:
            self.stderr.write(line)
