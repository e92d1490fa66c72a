"""Observer links: the observer's page that redeems codes, an admin linking two people, and
every way a link is removed (by its observer, its student, or an admin)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts.proof_of_work import PROOF_FIELD
from pairing.access import get_institution_user_for_admin, get_observer_link_for_user
from pairing.errors import PairingError
from pairing.forms import LinkUserForm, RedeemCodeForm
from pairing.models import ObserverLink, ObserverLinkSource
from pairing.selectors import institution_user_by_login_or_sis_id, observer_links_for
from pairing.services import (
    ProofOfWorkRequired,
    observer_link_create_by_admin,
    observer_link_remove,
    observers_clear,
    pairing_code_redeem,
    redemption_challenge,
)


@require_http_methods(["GET", "POST"])
@login_required
def observees(request):
    form = RedeemCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            redemption = pairing_code_redeem(
                code=form.cleaned_data["code"],
                observer=request.user,
                proof=request.POST.get(PROOF_FIELD),
            )
        except ProofOfWorkRequired as error:
            form.add_error(None, error.translated)
        except PairingError as error:
            form.add_error("code", error.translated)
        else:
            name = {"name": redemption.link.student.name}
            if redemption.already_linked:
                messages.info(
                    request,
                    gettext("You already observe %(name)s. The code was not used up.") % name,
                )
            else:
                messages.success(request, gettext("You are now observing %(name)s.") % name)
            return redirect("observees")
    form.proof_of_work = redemption_challenge(institution_id=request.user.institution_id)
    institution = request.user.institution
    return render(
        request,
        "pairing/observees.html",
        {
            "form": form,
            "links": observer_links_for(observer=request.user),
            "institution": institution,
            "pairing_off": institution is None or not institution.pairing_enabled,
        },
    )


@require_POST
@login_required
def observee_remove(request, link_id: int):
    link = get_observer_link_for_user(request.user, link_id, write=True)
    done = gettext("You are no longer observing %(name)s.") % {"name": link.student.name}
    _remove(request, link, done=done)
    return redirect("observees")


@require_POST
@login_required
def profile_observer_remove(request, link_id: int):
    """User Settings → Your observers → Remove, where the institution lets students do it."""
    link = get_observer_link_for_user(request.user, link_id, write=True)
    if link.student_id != request.user.pk:
        raise Http404("No such link.")
    _remove(
        request,
        link,
        done=gettext("%(name)s no longer observes you.") % {"name": link.observer.name},
    )
    return redirect("profile_settings")


@require_POST
@login_required
def institution_user_link(request, institution_id: int, user_id: int, direction: str):
    """Link ``user_id`` as observer of someone (direction "observees") or someone as its observer."""
    institution, member = get_institution_user_for_admin(request.user, institution_id, user_id)
    back = redirect("institution_user", institution.pk, member.pk)
    form = LinkUserForm(request.POST)
    other = None
    if form.is_valid():
        other = institution_user_by_login_or_sis_id(
            institution_id=institution.pk, reference=form.cleaned_data["person"]
        )
    if other is None:
        messages.error(
            request, gettext("No active user at this school has that e-mail address or SIS ID.")
        )
        return back
    observer, student = (member, other) if direction == "observees" else (other, member)
    try:
        observer_link_create_by_admin(
            observer=observer, student=student, by=request.user, source=ObserverLinkSource.ADMIN
        )
    except PairingError as error:
        messages.error(request, error.translated)
    else:
        messages.success(
            request,
            gettext("%(observer)s now observes %(student)s.")
            % {"observer": observer.name, "student": student.name},
        )
    return back


@require_POST
@login_required
def institution_link_remove(request, institution_id: int, link_id: int):
    institution, _ = get_institution_user_for_admin(request.user, institution_id)
    link = get_observer_link_for_user(request.user, link_id, write=True)
    done = gettext("%(observer)s no longer observes %(student)s.") % {
        "observer": link.observer.name,
        "student": link.student.name,
    }
    _remove(request, link, done=done)
    back_to = request.POST.get("back_to_user")
    member_id = int(back_to) if back_to and back_to.isdigit() else link.observer_id
    return redirect("institution_user", institution.pk, member_id)


@require_POST
@login_required
def institution_user_observers_clear(request, institution_id: int, user_id: int):
    """Users and observers → a student → Remove all observers (Schoology's "Clear Parents")."""
    _institution, student = get_institution_user_for_admin(request.user, institution_id, user_id)
    try:
        removed = observers_clear(student=student, by=request.user)
    except PairingError as error:
        messages.error(request, error.translated)
    else:
        messages.success(
            request,
            ngettext(
                "%(count)d observer was removed from %(name)s.",
                "%(count)d observers were removed from %(name)s.",
                removed,
            )
            % {"count": removed, "name": student.name},
        )
    return redirect("institution_user", institution_id, student.pk)


def _remove(request, link: ObserverLink, *, done: str) -> None:
    """Remove ``link`` for whoever asks, then say ``done``, or why it could not be removed."""
    try:
        observer_link_remove(link=link, by=request.user)
    except PairingError as error:
        messages.error(request, error.translated)
    else:
        messages.success(request, done)
