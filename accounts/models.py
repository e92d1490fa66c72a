from collections.abc import Iterator

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from accounts.names import short_name_for, sortable_name_for
from accounts.roles import Permission, Role, configurable_pairs_q
from accounts.time_zones import validate_time_zone


class SelfRegistration(models.TextChoices):
    NONE = "none", _("None")
    OBSERVER = "observer", _("Observer accounts only")
    ALL = "all", _("All account types")


MIN_CODE_LIFETIME_DAYS, MAX_CODE_LIFETIME_DAYS = 1, 30
MIN_AUDIT_RETENTION_YEARS, MAX_AUDIT_RETENTION_YEARS = 1, 7


class Institution(models.Model):
    """A school or district: what Canvas calls a root account."""

    name = models.CharField(max_length=255, unique=True)
    domain = models.CharField(
        max_length=255,
        unique=True,
        null=True,
        blank=True,
        help_text=_(
            "Host name this institution's people use, e.g. portal.springfield.example. "
            "Tells the sign-up page which institution it serves when the portal hosts several."
        ),
    )
    self_registration = models.CharField(
        max_length=16, choices=SelfRegistration.choices, default=SelfRegistration.NONE
    )
    pairing_code_lifetime_days = models.PositiveSmallIntegerField(
        default=7, help_text=_("How long a new pairing code works: 1 to 30 days.")
    )
    students_may_remove_observers = models.BooleanField(
        default=False,
        help_text=_("Whether students may unlink their own observers (off in Canvas)."),
    )
    audit_retention_years = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text=_(
            "Audit trail entries older than this many years (1 to 7) are deleted; empty: kept."
        ),
    )
    # The school's own look (Branding page): shown in every page's header, e-mails and letters.
    display_name = models.CharField(
        _("display name"),
        max_length=100,
        blank=True,
        default="",
        help_text=_("The school's name as people should see it; blank: the institution's name."),
    )
    logo = models.FileField(upload_to="logos/", blank=True, default="")
    logo_content_type = models.CharField(max_length=32, blank=True, default="")
    brand_color = models.CharField(
        _("brand colour"),
        max_length=7,
        blank=True,
        default="",
        help_text=_("A #rrggbb colour that white text can be read on; blank: the portal's blue."),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(self_registration__in=SelfRegistration.values),
                name="institution_self_registration_valid",
            ),
            models.CheckConstraint(condition=~models.Q(name=""), name="institution_name_not_empty"),
            models.CheckConstraint(
                condition=~models.Q(domain=""), name="institution_domain_null_not_empty"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    pairing_code_lifetime_days__gte=MIN_CODE_LIFETIME_DAYS,
                    pairing_code_lifetime_days__lte=MAX_CODE_LIFETIME_DAYS,
                ),
                name="institution_code_lifetime_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(brand_color="") | models.Q(brand_color__regex=r"^#[0-9a-f]{6}$"),
                name="institution_brand_color_hex",
            ),
            models.CheckConstraint(
                condition=models.Q(audit_retention_years__isnull=True)
                | models.Q(
                    audit_retention_years__gte=MIN_AUDIT_RETENTION_YEARS,
                    audit_retention_years__lte=MAX_AUDIT_RETENTION_YEARS,
                ),
                name="institution_audit_retention_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def display(self) -> str:
        """The name people see: the display name an admin chose, else the institution's name."""
        return self.display_name or self.name

    @property
    def pairing_enabled(self) -> bool:
        """Canvas offers pairing codes only where self-registration is on."""
        return self.self_registration != SelfRegistration.NONE


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username: str) -> "User":
        # E-mail logins are case-insensitive; the unique index on LOWER(email) serves this lookup.
        return self.alias(email_lower=Lower("email")).get(email_lower=username.strip().lower())

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        if not email:
            raise ValueError("A user needs an e-mail address to log in with.")
        name = fields.pop("name", "") or email.split("@")[0]
        fields.setdefault("sortable_name", sortable_name_for(name))
        fields.setdefault("short_name", short_name_for(name))
        user = self.model(email=self.normalize_email(email).strip(), name=name, **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone who logs in. Roles come from enrollments and admin rights, never from the user row."""

    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="users", null=True, blank=True
    )
    # unique=True for Django's auth checks; the constraint on LOWER(email) is the real rule.
    email = models.EmailField(_("e-mail"), max_length=254, unique=True)
    name = models.CharField(max_length=255)
    sortable_name = models.CharField(max_length=255)
    short_name = models.CharField(max_length=255)
    sis_user_id = models.CharField(_("SIS ID"), max_length=255, null=True, blank=True)
    is_account_admin = models.BooleanField(
        _("account admin"), default=False, help_text=_("Administers the user's institution.")
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        default=False, help_text=_("May log in to the Django admin site (platform operators).")
    )
    # An IANA name such as "America/Los_Angeles"; blank: the portal's TIME_ZONE setting.
    time_zone = models.CharField(
        _("time zone"), max_length=64, blank=True, default="", validators=[validate_time_zone]
    )
    # An observer of several students comes back to the one they looked at last.
    last_observed_student = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    NAME_MAX_LENGTH = 255

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        ordering = ["sortable_name", "id"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
            models.UniqueConstraint(
                fields=["institution", "sis_user_id"],
                condition=models.Q(sis_user_id__isnull=False),
                name="user_sis_id_unique_in_institution",
            ),
            models.CheckConstraint(condition=~models.Q(email=""), name="user_email_not_empty"),
            models.CheckConstraint(condition=~models.Q(name=""), name="user_name_not_empty"),
            models.CheckConstraint(
                condition=~models.Q(sis_user_id=""), name="user_sis_id_null_not_empty"
            ),
            # Everyone but platform operators belongs to an institution; an admin always does.
            models.CheckConstraint(
                condition=models.Q(institution__isnull=False)
                | models.Q(is_superuser=True, is_account_admin=False),
                name="user_institution_required",
            ),
        ]
        indexes = [models.Index(fields=["institution", "sortable_name"])]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    # Django ends a user's sessions when the password changes: the session keeps a hash of it,
    # compared on every request. Ours covers the login e-mail too, so that changing the address
    # (an SIS import, an operator) ends every session of the account on its next request, with any
    # session backend. Keyed like Django's (salted HMAC-SHA256, SECRET_KEY_FALLBACKS honoured).
    def get_session_auth_hash(self) -> str:
        return self._login_hash(secret=None)

    def get_session_auth_fallback_hash(self) -> Iterator[str]:
        for secret in settings.SECRET_KEY_FALLBACKS:
            yield self._login_hash(secret=secret)

    def _login_hash(self, *, secret: str | None) -> str:
        return salted_hmac(
            "accounts.User.get_session_auth_hash",
            f"{self.password}\x00{self.email}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()


class RolePermission(models.Model):
    """An institution's choice for one role and permission, where it departs from the default."""

    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="role_permissions"
    )
    role = models.CharField(max_length=32, choices=Role.choices)
    permission = models.CharField(max_length=64, choices=Permission.choices)
    enabled = models.BooleanField()
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "role", "permission"], name="role_permission_unique"
            ),
            models.CheckConstraint(
                condition=configurable_pairs_q(), name="role_permission_configurable"
            ),
        ]

    def __str__(self) -> str:
        state = "on" if self.enabled else "off"
        return f"{self.institution}: {self.permission} for {self.role} {state}"


class ApiToken(models.Model):
    """A personal access token for the API ("Approved Integrations"). Only its SHA-256 is kept.

    The token carries 256 random bits, so an unsalted hash is enough: nobody can search that space.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    purpose = models.CharField(max_length=255)
    token_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(
        max_length=8, help_text=_("The token's last characters, to tell tokens apart.")
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(purpose=""), name="api_token_purpose_not_empty"
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__isnull=True)
                | models.Q(expires_at__gt=models.F("created_at")),
                name="api_token_expires_after_creation",
            ),
        ]

    def __str__(self) -> str:
        return f"API token …{self.hint} of user {self.user_id} ({self.purpose})"

    @property
    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class ActAsSession(models.Model):
    """One stretch of an admin seeing the portal as someone else ("act as user"), start to stop."""

    actor = models.ForeignKey(User, on_delete=models.CASCADE, related_name="act_as_sessions")
    subject = models.ForeignKey(User, on_delete=models.CASCADE, related_name="acted_as_by")
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(actor=models.F("subject")), name="act_as_not_oneself"
            ),
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True)
                | models.Q(ended_at__gte=models.F("started_at")),
                name="act_as_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"user {self.actor_id} acting as user {self.subject_id} from {self.started_at:%Y-%m-%d %H:%M}"


class AuditSource(models.TextChoices):
    PAGE = "page", _("Page")
    API = "api", _("API")
    SIS_IMPORT = "sis_import", _("SIS import")
    COMMAND = "command", _("Command")


class AuditAction(models.TextChoices):
    CODE_CREATED = "pairing_code.created", _("Pairing code made")
    CODE_REDEEMED = "pairing_code.redeemed", _("Pairing code used")
    CODE_FAILED = "pairing_code.failed", _("Wrong pairing code")
    LINK_CREATED = "observer_link.created", _("Observer linked")
    LINK_REMOVED = "observer_link.removed", _("Observer unlinked")
    PAUSED = "throttle.paused", _("Paused after failed attempts")
    LOGIN_FAILED = "login.failed", _("Failed log-in")
    CODES_REVOKED = "pairing_code.revoked", _("Pairing codes revoked")
    EXPORT_REQUESTED = "code_export.requested", _("School-wide code export asked for")
    EXPORT_DOWNLOADED = "code_export.downloaded", _("School-wide code export downloaded")
    SELF_REGISTRATION_CHANGED = "institution.self_registration", _("Self-registration changed")
    PAIRING_SETTINGS_CHANGED = "institution.pairing_settings", _("Pairing settings changed")
    PERMISSION_CHANGED = "institution.permission", _("Permission changed")
    AUDIT_RETENTION_CHANGED = "institution.audit_retention", _("Audit trail retention changed")
    BRANDING_CHANGED = "institution.branding", _("Branding changed")
    SELF_ENROLLMENT_CHANGED = "course.self_enrollment", _("Course self-enrollment changed")
    SELF_ENROLLED = "course.self_enrolled", _("Student joined a course with its join code")
    SIGNED_UP = "user.signed_up", _("Account made by self registration")
    ACT_AS_STARTED = "act_as.started", _("Started acting as")
    ACT_AS_STOPPED = "act_as.stopped", _("Stopped acting as")
    EMAIL_CHANGED = "user.email_changed", _("Login e-mail changed")
    USER_DEACTIVATED = "user.deactivated", _("User deactivated")
    USER_REACTIVATED = "user.reactivated", _("User reactivated")
    ADMIN_GRANTED = "user.admin_granted", _("Made an account admin by a roster import")
    PERSON_EXPORTED = "person.exported", _("Personal data downloaded")
    PERSON_DELETED = "person.deleted", _("Person deleted")
    INSTITUTION_CREATED = "institution.created", _("Institution made")
    INVITATION_SENT = "invitation.sent", _("Invitation sent")
    INVITATION_ACCEPTED = "invitation.accepted", _("Invitation accepted")
    PROVIDER_ADDED = "identity_provider.added", _("Identity provider added")
    PROVIDER_CHANGED = "identity_provider.changed", _("Identity provider changed")
    PROVIDER_REMOVED = "identity_provider.removed", _("Identity provider removed")
    SSO_SIGNED_IN = "sso.signed_in", _("Signed in through an identity provider")
    SSO_ACCOUNT_CREATED = "sso.account_created", _("Account made by an identity provider")
    SSO_REFUSED = "sso.refused", _("Sign-in refused: no account")
    SSO_FAILED = "sso.failed", _("Failed sign-in through an identity provider")


class AuditEvent(models.Model):
    """One entry of the audit trail. Written once by a service; nothing in the portal edits it,
    but for the deletion of a person (accounts.personal_data), which removes their e-mail address.

    Who acted and about whom are kept as ids even once that person is deleted (no foreign key
    constraint holds them): the trail then shows "deleted user #id".
    """

    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, null=True, blank=True, related_name="audit_events"
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)
    action = models.CharField(max_length=40, choices=AuditAction.choices)
    actor = models.ForeignKey(
        User,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    subject = models.ForeignKey(
        User,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    source = models.CharField(max_length=16, choices=AuditSource.choices)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["institution", "-at"]),
            models.Index(fields=["action", "-at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(source__in=AuditSource.values), name="audit_source_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(action__in=AuditAction.values), name="audit_action_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} by {self.actor_id} on {self.subject_id}"


class ThrottleBucket(models.Model):
    """Failed attempts of one kind (a key such as "redeem:account:42") in one time bucket.

    The database's counters for accounts.throttle; with Redis as the cache they live there instead.
    """

    key = models.CharField(max_length=200)
    bucket_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "bucket_start"], name="throttle_bucket_unique")
        ]

    def __str__(self) -> str:
        return f"{self.key} @ {self.bucket_start:%Y-%m-%d %H:%M}: {self.count}"


class SpentChallenge(models.Model):
    """A proof-of-work challenge already used once: kept until it expires, so it works only once."""

    nonce = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.nonce[:8]}… until {self.expires_at:%Y-%m-%d %H:%M}"


# Invitations and identity providers, in a module of their own; imported here so that they are
# models of this app.
from accounts.models_sign_in import (  # noqa: E402, F401
    IdentityProvider,
    Invitation,
    InvitationBatch,
    MatchBy,
    ProviderKind,
)
