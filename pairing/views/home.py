"""Each user's starting point, and User Settings (their names, codes, observers and tokens)."""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from accounts.errors import AccountError
from accounts.forms import ApiTokenForm, ProfileForm
from accounts.permissions import user_has_permission
from accounts.roles import Permission, Role
from accounts.selectors import api_tokens_of
from accounts.services import user_profile_update
from courses.selectors import enrollments_for_user
from pairing.selectors import observed_student_in_focus, observed_students, observers_of
from pairing.services import (
    observer_focus_remember,
    pair_with_observer_note,
    pairing_code_refusal,
    pairing_codes_active_count,
    students_may_remove_observers,
)

HOME_COURSE_LIMIT = 20


@require_GET
@login_required
def home(request):
    """Each user's starting point: their courses, the students they observe, what they may do."""
    enrollments = enrollments_for_user(user=request.user).exclude(type=Role.OBSERVER)
    observed = observed_students(observer=request.user)
    # Families with several children see one at a time, starting where they left off.
    wanted = _int_or_none(request.GET.get("student"))
    focus = observed_student_in_focus(
        observed, wanted=wanted, last=request.user.last_observed_student_id
    )
    # Remembered when the parent picks a child (an admin acting as them leaves it alone).
    if focus is not None and focus.student.pk == wanted and request.act_as is None:
        observer_focus_remember(observer=request.user, student=focus.student)
    return render(
        request,
        "pairing/home.html",
        {
            "enrollments": enrollments[:HOME_COURSE_LIMIT],
            "has_more": enrollments.count() > HOME_COURSE_LIMIT,
            "observed": observed,
            "focus": focus,
            "may_export_school": user_has_permission(
                request.user, Permission.GENERATE_OBSERVER_PAIRING_CODE
            ),
            "may_pair": pairing_code_refusal(student=request.user, by=request.user) is None,
        },
    )


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and re.fullmatch(r"[0-9]{1,18}", value) else None


@require_http_methods(["GET", "POST"])
@login_required
def profile_settings(request):
    user = request.user
    form = ProfileForm(
        request.POST or None,
        initial={
            "name": user.name,
            "short_name": user.short_name,
            "sortable_name": user.sortable_name,
            "time_zone": user.time_zone,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            user_profile_update(user=user, **form.cleaned_data)
        except AccountError as error:
            field = "time_zone" if error.message == AccountError.TIME_ZONE_INVALID else "name"
            form.add_error(field, error.translated)
        else:
            messages.success(request, gettext("Your settings were saved."))
            return redirect("profile_settings")
    return render(
        request,
        "accounts/profile_settings.html",
        {
            "form": form,
            "may_pair": pairing_code_refusal(student=user, by=user) is None,
            "pair_note": pair_with_observer_note(student=user, by=user, may_act_for_student=True),
            "observed": observed_students(observer=user),
            "active_codes": pairing_codes_active_count(student=user),
            "my_observers": list(observers_of(student=user)),
            "may_remove_observers": students_may_remove_observers(
                institution_id=user.institution_id
            ),
            "tokens": api_tokens_of(user=user),
            "token_form": ApiTokenForm(),
        },
    )
