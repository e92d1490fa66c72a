from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from rostering.sis_csv import MAX_FILE_BYTES


class SisImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or zip file"),
        help_text=_(
            "users.csv, courses.csv, enrollments.csv or user_observers.csv, or a zip of several."
        ),
    )
    dry_run = forms.BooleanField(
        label=_("Dry run: check the file and count what would change, without changing anything"),
        required=False,
    )
    send_invitations = forms.BooleanField(
        label=_("Invite the new users: e-mail each one a link to choose a password"),
        required=False,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                gettext("The file is larger than %(size)d MB; split it into smaller files.")
                % {"size": MAX_FILE_BYTES // (1024 * 1024)}
            )
        return upload
