"""Roster imports and what came of each."""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Institution


class SisImportState(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Running")
    # A bulk snapshot would remove more than the threshold allows: nothing was applied, the upload
    # is kept, and an admin confirms (the import runs, removing them) or cancels it.
    WAITING = "waiting", _("Waiting for confirmation")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class SisImportType(models.TextChoices):
    """The formats an import may come in; each has its reader in rostering (Canvas's names)."""

    INSTRUCTURE_CSV = "instructure_csv", _("Canvas SIS CSV")
    ONEROSTER_CSV = "oneroster_csv", _("OneRoster CSV (1.1 or 1.2)")


def upload_path(record: "SisImport", filename: str) -> str:
    """A name nobody can guess or collide with; the uploader's name is kept in ``filename``."""
    suffix = PurePath(filename).suffix.lower()
    return f"sis_imports/{uuid.uuid4().hex}{suffix if suffix in ('.csv', '.zip') else ''}"


class SisImport(models.Model):
    """One roster upload, the job that imports it, and what came of it, kept for admins to read
    later. The upload itself is kept only until the import has finished or failed."""

    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="sis_imports"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    import_type = models.CharField(
        max_length=32, choices=SisImportType.choices, default=SisImportType.INSTRUCTURE_CSV
    )
    filename = models.CharField(max_length=255)
    upload = models.FileField(upload_to=upload_path, max_length=255, null=True, blank=True)
    dry_run = models.BooleanField(default=False)
    # What the import was asked beyond its files, by name (the API's override_sis_stickiness, say).
    # Each reader and applier reads the options it knows; the others are kept as they were sent.
    options = models.JSONField(default=dict, blank=True)
    # Messages are in the language of whoever asked (English from the command and the API); the
    # audit trail names the address they asked from.
    language = models.CharField(max_length=16, default="en")
    client_address = models.GenericIPAddressField(null=True, blank=True)
    state = models.CharField(
        max_length=16, choices=SisImportState.choices, default=SisImportState.QUEUED
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Each file in the order it applies, with the rows read so far; saved with every chunk of rows
    # in the chunk's own transaction, so it says exactly what has landed:
    # [{"file": "users.csv", "kind": "users", "done": 5000, "total": 300000}, ...]
    progress = models.JSONField(default=list, blank=True)
    # {"user_observers.csv": {"kind": "user_observers", "rows": 10, "changed": 8, "unchanged": 1,
    #  "skipped": 1}, ...}
    counts = models.JSONField(default=dict)
    # [{"file": "user_observers.csv", "row": 7, "message": "..."}], the first MAX_MESSAGES of them
    messages = models.JSONField(default=list)
    message_count = models.PositiveIntegerField(default=0)
    error = models.TextField(
        blank=True, help_text=_("Why the upload as a whole could not be read.")
    )
    # Who works on it now: each try is a new claim, and a worker whose import was taken over
    # (thought dead) stops at its next write. Tries that ended without finishing are counted.
    claim = models.UUIDField(null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0)

    MAX_MESSAGES = 5000

    class Meta:
        # Made by the pairing app before imports had an app of their own; the table kept its name.
        db_table = "pairing_sisimport"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=SisImportState.values), name="sis_import_state_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(import_type__in=SisImportType.values),
                name="sis_import_type_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"SIS import #{self.pk} of {self.filename} ({self.state})"

    @property
    def finished(self) -> bool:
        return self.state in (SisImportState.DONE, SisImportState.FAILED)

    @property
    def rows_done(self) -> int:
        return sum(item["done"] for item in self.progress)

    @property
    def rows_total(self) -> int:
        return sum(item["total"] for item in self.progress)

    @property
    def percent(self) -> int:
        """0 to 100: rows read of all the files' rows (100 once it has finished)."""
        if self.finished:
            return 100
        total = self.rows_total
        return min(99, self.rows_done * 100 // total) if total else 0


class RosterRecordKind(models.TextChoices):
    USER = "user", _("User")
    COURSE = "course", _("Course")
    ENROLLMENT = "enrollment", _("Enrollment")
    LINK = "link", _("Observer link")


class RosterRecord(models.Model):
    """What a roster source (a OneRoster export: its manifest's source, or the import's
    ``oneroster_source`` option) says about one thing it lists, by the thing's SIS key: a user's
    SIS id; a course's; "course, user, role" of an enrollment; "observer, student" of a link.

    ``made``: this source's imports made the thing (a person or course created, an enrollment or
    link created or restored). A bulk snapshot from the same source that no longer lists a made
    thing removes it (deactivates a person); what anything else made (a pairing code, an admin,
    the API, a Canvas SIS CSV) is never ``made`` here, so never removed by a snapshot. ``org_*``:
    the school (OneRoster org) of a user or course.
    """

    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="roster_records"
    )
    source = models.CharField(max_length=255)
    kind = models.CharField(max_length=16, choices=RosterRecordKind.choices)
    key = models.TextField()
    made = models.BooleanField(default=False)
    org_sourced_id = models.CharField(max_length=255, blank=True)
    org_name = models.CharField(max_length=255, blank=True)

    KEY_SEPARATOR = "\x1f"

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "source", "kind", "key"], name="roster_record_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=RosterRecordKind.values),
                name="roster_record_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.kind} {self.key!r}"
