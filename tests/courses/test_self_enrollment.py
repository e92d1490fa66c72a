"""Course self-enrollment (seed 000's note): a teacher gives the course a join code, and under
"All account types" a student signs up with it and is enrolled."""

import pytest
from django.urls import reverse

from accounts.models import AuditAction, AuditEvent, SelfRegistration, User
from accounts.roles import Role
from courses.errors import CourseError
from courses.models import CourseState, Enrollment, EnrollmentState
from courses.services import course_self_enrollment_set

PASSWORD = "quiet-meadow-at-dawn"
SIGN_UP = reverse("student_sign_up")


def settings_url(course):
    return reverse("course_settings", args=[course.pk])


def all_account_types(institution):
    institution.self_registration = SelfRegistration.ALL
    institution.save()


def sign_up(client, join_code, **changes):
    data = {
        "name": "Nia Newcomer",
        "email": "nia@example.test",
        "password": PASSWORD,
        "password_confirmation": PASSWORD,
        "join_code": join_code,
    }
    return client.post(SIGN_UP, {**data, **changes})


def test_a_teacher_turns_self_enrollment_on_and_gets_a_join_code(client, course, teacher):
    client.force_login(teacher)
    assert "Join code" not in client.get(settings_url(course)).content.decode()

    response = client.post(settings_url(course), {"enabled": "on"}, follow=True)

    course.refresh_from_db()
    assert len(course.self_enrollment_code) == 6
    assert course.self_enrollment_code in response.content.decode()
    event = AuditEvent.objects.get(action=AuditAction.SELF_ENROLLMENT_CHANGED)
    assert event.details == {"course": course.pk, "enabled": True}

    client.post(settings_url(course), {})
    course.refresh_from_db()
    assert course.self_enrollment_code is None


def test_the_course_navigation_offers_settings_to_those_who_may_change_them(
    client, course, teacher, student
):
    client.force_login(teacher)
    assert (
        f'href="{settings_url(course)}"'
        in client.get(reverse("course_detail", args=[course.pk])).content.decode()
    )
    client.force_login(student)
    page = client.get(reverse("course_detail", args=[course.pk])).content.decode()
    assert f'href="{settings_url(course)}"' not in page
    assert 'aria-label="Course Navigation"' in page
    assert client.get(settings_url(course)).status_code == 403


def test_a_concluded_course_cannot_be_opened_for_joining(course, admin):
    course.state = CourseState.COMPLETED
    course.save()
    with pytest.raises(CourseError) as refused:
        course_self_enrollment_set(course=course, enabled=True, by=admin)
    assert refused.value.message == CourseError.COURSE_CLOSED


def test_a_student_signs_up_with_the_join_code_and_is_enrolled(client, institution, course, admin):
    all_account_types(institution)
    code = course_self_enrollment_set(course=course, enabled=True, by=admin).self_enrollment_code

    response = sign_up(client, f" {code.lower()} ")

    assert response.url == reverse("home")
    student = User.objects.get(email="nia@example.test")
    enrollment = Enrollment.objects.get(user=student)
    assert (enrollment.course, enrollment.type, enrollment.state) == (
        course,
        Role.STUDENT,
        EnrollmentState.ACTIVE,
    )
    assert AuditEvent.objects.filter(action=AuditAction.SELF_ENROLLED, subject_id=student.pk)


def test_a_wrong_join_code_makes_nothing_and_says_so(client, institution, course, admin):
    all_account_types(institution)
    course_self_enrollment_set(course=course, enabled=True, by=admin)

    response = sign_up(client, "NOPE42")

    assert response.status_code == 200
    assert CourseError.INVALID_JOIN_CODE in response.content.decode()
    assert not User.objects.filter(email="nia@example.test").exists()


def test_a_code_switched_off_no_longer_lets_anyone_join(client, institution, course, admin):
    all_account_types(institution)
    code = course_self_enrollment_set(course=course, enabled=True, by=admin).self_enrollment_code
    course_self_enrollment_set(course=course, enabled=False, by=admin)
    assert CourseError.INVALID_JOIN_CODE in sign_up(client, code).content.decode()


@pytest.mark.parametrize("value", [SelfRegistration.NONE, SelfRegistration.OBSERVER])
def test_students_sign_up_only_under_all_account_types(client, institution, course, admin, value):
    institution.self_registration = value
    institution.save()
    code = course_self_enrollment_set(course=course, enabled=True, by=admin).self_enrollment_code
    assert client.get(SIGN_UP).status_code == 403
    assert sign_up(client, code).status_code == 403
    assert not User.objects.filter(email="nia@example.test").exists()
