import hashlib

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from accounts.audit import audit_record, current_context
from accounts.models import AuditAction, AuditSource, SelfRegistration
from accounts.roles import PERMISSION_RULES, Permission, Role
from accounts.throttle import Check, limit_from_settings, wait_in_words


class ProfileForm(forms.Form):
    name = forms.CharField(label="Full name", max_length=255)
    short_name = forms.CharField(
        label="Display name",
        max_length=255,
        required=False,
        help_text="How your name is shown in lists and messages. Leave blank to use your full name.",
    )
    sortable_name = forms.CharField(
        label="Sortable name",
        max_length=255,
        required=False,
        help_text="How your name is sorted in class lists, for example “Student, Sam”.",
    )


class SelfRegistrationForm(forms.Form):
    self_registration = forms.ChoiceField(
        label="Self Registration",
        choices=SelfRegistration.choices,
        widget=forms.RadioSelect,
        help_text="Who may create their own account. Pairing codes exist only while it is on.",
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
        label="Purpose",
        max_length=255,
        help_text="What the token is for, e.g. “District sync script”.",
    )
    expires_on = forms.DateField(
        label="Expires",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Optional. The token stops working at the start of this day (UTC).",
    )


class LoginForm(AuthenticationForm):
    """Django's log-in form, with failed attempts limited per account and per address.

    While an account or address is paused, even the right password is refused: otherwise a guesser
    could go on testing passwords and learn the right one from the different answer.
    """

    error_messages = {
        **AuthenticationForm.error_messages,
        "paused": "Too many failed log-ins. For your safety, logging in is paused; please try again %(wait)s.",
    }

    def clean(self):
        username = (self.cleaned_data.get("username") or "").strip().lower()
        limits = self._limits(username)
        until = limits.blocked_until()
        if until is not None:
            raise forms.ValidationError(
                self.error_messages["paused"], code="paused", params={"wait": wait_in_words(until)}
            )
        try:
            return super().clean()
        except forms.ValidationError as error:
            if error.code == "invalid_login":
                audit_record(
                    action=AuditAction.LOGIN_FAILED,
                    institution=None,
                    actor=None,
                    details={"login": username[:254]},
                )
                if limits.record_failure() is not None:
                    audit_record(
                        action=AuditAction.PAUSED,
                        institution=None,
                        actor=None,
                        details={"what": "log-in", "login": username[:254]},
                    )
            raise

    @staticmethod
    def _limits(username: str) -> Check:
        # A digest, so any typed name makes a short key and no e-mail address is stored with it.
        username = hashlib.sha256(username.encode()).hexdigest()[:32]
        rules = [
            (
                f"login:account:{username}:pause",
                limit_from_settings("LOGIN_FAILURES_PER_ACCOUNT_PAUSE", pause=True),
            ),
            (
                f"login:account:{username}:day",
                limit_from_settings("LOGIN_FAILURES_PER_ACCOUNT_PER_DAY"),
            ),
        ]
        address = current_context().client_address
        if address:
            rules.append(
                (
                    f"login:address:{address}:day",
                    limit_from_settings("LOGIN_FAILURES_PER_ADDRESS_PER_DAY"),
                )
            )
        return Check(rules=tuple(rules))


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(
        label="What", required=False, choices=[("", "Everything"), *AuditAction.choices]
    )
    person = forms.CharField(label="Who (name or e-mail)", required=False, max_length=254)
    source = forms.ChoiceField(
        label="From", required=False, choices=[("", "Anywhere"), *AuditSource.choices]
    )
    since = forms.DateField(
        label="From date", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label="To date", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
