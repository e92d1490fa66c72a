from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from accounts.errors import AccountError, AttemptsPaused
from accounts.permissions import is_institution_admin
from accounts.roles import Role
from accounts.selectors import institution_for_host
from accounts.services import sign_up_open_to_everyone
from accounts.throttle import wait_in_words
from courses.access import get_course_for_user
from courses.errors import CourseError
from courses.forms import CourseSelfEnrollmentForm, StudentSignUpForm
from courses.models import Enrollment
from courses.selectors import (
    course_navigation,
    course_teachers,
    enrollments_for_user,
    institution_courses,
    own_enrollments_in,
)
from courses.services import (
    course_self_enrollment_refusal,
    course_self_enrollment_set,
    student_sign_up,
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
    """The course's front page. Observers see here each student they observe in it, the teachers
    and how to reach them, and what an observer sees; never the roster."""
    course = get_course_for_user(request.user, course_id)
    mine = list(own_enrollments_in(course=course, user=request.user))
    observed = [e.associated_user for e in mine if e.associated_user_id]
    observed_enrollments = (
        Enrollment.objects.undeleted()
        .filter(course=course, user__in=observed, type=Role.STUDENT)
        .select_related("user")
        .order_by("user__sortable_name", "user_id")
    )
    is_admin = is_institution_admin(request.user, course.institution_id)
    return render(
        request,
        "courses/course_detail.html",
        {
            "course": course,
            "course_nav": course_navigation(
                course=course,
                user=request.user,
                current="home",
                roster=is_admin or any(e.type != Role.OBSERVER for e in mine),
            ),
            "teachers": course_teachers(course=course),
            "mine": mine,
            "observed_enrollments": observed_enrollments,
            "is_observer": bool(observed),
            "roster_visible": is_admin or any(e.type != Role.OBSERVER for e in mine),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def course_settings(request, course_id: int):
    """Course Settings: course self-enrollment (a join code students sign up with)."""
    course = get_course_for_user(request.user, course_id, roster=True)
    refusal = course_self_enrollment_refusal(course=course, by=request.user)
    if refusal == CourseError.NOT_ALLOWED_TO_CHANGE:
        raise PermissionDenied(gettext(refusal))
    # Bound on every POST: an unticked box sends nothing at all.
    form = CourseSelfEnrollmentForm(
        request.POST if request.method == "POST" else None,
        initial={"enabled": course.self_enrollment_code is not None},
    )
    if request.method == "POST" and form.is_valid():
        try:
            course_self_enrollment_set(
                course=course, enabled=form.cleaned_data["enabled"], by=request.user
            )
        except CourseError as error:
            form.add_error("enabled", error.translated)
        else:
            messages.success(request, gettext("Course settings saved."))
            return redirect("course_settings", course.pk)
    return render(
        request,
        "courses/course_settings.html",
        {
            "course": course,
            "course_nav": course_navigation(course=course, user=request.user, current="settings"),
            "form": form,
            "closed": refusal == CourseError.COURSE_CLOSED,
            "students_may_sign_up": sign_up_open_to_everyone(course.institution),
        },
    )


@require_http_methods(["GET", "POST"])
def student_sign_up_page(request):
    """Students sign up with their course's join code, while the school allows all accounts."""
    if request.user.is_authenticated:
        return redirect("home")
    institution = institution_for_host(request.get_host())
    if not sign_up_open_to_everyone(institution):
        return render(request, "pairing/sign_up_disabled.html", status=403)
    form = StudentSignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            student, course = student_sign_up(
                institution=institution,
                name=data["name"],
                email=data["email"],
                password=data["password"],
                join_code=data["join_code"],
            )
        except AttemptsPaused as paused:
            form.add_error(None, gettext(paused.message) % {"wait": wait_in_words(paused.until)})
        except CourseError as error:
            form.add_error("join_code", error.translated)
        except AccountError as error:
            form.add_error(
                "email" if error.message == AccountError.EMAIL_TAKEN else "name", error.translated
            )
        else:
            login(request, student, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                gettext("Welcome! Your account is ready and you have joined %(course)s.")
                % {"course": course.name},
            )
            return redirect("home")
    if form.errors:
        form.ask_for_passwords_again()
    return render(
        request, "courses/student_sign_up.html", {"form": form, "institution": institution}
    )
