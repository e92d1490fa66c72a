from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import SignUpForm


class StudentSignUpForm(SignUpForm):
    join_code = forms.CharField(
        label=_("Join Code"),
        max_length=16,
        help_text=_("The six-character code your teacher gave you to join their course."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )


class CourseSelfEnrollmentForm(forms.Form):
    enabled = forms.BooleanField(
        label=_("Let students join this course with a join code"), required=False
    )
