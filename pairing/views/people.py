"""The People page, User Details, and course-only observers added and removed there."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from accounts.permissions import permissions_for
from accounts.roles import Permission, Role
from courses.access import get_course_for_user, sees_all_observers
from courses.selectors import course_navigation, course_roster
from pairing.access import get_course_enrollment_for_user, get_course_member_for_user
from pairing.errors import PairingError
from pairing.forms import CourseObserverForm, PairingLettersForm
from pairing.selectors import course_observers_of, member_enrollments
from pairing.services import (
    course_observer_add,
    course_observer_remove,
    may_export_pairing_codes,
    pair_with_observer_note,
    pairing_code_refusal,
    pairing_codes_active_count,
    pairing_codes_revoke_refusal,
)

ROSTER_PAGE_SIZE = 100


@require_GET
@login_required
def course_people(request, course_id: int):
    """The roster, with the pairing actions of the People page's options menus."""
    course = get_course_for_user(request.user, course_id, roster=True)
    permissions = permissions_for(request.user, course=course)
    staff_view = Permission.ALLOW_COURSE_ADMIN_ACTIONS in permissions
    roster = course_roster(
        course=course,
        viewer=request.user,
        include_inactive=staff_view,
        all_observers=sees_all_observers(permissions),
    )
    page = Paginator(roster, ROSTER_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "courses/people.html",
        {
            "course": course,
            "course_nav": course_navigation(
                course=course,
                user=request.user,
                current="people",
                roster=True,
                permissions=permissions,
            ),
            "page": page,
            "staff_view": staff_view,
            "may_export": may_export_pairing_codes(course=course, by=request.user),
            "letters_paper": PairingLettersForm.default_paper(),
        },
    )


@require_GET
@login_required
def course_user_details(request, course_id: int, user_id: int):
    course, member = get_course_member_for_user(request.user, course_id, user_id)
    permissions = permissions_for(request.user, course=course)
    seen_by = {"viewer": request.user, "all_observers": sees_all_observers(permissions)}
    enrollments = list(member_enrollments(course=course, user=member, **seen_by))
    is_student = any(e.type == Role.STUDENT for e in enrollments)
    # A student's observers: for those who manage the course's, and for the student themself.
    shows_observers = is_student and (seen_by["all_observers"] or member.pk == request.user.pk)
    may_pair = (
        Permission.ALLOW_COURSE_ADMIN_ACTIONS in permissions
        and pairing_code_refusal(student=member, by=request.user) is None
    )
    # A leaked code: those who may make codes for the student see how many work and can stop them.
    may_revoke = (
        is_student
        and Permission.ALLOW_COURSE_ADMIN_ACTIONS in permissions
        and pairing_codes_revoke_refusal(student=member, by=request.user) is None
    )
    active_codes = pairing_codes_active_count(student=member) if may_revoke else None
    # Where the button would be, staff are told why it is not (students see their own page).
    pair_note = (
        pair_with_observer_note(
            student=member,
            by=request.user,
            may_act_for_student=Permission.ALLOW_COURSE_ADMIN_ACTIONS in permissions,
        )
        if is_student and member.pk != request.user.pk and seen_by["all_observers"]
        else None
    )
    return render(
        request,
        "pairing/user_details.html",
        {
            "course": course,
            "course_nav": course_navigation(
                course=course,
                user=request.user,
                current="people",
                roster=True,
                permissions=permissions,
            ),
            "member": member,
            "enrollments": enrollments,
            "is_student": is_student,
            "may_pair": may_pair,
            "pair_note": pair_note,
            "active_codes": active_codes,
            "staff_view": Permission.ALLOW_COURSE_ADMIN_ACTIONS in permissions,
            "shows_observers": shows_observers,
            "observers": (
                course_observers_of(course=course, student=member, **seen_by)
                if shows_observers
                else []
            ),
            "may_add_observer": is_student and Permission.ADD_OBSERVER_TO_COURSE in permissions,
            "may_remove_observer": Permission.REMOVE_OBSERVER_FROM_COURSE in permissions,
            "observer_form": CourseObserverForm(),
        },
    )


@require_POST
@login_required
def course_observer_add_page(request, course_id: int, user_id: int):
    course, student = get_course_member_for_user(request.user, course_id, user_id)
    form = CourseObserverForm(request.POST)
    back = redirect("course_user_details", course.pk, student.pk)
    if not form.is_valid():
        messages.error(request, gettext("Please enter the observer's e-mail address."))
        return back
    observer = User.objects.filter(
        email__iexact=form.cleaned_data["email"], institution=course.institution, is_active=True
    ).first()
    if observer is None:
        messages.error(request, gettext(PairingError.OBSERVER_NOT_FOUND))
        return back
    try:
        course_observer_add(course=course, observer=observer, student=student, by=request.user)
    except PairingError as error:
        if error.message == PairingError.NOT_ALLOWED_TO_LINK:
            raise PermissionDenied(error.translated) from None
        messages.error(request, error.translated)
    else:
        messages.success(
            request,
            gettext("%(observer)s now observes %(student)s in this course.")
            % {"observer": observer.name, "student": student.name},
        )
    return back


@require_POST
@login_required
def course_observer_remove_page(request, course_id: int, enrollment_id: int):
    enrollment = get_course_enrollment_for_user(request.user, course_id, enrollment_id)
    try:
        course_observer_remove(enrollment=enrollment, by=request.user)
    except PairingError as error:
        if error.message == PairingError.NOT_ALLOWED_TO_UNLINK:
            raise PermissionDenied(error.translated) from None
        messages.error(request, error.translated)
    else:
        messages.success(
            request,
            gettext("%(name)s no longer observes in this course.") % {"name": enrollment.user.name},
        )
    target = enrollment.associated_user_id or enrollment.user_id
    return redirect("course_user_details", enrollment.course_id, target)
