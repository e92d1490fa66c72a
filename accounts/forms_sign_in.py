"""Forms of signing in: invitations, identity providers, and a new institution (operators)."""

import csv
import io

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.errors import SignInError
from accounts.models import MatchBy, SelfRegistration
from accounts.services import OidcPreset

INVITATION_FILE_MAX_BYTES = 5 * 1024 * 1024


class InstitutionSetUpForm(forms.Form):
    name = forms.CharField(label=_("Name of the school or district"), max_length=255)
    admin_email = forms.EmailField(
        label=_("E-mail of its first admin"),
        help_text=_("They get an e-mail with a link to set their password and sign in."),
    )
    admin_name = forms.CharField(label=_("Name of its first admin"), max_length=255, required=False)
    domain = forms.CharField(
        label=_("Domain (optional)"),
        max_length=255,
        required=False,
        help_text=_(
            "The host name its people use, e.g. portal.springfield.example: its log-in page "
            "then offers its own sign-in and sign-up."
        ),
    )
    self_registration = forms.ChoiceField(
        label=_("Self Registration"),
        choices=SelfRegistration.choices,
        initial=SelfRegistration.NONE,
    )


class InvitationFileForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "users.csv, or any CSV file with a user_id, login_id or email column: everyone in it "
            "who has never signed in is invited."
        ),
    )

    def clean_file(self) -> tuple[str, set[str], set[str]]:
        """The file's name, and the SIS IDs and e-mail addresses it names."""
        upload = self.cleaned_data["file"]
        if upload.size > INVITATION_FILE_MAX_BYTES:
            raise forms.ValidationError(gettext(SignInError.FILE_UNREADABLE))
        try:
            text = upload.read().decode("utf-8-sig")
            rows = list(csv.DictReader(io.StringIO(text)))
        except (UnicodeDecodeError, csv.Error):
            raise forms.ValidationError(gettext(SignInError.FILE_UNREADABLE)) from None
        sis_ids, emails = set(), set()
        for row in rows:
            values = {
                (key or "").strip().lower(): (value or "").strip()
                for key, value in row.items()
                if isinstance(value, str)
            }
            if values.get("user_id"):
                sis_ids.add(values["user_id"])
            for column in ("login_id", "email"):
                if "@" in values.get(column, ""):
                    emails.add(values[column].lower())
        if not sis_ids and not emails:
            raise forms.ValidationError(gettext(SignInError.FILE_UNREADABLE))
        return upload.name, sis_ids, emails


class _ProviderRulesForm(forms.Form):
    match_by = forms.ChoiceField(
        label=_("Match people by"),
        choices=MatchBy.choices,
        initial=MatchBy.EMAIL,
        widget=forms.RadioSelect,
        help_text=_(
            "The provider signs in only people who already have an account here with the same "
            "login e-mail, or the same SIS ID."
        ),
    )
    sis_id_claim = forms.CharField(
        label=_("Claim or attribute carrying the SIS ID"),
        max_length=255,
        required=False,
        help_text=_("Only to match by SIS ID, e.g. employee_id, or a SAML attribute's name."),
    )
    create_accounts = forms.BooleanField(
        label=_("Create accounts for new people"),
        required=False,
        help_text=_(
            "Off: someone the portal has no account for is told to ask the school office. On: "
            "the provider may make an account for them, in this institution."
        ),
    )


class OidcProviderForm(_ProviderRulesForm):
    preset = forms.ChoiceField(
        label=_("Provider"), choices=OidcPreset.choices, initial=OidcPreset.OTHER
    )
    name = forms.CharField(
        label=_("Name on the log-in page"),
        max_length=40,
        required=False,
        help_text=_("“Sign in with …”. Google and Microsoft are named for you."),
    )
    issuer = forms.CharField(
        label=_("Issuer address"),
        max_length=255,
        required=False,
        help_text=_("For another provider, e.g. https://sso.springfield.example/realms/schools."),
    )
    tenant = forms.CharField(
        label=_("Microsoft tenant ID"),
        max_length=100,
        required=False,
        help_text=_("For Microsoft: your Microsoft Entra tenant's Directory ID."),
    )
    client_id = forms.CharField(label=_("Client ID"), max_length=191)
    client_secret = forms.CharField(
        label=_("Client secret"),
        max_length=1000,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Kept encrypted; it is never shown again."),
    )
    field_order = ["preset", "name", "issuer", "tenant", "client_id", "client_secret"]


class SamlProviderForm(_ProviderRulesForm):
    name = forms.CharField(label=_("Name on the log-in page"), max_length=40)
    metadata_url = forms.CharField(
        label=_("Identity provider's metadata address"),
        max_length=255,
        required=False,
        help_text=_(
            "Its metadata URL (https://…): read again at sign-ins, so new certificates are followed."
        ),
    )
    metadata_xml = forms.CharField(
        label=_("Or its metadata XML"),
        required=False,
        max_length=500_000,
        # Narrow enough for a phone; the page's styles may widen it.
        widget=forms.Textarea(attrs={"rows": 6, "cols": 30}),
    )
    field_order = ["name", "metadata_url", "metadata_xml"]


class ProviderSettingsForm(_ProviderRulesForm):
    is_default = forms.BooleanField(
        label=_("Default: the log-in page goes straight to this provider"),
        required=False,
        help_text=_(
            "Parents and others then reach the password form at the log-in page's address with ?local=1."
        ),
    )
