"""Roster imports and what came of each."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Institution


class SisImportState(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class SisImport(models.Model):
    """One SIS CSV upload and what came of it, kept for admins to read later."""

    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="sis_imports"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    filename = models.CharField(max_length=255)
    dry_run = models.BooleanField(default=False)
    state = models.CharField(
        max_length=16, choices=SisImportState.choices, default=SisImportState.RUNNING
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # {"user_observers.csv": {"kind": "user_observers", "rows": 10, "changed": 8, "unchanged": 1,
    #  "skipped": 1}, ...}
    counts = models.JSONField(default=dict)
    # [{"file": "user_observers.csv", "row": 7, "message": "..."}], the first MAX_MESSAGES of them
    messages = models.JSONField(default=list)
    message_count = models.PositiveIntegerField(default=0)
    error = models.TextField(
        blank=True, help_text=_("Why the upload as a whole could not be read.")
    )

    MAX_MESSAGES = 5000

    class Meta:
        # Made by the pairing app before imports had an app of their own; the table kept its name.
        db_table = "pairing_sisimport"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=SisImportState.values), name="sis_import_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"SIS import #{self.pk} of {self.filename} ({self.state})"
