from django import forms

from accounts.models import SelfRegistration
from accounts.roles import PERMISSION_RULES, Permission, Role


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
