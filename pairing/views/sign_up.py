"""A parent signs up with a pairing code."""

from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from accounts.errors import AccountError
from accounts.models import SelfRegistration
from accounts.proof_of_work import PROOF_FIELD
from accounts.selectors import institution_for_host
from pairing.errors import PairingError
from pairing.forms import ObserverSignUpForm
from pairing.services import ProofOfWorkRequired, observer_sign_up, redemption_challenge


@require_http_methods(["GET", "POST"])
def observer_sign_up_page(request):
    if request.user.is_authenticated:
        return redirect("observees")
    institution = institution_for_host(request.get_host())
    if institution is None or institution.self_registration == SelfRegistration.NONE:
        return render(request, "pairing/sign_up_disabled.html", status=403)
    form = ObserverSignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            observer = observer_sign_up(
                institution=institution,
                name=data["name"],
                email=data["email"],
                password=data["password"],
                code=data["code"],
                proof=request.POST.get(PROOF_FIELD),
            )
        except ProofOfWorkRequired as error:
            form.add_error(None, error.translated)
        except PairingError as error:
            form.add_error("code", error.translated)
        except AccountError as error:
            form.add_error(
                "email" if error.message == AccountError.EMAIL_TAKEN else "name", error.translated
            )
        else:
            login(request, observer, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request, gettext("Welcome! Your account is ready and linked to your student.")
            )
            return redirect("home")
    if form.errors:
        form.ask_for_passwords_again()
    form.proof_of_work = redemption_challenge(institution_id=institution.pk, sign_up=True)
    return render(request, "pairing/sign_up.html", {"form": form, "institution": institution})
