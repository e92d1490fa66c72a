from django import forms


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
