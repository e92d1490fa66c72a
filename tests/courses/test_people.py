"""The course People page: who may see it, what it shows, and its cost as the roster grows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from courses.models import EnrollmentState
from tests.factories import CourseFactory, EnrollmentFactory, UserFactory


def people_url(course):
    return reverse("course_people", args=[course.pk])


@pytest.mark.parametrize("persona", ["teacher", "student", "admin"])
def test_people_in_the_course_and_admins_see_the_roster(
    client, course, teacher, student, persona, request
):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(people_url(course))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Terry Teacher" in page
    assert "Sam Student" in page


def test_anonymous_visitors_are_sent_to_log_in(client, course):
    response = client.get(people_url(course))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_someone_not_in_the_course_gets_not_found(client, course, observer):
    client.force_login(observer)
    assert client.get(people_url(course)).status_code == 404


def test_an_admin_of_another_institution_gets_not_found(client, course, other_admin):
    client.force_login(other_admin)
    assert client.get(people_url(course)).status_code == 404


def test_an_observer_sees_no_roster(client, course, student, observer):
    EnrollmentFactory(course=course, user=observer, type=Role.OBSERVER, associated_user=student)
    client.force_login(observer)
    assert client.get(people_url(course)).status_code == 403


def test_an_unknown_course_is_not_found(client, teacher):
    client.force_login(teacher)
    assert client.get(reverse("course_people", args=[999_999])).status_code == 404


def test_a_removed_student_no_longer_sees_the_roster(client, course, student):
    student.enrollments.update(state=EnrollmentState.DELETED)
    client.force_login(student)
    assert client.get(people_url(course)).status_code == 404


def test_post_is_not_allowed(client, course, teacher):
    client.force_login(teacher)
    assert client.post(people_url(course)).status_code == 405


def test_the_roster_shows_roles_states_and_whom_observers_observe(client, course, teacher, student):
    parent = UserFactory(institution=course.institution, name="Pat Parent")
    EnrollmentFactory(course=course, user=parent, type=Role.OBSERVER, associated_user=student)
    EnrollmentFactory(
        course=course,
        user=UserFactory(institution=course.institution, name="Ivy Invited"),
        state=EnrollmentState.INVITED,
    )
    client.force_login(teacher)
    page = client.get(people_url(course)).content.decode()
    assert "Observing: Sam Student" in page
    assert "Invited" in page
    assert "Teacher" in page


def test_teachers_see_ended_enrollments_and_logins_but_students_do_not(
    client, course, teacher, student
):
    EnrollmentFactory(
        course=course,
        user=UserFactory(institution=course.institution, name="Dana Dropped", sis_user_id="S-77"),
        state=EnrollmentState.INACTIVE,
    )
    client.force_login(teacher)
    page = client.get(people_url(course)).content.decode()
    assert "Dana Dropped" in page
    assert "S-77" in page
    assert student.email in page

    client.force_login(student)
    page = client.get(people_url(course)).content.decode()
    assert "Dana Dropped" not in page
    assert teacher.email not in page


def test_deleted_enrollments_and_other_courses_stay_off_the_roster(client, course, teacher):
    EnrollmentFactory(
        course=course,
        user=UserFactory(institution=course.institution, name="Gone Student"),
        state=EnrollmentState.DELETED,
    )
    EnrollmentFactory(
        course=CourseFactory(institution=course.institution),
        user=UserFactory(institution=course.institution, name="Elsewhere Student"),
    )
    client.force_login(teacher)
    page = client.get(people_url(course)).content.decode()
    assert "Gone Student" not in page
    assert "Elsewhere Student" not in page


def test_a_long_roster_is_split_into_pages_in_name_order(client, course, teacher):
    for number in range(120):
        EnrollmentFactory(
            course=course,
            user=UserFactory(institution=course.institution, name=f"Kid{number:03d} Zed"),
        )
    client.force_login(teacher)
    first = client.get(people_url(course))
    names = [e.user.name for e in first.context["page"]]
    assert len(names) == 100
    assert names == sorted(names, key=lambda n: (n != "Terry Teacher", n))
    second = client.get(people_url(course), {"page": 2})
    assert len(second.context["page"]) == 21
    assert "Next page" in first.content.decode()


def test_the_query_count_stays_flat_from_5_to_200_students(client, course, teacher):
    def queries_with(total_students: int) -> int:
        current = course.enrollments.filter(type=Role.STUDENT).count()
        for _ in range(total_students - current):
            student = UserFactory(institution=course.institution)
            EnrollmentFactory(course=course, user=student)
            EnrollmentFactory(
                course=course,
                user=UserFactory(institution=course.institution),
                type=Role.OBSERVER,
                associated_user=student,
            )
        with CaptureQueriesContext(connection) as captured:
            response = client.get(people_url(course))
        assert response.status_code == 200
        return len(captured.captured_queries)

    client.force_login(teacher)
    small, large = queries_with(5), queries_with(200)
    assert small == large
    assert large <= 10
