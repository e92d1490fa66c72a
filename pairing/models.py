"""Pairing codes and observer links."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Institution


class PairingCodeState(models.TextChoices):
    ACTIVE = "active", _("Active")
    USED = "used", _("Used")
    REPLACED = "replaced", _("Replaced by a newer code")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")


class PairingCodeQuerySet(models.QuerySet):
    def live(self) -> "PairingCodeQuerySet":
        """Codes that still work: active and not yet expired."""
        return self.filter(state=PairingCodeState.ACTIVE, expires_at__gt=timezone.now())


class PairingCode(models.Model):
    """A code a student gives an observer. Only a keyed hash of it is stored, never the code.

    "Expired" is also true of an active row whose ``expires_at`` has passed; such rows are marked
    expired the next time the student's codes are touched.
    """

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pairing_codes"
    )
    code_hash = models.CharField(
        max_length=64, unique=True, help_text=_("HMAC-SHA256 of the code.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Who made the code: the student, a teacher or an admin (empty: a command)."),
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    state = models.CharField(
        max_length=16, choices=PairingCodeState.choices, default=PairingCodeState.ACTIVE
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The observer who redeemed the code."),
    )

    objects = PairingCodeQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=PairingCodeState.values),
                name="pairing_code_state_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="pairing_code_expires_after_creation",
            ),
            # An active code has not ended; an ended one says when.
            models.CheckConstraint(
                condition=models.Q(state=PairingCodeState.ACTIVE, ended_at__isnull=True)
                | (~models.Q(state=PairingCodeState.ACTIVE) & models.Q(ended_at__isnull=False)),
                name="pairing_code_ended_at_matches_state",
            ),
            # Only a used code names who used it (SET NULL keeps the row if that account goes).
            models.CheckConstraint(
                condition=models.Q(state=PairingCodeState.USED) | models.Q(used_by__isnull=True),
                name="pairing_code_used_by_only_when_used",
            ),
            models.CheckConstraint(
                condition=~models.Q(used_by=models.F("student")),
                name="pairing_code_not_used_by_its_student",
            ),
        ]
        indexes = [
            models.Index(
                fields=["student", "created_at"],
                condition=models.Q(state="active"),
                name="pairing_code_active_by_student",
            ),
        ]

    def __str__(self) -> str:
        return f"pairing code #{self.pk} for user {self.student_id} ({self.state})"


class ObserverLinkState(models.TextChoices):
    ACTIVE = "active", _("Active")
    DELETED = "deleted", _("Removed")


class ObserverLinkSource(models.TextChoices):
    PAIRING_CODE = "pairing_code", _("Pairing code")
    SIGN_UP = "sign_up", _("Sign-up with a pairing code")
    ADMIN = "admin", _("Linked by an admin")
    API = "api", _("API")
    SIS_IMPORT = "sis_import", _("SIS import")


class ObserverLink(models.Model):
    """An observer follows a student across an institution (Canvas's UserObservationLink).

    Removing a link marks it deleted rather than deleting the row, and linking again restores it.
    """

    observer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="observee_links"
    )
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="observer_links"
    )
    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="observer_links"
    )
    state = models.CharField(
        max_length=16, choices=ObserverLinkState.choices, default=ObserverLinkState.ACTIVE
    )
    source = models.CharField(max_length=16, choices=ObserverLinkSource.choices)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["observer", "student", "institution"], name="observer_link_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(observer=models.F("student")),
                name="observer_link_cannot_observe_self",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=ObserverLinkState.values),
                name="observer_link_state_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(source__in=ObserverLinkSource.values),
                name="observer_link_source_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["student", "state"]),
            models.Index(fields=["observer", "state"]),
        ]

    def __str__(self) -> str:
        return f"user {self.observer_id} observes user {self.student_id} ({self.state})"


class CodeExportState(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class CodeExportFormat(models.TextChoices):
    CSV = "csv", _("CSV file (Export Pairing Codes)")
    LETTERS = "letters", _("Printable letters")


class CodeExport(models.Model):
    """A district-wide export of fresh pairing codes, made by a background job.

    The file holds codes in clear, so it is kept only encrypted (``pairing.services.exports``) and
    only for a day; the codes themselves are stored as hashes like every other code.
    """

    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="code_exports"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Empty: every course of the institution.
    courses = models.ManyToManyField("courses.Course", blank=True, related_name="+")
    format = models.CharField(max_length=16, choices=CodeExportFormat.choices)
    paper = models.CharField(max_length=8, default="letter")
    # The requester's language, for the letters; the address the links in them point to.
    language = models.CharField(max_length=16)
    base_url = models.URLField(max_length=500)
    state = models.CharField(
        max_length=16, choices=CodeExportState.choices, default=CodeExportState.QUEUED
    )
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, blank=True, default="")
    # Who works on it now: each try is a new claim, and a worker whose export was taken over
    # (thought dead, its job retried elsewhere) stops at its next write.
    claim = models.UUIDField(null=True, blank=True, editable=False)
    # Tries that ended without finishing (a worker that died on it); a worker stopped by a deploy
    # hands it back without counting one.
    attempts = models.PositiveSmallIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    result = models.BinaryField(null=True, editable=False)
    result_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=CodeExportState.values), name="code_export_state_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(format__in=CodeExportFormat.values),
                name="code_export_format_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(done__lte=models.F("total")), name="code_export_done_le_total"
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                name="code_export_waiting",
                condition=models.Q(state__in=["queued", "running"]),
            )
        ]

    def __str__(self) -> str:
        return f"Code export #{self.pk} ({self.format}, {self.state})"

    @property
    def percent(self) -> int:
        return (
            100
            if self.state == CodeExportState.DONE
            else (self.done * 100 // self.total if self.total else 0)
        )


class ObserverNotice(models.Model):
    """An e-mail owed to a student about a new observer.

    Written in the transaction that makes the link (so a rolled-back link owes nothing and a
    committed one is never forgotten) with a job that sends it, never inside a request: an import
    of a district's links must not wait on a mail server. The row records that it went out once.
    """

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    observer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The mail server refused the address for good, or kept failing until the job gave up.
    gave_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sent_at__isnull=True) | models.Q(gave_up_at__isnull=True),
                name="observer_notice_sent_or_given_up",
            )
        ]

    def __str__(self) -> str:
        return f"Notice to user {self.student_id} about user {self.observer_id}"


class GuessingAlert(models.Model):
    """One e-mail owed to an institution's admins: wrong pairing codes there became abnormal.

    At most one a day per institution (the constraint: of two app servers crossing the limit at
    once, one row is written), sent by a job like the observer notices.
    """

    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    gave_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "day"], name="guessing_alert_once_a_day")
        ]

    def __str__(self) -> str:
        return f"Guessing alert for institution {self.institution_id} on {self.day}"
