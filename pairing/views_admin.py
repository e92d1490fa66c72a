"""Admin pages of an institution that act on observers: users and their links."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from accounts.services import act_as_refusal
from pairing.access import get_institution_user_for_admin, get_observer_link_for_user
from pairing.errors import PairingError
from pairing.forms import LinkUserForm, UserSearchForm
from pairing.models import ObserverLinkSource
from pairing.selectors import (
    institution_user_by_login_or_sis_id,
    institution_users_matching,
    links_of,
    observers_of,
)
from pairing.services import (
    observer_link_create_by_admin,
    observer_link_remove,
    pairing_codes_active_count,
    pairing_codes_revoke_refusal,
)

USERS_PER_PAGE = 50

# --- Observer management: find a user, see and change their links -----------------------------------


@require_GET
@login_required
def institution_users(request, institution_id: int):
    institution, _ = get_institution_user_for_admin(request.user, institution_id)
    form = UserSearchForm(request.GET or None)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    users = institution_users_matching(institution_id=institution.pk, query=query)
    page = Paginator(users, USERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "pairing/institution_users.html",
        {"institution": institution, "form": form, "page": page, "query": query},
    )


@require_GET
@login_required
def institution_user(request, institution_id: int, user_id: int):
    institution, member = get_institution_user_for_admin(request.user, institution_id, user_id)
    observees, observers = links_of(user=member)
    return render(
        request,
        "pairing/institution_user.html",
        {
            "institution": institution,
            "member": member,
            "observees": [(link, link.student) for link in observees],
            "observers": [(link, link.observer) for link in observers],
            "link_form": LinkUserForm(),
            "may_act_as": act_as_refusal(actor=request.user, subject=member) is None,
            # The same rules as the actions: one function decides the button and the POST.
            "active_codes": pairing_codes_active_count(student=member)
            if pairing_codes_revoke_refusal(student=member, by=request.user) is None
            else None,
            "observed_at_all": bool(observers) or bool(observers_of(student=member)),
        },
    )


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
    try:
        observer_link_remove(link=link, by=request.user)
    except PairingError as error:
        messages.error(request, error.translated)
    else:
        messages.success(
            request,
            gettext("%(observer)s no longer observes %(student)s.")
            % {"observer": link.observer.name, "student": link.student.name},
        )
    back_to = request.POST.get("back_to_user")
    member_id = int(back_to) if back_to and back_to.isdigit() else link.observer_id
    return redirect("institution_user", institution.pk, member_id)
