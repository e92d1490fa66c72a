from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.permissions import is_institution_admin
from accounts.roles import Role
from courses.access import get_course_for_user
from courses.models import Enrollment
from courses.selectors import (
    course_teachers,
    enrollments_for_user,
    institution_courses,
    own_enrollments_in,
)


@require_GET
@login_required
def course_list(request):
    user = request.user
    admin_courses = (
        institution_courses(institution=user.institution) if user.is_account_admin else None
    )
    return render(
        request,
        "courses/course_list.html",
        {"enrollments": enrollments_for_user(user=user), "admin_courses": admin_courses},
    )


@require_GET
@login_required
def course_detail(request, course_id: int):
    """The course's front page. Observers see their student's enrollment here, never the roster."""
    course = get_course_for_user(request.user, course_id)
    mine = list(own_enrollments_in(course=course, user=request.user))
    observed = [e.associated_user for e in mine if e.associated_user_id]
    observed_enrollments = (
        Enrollment.objects.undeleted()
        .filter(course=course, user__in=observed, type=Role.STUDENT)
        .select_related("user")
    )
    is_admin = is_institution_admin(request.user, course.institution_id)
    return render(
        request,
        "courses/course_detail.html",
        {
            "course": course,
            "teachers": course_teachers(course=course),
            "mine": mine,
            "observed_enrollments": observed_enrollments,
            "roster_visible": is_admin or any(e.type != Role.OBSERVER for e in mine),
        },
    )
