from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from rostering.models import SisImportType
from rostering.sis_csv import MAX_FILE_BYTES


class SisImportForm(forms.Form):
    import_type = forms.ChoiceField(
        label=_("Format"),
        choices=SisImportType.choices,
        initial=SisImportType.INSTRUCTURE_CSV,
        required=False,  # not given: Canvas SIS CSV, as before there was a choice
        help_text=_(
            "Canvas SIS CSV: users.csv, courses.csv, enrollments.csv or user_observers.csv, or a "
            "zip of several. OneRoster: the zip a student information system, ClassLink or Clever "
            "exports, with its manifest.csv."
        ),
    )
    file = forms.FileField(label=_("CSV or zip file"))
    dry_run = forms.BooleanField(
        label=_("Dry run: check the file and count what would change, without changing anything"),
        required=False,
    )
    send_invitations = forms.BooleanField(
        label=_("Invite the new users: e-mail each one a link to choose a password"),
        required=False,
    )
    oneroster_admins = forms.BooleanField(
        label=_("OneRoster: make its administrators account admins of this institution"),
        required=False,
    )
    oneroster_identifier = forms.BooleanField(
        label=_("OneRoster: take SIS ids from the identifier column instead of sourcedId"),
        required=False,
    )

    def clean_import_type(self):
        return self.cleaned_data["import_type"] or SisImportType.INSTRUCTURE_CSV

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                gettext("The file is larger than %(size)d MB; split it into smaller files.")
                % {"size": MAX_FILE_BYTES // (1024 * 1024)}
            )
        return upload
