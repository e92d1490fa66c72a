"""What signing in keeps beyond the user: invitations and identity providers.

Defined apart from accounts/models.py (which imports them, so that they are the app's models) to
keep each module readable; they name the other models by their label.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class InvitationBatch(models.Model):
    """Invitations an admin asked for at once (a search result, a file), made by a job."""

    institution = models.ForeignKey(
        "accounts.Institution", on_delete=models.CASCADE, related_name="invitation_batches"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # What the admin chose, in their words: the search text or the file's name.
    described_as = models.CharField(max_length=255, blank=True)
    user_ids = ArrayField(models.BigIntegerField(), default=list)
    base_url = models.CharField(max_length=255, blank=True)
    # How far the job got: people looked at, and of those, invited (the rest were skipped).
    looked_at = models.PositiveIntegerField(default=0)
    invited = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Invitations #{self.pk} of institution {self.institution_id} ({len(self.user_ids)})"

    @property
    def total(self) -> int:
        return len(self.user_ids)


class Invitation(models.Model):
    """An e-mail with a link where someone without a password sets one and is logged in.

    The link carries a random token; only its SHA-256 is kept (as for API tokens), written when
    the e-mail goes out. It works once, for settings.INVITATION_DAYS days, and no longer once a
    newer invitation was made for the person or another was accepted.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    batch = models.ForeignKey(
        InvitationBatch,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitations",
    )
    # The portal's address for the link, as the inviter reached it; blank: found when sending.
    base_url = models.CharField(max_length=255, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    # The address the link went to: it works only while the person still logs in with it.
    sent_to = models.EmailField(max_length=254, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    gave_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(token_hash__isnull=True)
                | models.Q(sent_at__isnull=False, expires_at__gt=models.F("sent_at")),
                name="invitation_token_sent_and_expiring",
            ),
            models.CheckConstraint(
                condition=models.Q(accepted_at__isnull=True) | models.Q(sent_at__isnull=False),
                name="invitation_accepted_after_sending",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation #{self.pk} of user {self.user_id}"

    @staticmethod
    def lifetime() -> timedelta:
        return timedelta(days=settings.INVITATION_DAYS)

    @property
    def state(self) -> str:
        """queued, sent, accepted, expired, withdrawn or failed (for people to read)."""
        if self.accepted_at:
            return "accepted"
        if self.withdrawn_at:
            return "withdrawn"
        if self.gave_up_at:
            return "failed"
        if self.sent_at is None:
            return "queued"
        return "sent" if self.expires_at > timezone.now() else "expired"


class MatchBy(models.TextChoices):
    EMAIL = "email", _("Login e-mail")
    SIS_ID = "sis_id", _("SIS ID")


class ProviderKind(models.TextChoices):
    """allauth's provider ids."""

    OIDC = "openid_connect", _("OpenID Connect")
    SAML = "saml", _("SAML 2.0")


class IdentityProvider(models.Model):
    """One of an institution's identity providers (Canvas: an authentication provider).

    The protocol's settings live in allauth's SocialApp (one to one), which allauth reads; this row
    holds the portal's rules for it: whose it is, how people are matched, whether it may make
    accounts, whether the log-in page goes straight to it. An OpenID Connect client secret is kept
    here, encrypted (accounts.sealed), never in the SocialApp.
    """

    institution = models.ForeignKey(
        "accounts.Institution", on_delete=models.CASCADE, related_name="identity_providers"
    )
    app = models.OneToOneField(
        "socialaccount.SocialApp", on_delete=models.CASCADE, related_name="identity_provider"
    )
    match_by = models.CharField(max_length=8, choices=MatchBy.choices, default=MatchBy.EMAIL)
    # The OpenID Connect claim or SAML attribute that carries the SIS ID, e.g. "employee_id".
    sis_id_claim = models.CharField(max_length=255, blank=True)
    create_accounts = models.BooleanField(default=False)
    is_default = models.BooleanField(default=False)
    sealed_secret = models.TextField(blank=True)
    # The origin of the provider's sign-in page: the log-in page's CSP lets its forms go there.
    sign_in_origin = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["institution"],
                condition=models.Q(is_default=True),
                name="identity_provider_one_default",
            ),
            models.CheckConstraint(
                condition=models.Q(match_by__in=MatchBy.values), name="identity_provider_match_by"
            ),
            models.CheckConstraint(
                condition=~models.Q(match_by=MatchBy.SIS_ID, sis_id_claim=""),
                name="identity_provider_sis_id_claim_named",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.app.name} ({self.app.provider}) of institution {self.institution_id}"
