import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from courses.models import CourseState, EnrollmentState
from tests.factories import CourseFactory, EnrollmentFactory

URL = reverse("course_list")


def test_a_user_sees_their_own_courses_and_roles(client, course, student):
    EnrollmentFactory(
        course=CourseFactory(institution=course.institution, name="Algebra I"),
        user=student,
        state=EnrollmentState.INVITED,
    )
    CourseFactory(institution=course.institution, name="Not Mine")
    client.force_login(student)
    page = client.get(URL).content.decode()
    assert "Biology 101" in page
    assert "Algebra I" in page
    assert "Not Mine" not in page
    assert "All courses of" not in page


def test_deleted_courses_and_enrollments_are_left_out(client, course, student):
    EnrollmentFactory(
        course=CourseFactory(institution=course.institution, name="Dropped Course"),
        user=student,
        state=EnrollmentState.DELETED,
    )
    EnrollmentFactory(
        course=CourseFactory(
            institution=course.institution, name="Deleted Course", state=CourseState.DELETED
        ),
        user=student,
    )
    client.force_login(student)
    page = client.get(URL).content.decode()
    assert "Dropped Course" not in page
    assert "Deleted Course" not in page


def test_an_admin_also_sees_every_course_of_the_institution_with_student_counts(
    client, course, student, admin, other_admin
):
    CourseFactory(institution=other_admin.institution, name="Shelbyville Chemistry")
    client.force_login(admin)
    response = client.get(URL)
    page = response.content.decode()
    assert "All courses of Springfield Schools" in page
    assert "Shelbyville Chemistry" not in page
    assert [c.student_count for c in response.context["admin_courses"]] == [1]


def test_post_is_not_allowed(client, student):
    client.force_login(student)
    assert client.post(URL).status_code == 405


@pytest.mark.parametrize("persona", ["student", "admin"])
def test_the_query_count_does_not_grow_with_the_courses(client, course, student, admin, persona):
    user = student if persona == "student" else admin

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL).status_code == 200
        return len(captured.captured_queries)

    client.force_login(user)
    few = queries()
    for _ in range(30):
        EnrollmentFactory(
            course=CourseFactory(institution=course.institution), user=student, type=Role.STUDENT
        )
    assert queries() == few
