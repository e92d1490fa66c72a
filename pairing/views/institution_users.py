"""Users and observers: an admin finds a user of the institution and sees their links."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.personal_data import person_data_refusal, person_delete_refusal
from accounts.services import act_as_refusal
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
            "may_export": person_data_refusal(person=member, by=request.user) is None,
            "may_delete": person_delete_refusal(person=member, by=request.user) is None,
        },
    )
