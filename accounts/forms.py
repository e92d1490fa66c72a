from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.errors import AttemptsPaused, LoginProofRequired, PasswordRefused
from accounts.mail import school_sender
from accounts.models import (
    MAX_AUDIT_RETENTION_YEARS,
    MAX_CODE_LIFETIME_DAYS,
    MIN_AUDIT_RETENTION_YEARS,
    MIN_CODE_LIFETIME_DAYS,
    AuditAction,
    AuditSource,
    SelfRegistration,
)
from accounts.proof_of_work import PROOF_FIELD, challenge_json
from accounts.roles import PERMISSION_RULES, Permission, Role
from accounts.services import (
    invitation_request_for_login,
    login_attempt,
    login_proof_purpose,
    password_policy_check,
    password_reset_count,
)
from accounts.throttle import wait_in_words
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


class BrandingForm(forms.Form):
    """The Branding page: it only reads the fields; accounts.services.branding checks them."""

    display_name = forms.CharField(
        label=_("Display name"),
        max_length=100,
        required=False,
        help_text=_("The school's name as parents and students should see it."),
    )
    brand_color = forms.CharField(
        label=_("Brand colour"),
        max_length=7,
        required=False,
        widget=forms.TextInput(
            attrs={
                "class": "input-short",
                "autocomplete": "off",
                "spellcheck": "false",
                "autocapitalize": "off",
                "placeholder": "#0b5cad",
                "size": 8,
            }
        ),
        help_text=_(
            "As # and six hexadecimal digits; blank for the portal's blue. It is used behind "
            "white text in the header and on buttons, so it must be dark enough: the portal "
            "checks the contrast (at least 4.5:1) before saving."
        ),
    )
    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg"}),
        help_text=_("PNG or JPEG, at most 512 KB and 2000 pixels a side. SVG is not accepted."),
    )
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)


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
    """The portal's and the admin's log-in forms, under the limits of
    ``accounts.services.login_attempt``."""

    proof_of_work: str | None = None  # the challenge (JSON) the page shows, when one is asked for

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        attempt = None
        try:
            with login_attempt(username=username, proof=self.data.get(PROOF_FIELD)) as attempt:
                return super().clean()
        except AttemptsPaused as paused:
            raise _paused(paused) from None
        except LoginProofRequired as required:
            self.proof_of_work = challenge_json(purpose=required.purpose)
            raise forms.ValidationError(required.translated, code="proof_required") from None
        except forms.ValidationError:
            # A wrong password that made the account ask for proofs: the page shows the check.
            if attempt is not None and attempt.status is not None and attempt.status.proof_required:
                self.proof_of_work = challenge_json(purpose=login_proof_purpose(username))
            raise


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    """The portal's log-in form: an e-mail field (a phone shows its e-mail keyboard) and the
    autocomplete names password managers look for."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget = forms.EmailInput(
            attrs={
                "autocomplete": "username",
                "inputmode": "email",
                "autocapitalize": "off",
                "spellcheck": "false",
                "autofocus": True,
                "maxlength": self.fields["username"].max_length,
            }
        )
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The Django admin's log-in form, under the same limits (its accounts are the strongest)."""


class PasswordResetRequestForm(PasswordResetForm):
    """Password reset, limited per address (``accounts.services.password_reset_count``).

    An account that never had a password (made by an import, an admin or the API) gets an
    invitation instead, which sets its first one; Django's reset skips such accounts. The page
    says the same words whatever the address.
    """

    def send_mail(
        self, subject_template_name, email_template_name, context, from_email, *args, **kwargs
    ):
        """In the school's name (accounts.mail), as every e-mail of the portal."""
        sender = school_sender(context["user"].institution)
        super().send_mail(
            subject_template_name, email_template_name, context, sender, *args, **kwargs
        )

    def clean(self):
        cleaned = super().clean()
        try:
            password_reset_count()
        except AttemptsPaused as paused:
            raise _paused(paused) from None
        return cleaned

    def save(self, *args, request=None, **kwargs):
        if request is not None:
            invitation_request_for_login(
                email=self.cleaned_data["email"], base_url=request.build_absolute_uri("/")
            )
        return super().save(*args, request=request, **kwargs)


def _paused(paused: AttemptsPaused) -> forms.ValidationError:
    return forms.ValidationError(
        gettext(paused.message), code="paused", params={"wait": wait_in_words(paused.until)}
    )


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


PASSWORDS_AGAIN = _(
    "For your safety the passwords are not sent back to this page: please enter your password "
    "again in both fields."
)


class SignUpForm(forms.Form):
    """Name, e-mail and a new password twice: what every sign-up asks (parents, students,
    teachers), with the attributes that bring up a phone's e-mail keyboard and let a password
    manager offer and save a new password."""

    name = forms.CharField(
        label=_("Your Name"),
        max_length=255,
        widget=forms.TextInput(attrs={"autocomplete": "name", "autocapitalize": "words"}),
    )
    email = forms.EmailField(
        label=_("Your Email"),
        max_length=254,
        widget=forms.EmailInput(
            attrs={"autocomplete": "username", "inputmode": "email", "autocapitalize": "off"}
        ),
    )
    password = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password_confirmation = forms.CharField(
        label=_("Re-enter Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def ask_for_passwords_again(self) -> None:
        """A form sent back with an error keeps every answer but the passwords (never written
        into a page): say so on the password field, unless it already says what is wrong."""
        if self.data.get("password") and "password" not in self.errors:
            self.add_error("password", gettext(PASSWORDS_AGAIN))

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if password and password != cleaned.get("password_confirmation"):
            self.add_error("password_confirmation", gettext("The two passwords are not the same."))
        elif password:
            try:
                password_policy_check(
                    password=password, name=cleaned.get("name", ""), email=cleaned.get("email", "")
                )
            except PasswordRefused as error:
                self.add_error("password", error.problems)
        return cleaned
