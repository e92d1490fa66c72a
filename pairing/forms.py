from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.forms import SignUpForm
from courses.models import Course, CourseState
from pairing.models import CodeExportFormat


class PairingCodeField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(
            label=_("Student Pairing Code"),
            max_length=64,
            help_text=_(
                "Six letters and numbers from the student or their teacher. "
                "Capital and small letters matter."
            ),
            widget=forms.TextInput(
                attrs={
                    "autocomplete": "off",
                    "autocapitalize": "off",
                    "autocorrect": "off",
                    "spellcheck": "false",
                    # Filled in from a pairing link by static/js/pairing-link.js.
                    "data-pairing-code": "",
                }
            ),
            **kwargs,
        )


class RedeemCodeForm(forms.Form):
    code = PairingCodeField()


class ObserverSignUpForm(SignUpForm):
    code = PairingCodeField()


class PairingLettersForm(forms.Form):
    PAPER_CHOICES = [("letter", _("Letter")), ("a4", _("A4"))]

    paper = forms.ChoiceField(label=_("Paper size"), choices=PAPER_CHOICES)

    @staticmethod
    def default_paper() -> str:
        """US Letter for American English, A4 everywhere else."""
        return "letter" if get_language() in ("en", "en-us") else "a4"


class CodeExportForm(forms.Form):
    format = forms.ChoiceField(label=_("What to make"), choices=CodeExportFormat.choices)
    paper = forms.ChoiceField(
        label=_("Paper size (for letters)"), choices=PairingLettersForm.PAPER_CHOICES
    )
    courses = forms.ModelMultipleChoiceField(
        label=_("Courses"),
        queryset=Course.objects.none(),
        required=False,
        help_text=_("Choose none for every student of the school."),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    def __init__(self, *args, institution, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["courses"].queryset = (
            Course.objects.filter(institution=institution)
            .exclude(state=CourseState.DELETED)
            .order_by("name", "id")
        )


class CourseObserverForm(forms.Form):
    email = forms.EmailField(
        label=_("Observer's e-mail"),
        max_length=254,
        help_text=_("The observer needs an account at this school already."),
    )


class UserSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Find a user"),
        max_length=100,
        required=False,
        help_text=_("Name, e-mail or SIS ID."),
    )


class LinkUserForm(forms.Form):
    person = forms.CharField(label=_("E-mail or SIS ID"), max_length=254)
