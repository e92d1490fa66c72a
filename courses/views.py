from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.permissions import permissions_for
from accounts.roles import Permission
from courses.access import get_course_for_user
from courses.selectors import course_roster, enrollments_for_user, institution_courses

ROSTER_PAGE_SIZE = 100


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
def course_people(request, course_id: int):
    course = get_course_for_user(request.user, course_id, roster=True)
    staff_view = Permission.ALLOW_COURSE_ADMIN_ACTIONS in permissions_for(
        request.user, course=course
    )
    roster = course_roster(course=course, include_inactive=staff_view)
    page = Paginator(roster, ROSTER_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "courses/people.html",
        {"course": course, "page": page, "staff_view": staff_view},
    )
