import hashlib

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.audit import audit_record, current_context
from accounts.models import (
    MAX_AUDIT_RETENTION_YEARS,
    MAX_CODE_LIFETIME_DAYS,
    MIN_AUDIT_RETENTION_YEARS,
    MIN_CODE_LIFETIME_DAYS,
    AuditAction,
    AuditSource,
    SelfRegistration,
    User,
)
from accounts.proof_of_work import PROOF_FIELD, challenge_json, proof_verify
from accounts.roles import PERMISSION_RULES, Permission, Role
from accounts.throttle import (
    Attempt,
    Check,
    Status,
    address_rules,
    limit_from_settings,
    wait_in_words,
)
from accounts.time_zones import time_zone_names

# <input type="date"> takes only ISO dates, whatever the language (Spanish would write 31/12/2026).
ISO_DATE = "%Y-%m-%d"


def _time_zone_choices() -> list[tuple[str, str]]:
    default = gettext("Default (%(zone)s)") % {"zone": settings.TIME_ZONE}
    zones = [(name, name.replace("_", " ")) for name in sorted(time_zone_names())]
    return [("", default), *zones]


class ProfileForm(forms.Form):
    name = forms.CharField(label=_("Full name"), max_length=255)
    short_name = forms.CharField(
        label=_("Display name"),
        max_length=255,
        required=False,
        help_text=_(
            "How your name is shown in lists and messages. Leave blank to use your full name."
        ),
    )
    sortable_name = forms.CharField(
        label=_("Sortable name"),
        max_length=255,
        required=False,
        help_text=_("How your name is sorted in class lists, for example “Student, Sam”."),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        required=False,
        choices=_time_zone_choices,
        help_text=_("Dates and times are shown in this time zone."),
    )


class SelfRegistrationForm(forms.Form):
    self_registration = forms.ChoiceField(
        label=_("Self Registration"),
        choices=SelfRegistration.choices,
        widget=forms.RadioSelect,
        help_text=_("Who may create their own account. Pairing codes exist only while it is on."),
    )


class PairingSettingsForm(forms.Form):
    code_lifetime_days = forms.IntegerField(
        label=_("Pairing codes last (days)"),
        min_value=MIN_CODE_LIFETIME_DAYS,
        max_value=MAX_CODE_LIFETIME_DAYS,
        help_text=_("From 1 to 30 days. Codes already made keep their expiry."),
    )
    students_may_remove_observers = forms.BooleanField(
        label=_("Students may remove their own observers"), required=False
    )


def _retention_choices() -> list[tuple[str, str]]:
    years = range(MIN_AUDIT_RETENTION_YEARS, MAX_AUDIT_RETENTION_YEARS + 1)
    return [("", _("Keep every entry (no limit)"))] + [
        (str(count), ngettext("%(count)d year", "%(count)d years", count) % {"count": count})
        for count in years
    ]


class AuditRetentionForm(forms.Form):
    audit_retention_years = forms.TypedChoiceField(
        label=_("Keep audit trail entries for"),
        choices=_retention_choices,
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_(
            "Older entries are deleted every night. Choose how long your district's records "
            "policy asks you to keep them."
        ),
    )


class PermissionsForm(forms.Form):
    """One checkbox for each permission and role an institution may switch."""

    def __init__(self, *args, table: dict[tuple[Role, Permission], bool], **kwargs):
        super().__init__(*args, **kwargs)
        for permission, rule in PERMISSION_RULES.items():
            for role in Role:
                if role in rule.configurable_roles:
                    self.fields[self.field_name(permission, role)] = forms.BooleanField(
                        label=f"{permission.label}: {role.label}",
                        required=False,
                        initial=table[(role, permission)],
                    )

    @staticmethod
    def field_name(permission: Permission, role: Role) -> str:
        return f"{permission.value}__{role.value}"

    def choices(self) -> list[tuple[Permission, Role, bool]]:
        return [
            (permission, role, self.cleaned_data[self.field_name(permission, role)])
            for permission, rule in PERMISSION_RULES.items()
            for role in Role
            if role in rule.configurable_roles
        ]


class ApiTokenForm(forms.Form):
    purpose = forms.CharField(
        label=_("Purpose"),
        max_length=255,
        help_text=_("What the token is for, e.g. “District sync script”."),
    )
    expires_on = forms.DateField(
        label=_("Expires"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE),
        help_text=_("Optional. The token stops working at the start of this day (UTC)."),
    )


class ThrottledLoginMixin:
    """Failed log-ins limited per account and address, per address and per network, for the
    portal's and the admin's forms.

    Wrong passwords for one account from one address pause that pair: while paused, even the right
    password from there is refused (a guesser could otherwise go on testing passwords and learn the
    right one from the different answer). An address or a network guessing many accounts is
    stopped. An account failing from many addresses is not locked: every log-in to it (the right
    password from anywhere included) must then carry a proof of work, so that strangers cannot
    lock a teacher out and a guesser pays for every guess.
    """

    paused_message = _(
        "Too many failed log-ins. For your safety, logging in is paused; please try again %(wait)s."
    )
    proof_message = _(
        "This account has had many failed log-ins, so your browser is asked to do a moment's "
        "work to show it is not guessing. Please wait for the check below to finish, enter your "
        "password again and log in."
    )
    proof_of_work: str | None = None  # the challenge (JSON) the page shows, when one is asked for

    def clean(self):
        username = (self.cleaned_data.get("username") or "").strip().lower()
        attempt = self._limits(username).begin()
        if attempt.refused_until is not None:
            raise forms.ValidationError(
                self.paused_message,
                code="paused",
                params={"wait": wait_in_words(attempt.refused_until)},
            )
        purpose = f"login:{self._digest(username)}"
        if attempt.proof_required and not proof_verify(
            payload=self.data.get(PROOF_FIELD), purpose=purpose
        ):
            attempt.succeeded()  # not tried, so not a guess
            self.proof_of_work = challenge_json(purpose=purpose)
            raise forms.ValidationError(self.proof_message, code="proof_required")
        try:
            cleaned = super().clean()
        except forms.ValidationError as error:
            if error.code == "invalid_login":
                if self._count_failure(attempt, username).proof_required:
                    self.proof_of_work = challenge_json(purpose=purpose)
            else:
                attempt.succeeded()
            raise
        attempt.succeeded()
        return cleaned

    @staticmethod
    def _count_failure(attempt: Attempt, username: str) -> Status:
        institution_id = (
            User.objects.filter(email__iexact=username)
            .values_list("institution_id", flat=True)
            .first()
        )
        audit_record(
            action=AuditAction.LOGIN_FAILED,
            institution=institution_id,
            actor=None,
            details={"login": username[:254]},
        )
        status = attempt.failed()
        if status.refused_until is not None:
            audit_record(
                action=AuditAction.PAUSED,
                institution=institution_id,
                actor=None,
                details={"what": "log-in", "login": username[:254]},
            )
        return status

    @staticmethod
    def _digest(username: str) -> str:
        # A digest, so any typed name makes a short key and no e-mail address is stored with it.
        return hashlib.sha256(username.encode()).hexdigest()[:32]

    @classmethod
    def _limits(cls, username: str) -> Check:
        digest = cls._digest(username)
        address = current_context().client_address
        rules = [
            (
                f"login:account:{digest}:hour",
                limit_from_settings("LOGIN_FAILURES_PER_ACCOUNT_PER_HOUR", proof_only=True),
            ),
            *address_rules(
                "login",
                address,
                per_address="LOGIN_FAILURES_PER_ADDRESS_PER_DAY",
                per_network="LOGIN_FAILURES_PER_NETWORK_PER_DAY",
            ),
        ]
        # Without an address (a proxy misconfigured), every such client is one for the account.
        pair = f"login:account:{digest}:address:{address or 'unknown'}"
        rules += [
            (
                f"{pair}:pause",
                limit_from_settings("LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS_PAUSE", pause=True),
            ),
            (f"{pair}:day", limit_from_settings("LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS_PER_DAY")),
        ]
        return Check(rules=tuple(rules))


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    """The portal's log-in form."""


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The Django admin's log-in form, under the same limits (its accounts are the strongest)."""


class PasswordResetRequestForm(PasswordResetForm):
    """Password reset, limited per address so that nobody can flood someone's inbox."""

    def clean(self):
        cleaned = super().clean()
        address = current_context().client_address
        if address:
            limits = Check(
                rules=(
                    (
                        f"reset:address:{address}:day",
                        limit_from_settings("PASSWORD_RESETS_PER_ADDRESS_PER_DAY"),
                    ),
                )
            )
            until = limits.blocked_until()
            if until is not None:
                raise forms.ValidationError(
                    _(
                        "Too many password resets were asked for from your network; please try "
                        "again %(wait)s."
                    ),
                    code="paused",
                    params={"wait": wait_in_words(until)},
                )
            limits.record_failure()  # counts requests, which are limited like failures
        return cleaned


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(
        label=_("What"), required=False, choices=[("", _("Everything")), *AuditAction.choices]
    )
    person = forms.CharField(label=_("Who (name or e-mail)"), required=False, max_length=254)
    source = forms.ChoiceField(
        label=_("From"), required=False, choices=[("", _("Anywhere")), *AuditSource.choices]
    )
    since = forms.DateField(
        label=_("From date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE),
    )
    until = forms.DateField(
        label=_("To date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE),
    )
