"""Users and observers: an admin finds a user of the institution and sees their links."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from accounts.errors import AccountError
from accounts.permissions import may_administer
from accounts.personal_data import person_data_refusal, person_delete_refusal
from accounts.selectors import latest_invitation_of
from accounts.services import act_as_refusal, invitation_batch_request, invitation_refusal
from pairing.access import get_institution_user_for_admin
from pairing.forms import LinkUserForm, UserSearchForm
from pairing.selectors import institution_users_matching, links_of, observers_of
from pairing.services import pairing_codes_active_count, pairing_codes_revoke_refusal

USERS_PER_PAGE = 50


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
        {
            "institution": institution,
            "form": form,
            "page": page,
            "query": query,
            "may_invite": may_administer(request.user, institution.pk),
        },
    )


@require_POST
@login_required
def institution_users_invite(request, institution_id: int):
    """Invite everyone of a search result (all users, without one) who has never signed in."""
    institution, _ = get_institution_user_for_admin(request.user, institution_id)
    form = UserSearchForm(request.POST)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    try:
        batch = invitation_batch_request(
            institution=institution,
            people=institution_users_matching(institution_id=institution.pk, query=query),
            described_as=query,
            by=request.user,
            base_url=request.build_absolute_uri("/"),
        )
    except AccountError as error:
        messages.error(request, error.translated)
        users_page = reverse("institution_users", args=[institution.pk])
        return redirect(f"{users_page}?{urlencode({'q': query})}" if query else users_page)
    messages.success(request, gettext("The invitations are being sent."))
    return redirect("invitation_batch", institution.pk, batch.pk)


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
            "may_export": person_data_refusal(person=member, by=request.user) is None,
            "may_delete": person_delete_refusal(person=member, by=request.user) is None,
            "invitation": latest_invitation_of(user=member),
            "may_invite": invitation_refusal(by=request.user, person=member) is None,
        },
    )
