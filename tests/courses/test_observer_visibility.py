"""Who observes whom is for those who manage a course's people; a student sees only their own
observers: on the People page, User Details and the API's course rosters alike."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Permission, Role
from accounts.services import role_permission_set
from tests.api.helpers import bearer
from tests.factories import EnrollmentFactory, UserFactory


@pytest.fixture
def classmate(course):
    return EnrollmentFactory(
        course=course, user=UserFactory(institution=course.institution, name="Kim Classmate")
    ).user


def observes(course, student, name: str):
    """A course observer of ``student`` (as a link or a teacher would add)."""
    return EnrollmentFactory(
        course=course,
        user=UserFactory(institution=course.institution, name=name),
        type=Role.OBSERVER,
        associated_user=student,
    )


@pytest.fixture
def sams_parent(course, student):
    return observes(course, student, "Pat Parent")


@pytest.fixture
def kims_parent(course, classmate):
    return observes(course, classmate, "Olive Observer")


def people(client, course, viewer) -> str:
    client.force_login(viewer)
    response = client.get(reverse("course_people", args=[course.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_student_sees_their_own_observers_and_no_classmates(
    client, course, student, classmate, sams_parent, kims_parent
):
    page = people(client, course, classmate)

    assert "Olive Observer" in page
    assert "Observing: Kim Classmate" in page
    assert "Pat Parent" not in page
    assert "Observing: Sam Student" not in page
    assert "Sam Student" in page  # the classmate themself is listed as always


def test_the_teacher_sees_every_observer(client, course, teacher, sams_parent, kims_parent):
    page = people(client, course, teacher)

    assert "Observing: Sam Student" in page
    assert "Observing: Kim Classmate" in page


def test_a_ta_sees_observers_while_the_ta_role_may_manage_them(
    client, course, institution, admin, sams_parent
):
    ta = EnrollmentFactory(course=course, type=Role.TA).user
    assert "Pat Parent" in people(client, course, ta)

    for permission in (
        Permission.ALLOW_COURSE_ADMIN_ACTIONS,
        Permission.ADD_OBSERVER_TO_COURSE,
        Permission.REMOVE_OBSERVER_FROM_COURSE,
    ):
        role_permission_set(
            institution=institution, role=Role.TA, permission=permission, enabled=False, by=admin
        )

    assert "Pat Parent" not in people(client, course, ta)


def test_user_details_of_a_classmate_shows_none_of_their_observers(
    client, course, student, classmate, sams_parent
):
    client.force_login(classmate)

    details = client.get(reverse("course_user_details", args=[course.pk, student.pk]))
    parent = client.get(reverse("course_user_details", args=[course.pk, sams_parent.user.pk]))

    assert details.status_code == 200
    assert "Pat Parent" not in details.content.decode()
    assert "Observers in this course" not in details.content.decode()
    assert parent.status_code == 404


def test_user_details_of_a_student_who_observes_a_classmate_hides_that_enrollment(
    client, course, teacher, student, classmate
):
    EnrollmentFactory(course=course, user=student, type=Role.OBSERVER, associated_user=classmate)
    url = reverse("course_user_details", args=[course.pk, student.pk])

    client.force_login(EnrollmentFactory(course=course).user)
    seen_by_a_third_student = client.get(url).content.decode()
    client.force_login(teacher)
    seen_by_the_teacher = client.get(url).content.decode()

    assert "Observer of Kim Classmate" not in seen_by_a_third_student
    assert "Observer of Kim Classmate" in seen_by_the_teacher


def test_a_student_sees_their_own_observers_on_their_details(client, course, student, sams_parent):
    client.force_login(student)

    page = client.get(reverse("course_user_details", args=[course.pk, student.pk]))
    parent = client.get(reverse("course_user_details", args=[course.pk, sams_parent.user.pk]))

    assert "Pat Parent" in page.content.decode()
    assert parent.status_code == 200


def test_the_teacher_sees_a_students_observers_on_user_details(
    client, course, teacher, student, sams_parent
):
    client.force_login(teacher)

    page = client.get(reverse("course_user_details", args=[course.pk, student.pk]))

    assert "Pat Parent" in page.content.decode()


# --- The API ------------------------------------------------------------------------------------


def api(client, viewer, path: str, params: dict | None = None):
    response = client.get(f"/api/v1/{path}", params or {}, **bearer(viewer))
    assert response.status_code == 200, response.content
    return response.json()


def test_the_enrollments_list_gives_a_student_only_their_own_observers(
    client, course, student, classmate, sams_parent, kims_parent
):
    rows = api(client, classmate, f"courses/{course.pk}/enrollments", {"type[]": [Role.OBSERVER]})

    assert [(r["user_id"], r["associated_user_id"]) for r in rows] == [
        (kims_parent.user_id, classmate.pk)
    ]


def test_the_enrollments_list_gives_the_teacher_every_observer(
    client, course, teacher, sams_parent, kims_parent
):
    rows = api(client, teacher, f"courses/{course.pk}/enrollments", {"type[]": [Role.OBSERVER]})

    assert {r["user_id"] for r in rows} == {sams_parent.user_id, kims_parent.user_id}


@pytest.mark.parametrize("route", ["users", "search_users"])
def test_the_user_lists_give_a_student_only_their_own_observers(
    client, course, classmate, sams_parent, kims_parent, route
):
    rows = api(
        client,
        classmate,
        f"courses/{course.pk}/{route}",
        {"enrollment_type[]": ["observer"], "include[]": ["enrollments"]},
    )

    assert [r["id"] for r in rows] == [kims_parent.user_id]
    assert [e["associated_user_id"] for e in rows[0]["enrollments"]] == [classmate.pk]


def test_a_classmates_observer_is_not_found_through_the_api(client, course, classmate, sams_parent):
    response = client.get(
        f"/api/v1/courses/{course.pk}/users/{sams_parent.user_id}", **bearer(classmate)
    )

    assert response.status_code == 404


def test_the_people_page_of_a_student_takes_the_same_queries_however_many_observers(
    client, course, student
):
    def queries_with(observers: int) -> int:
        for number in range(observers):
            observes(course, EnrollmentFactory(course=course).user, f"Parent{number:03d} X")
        client.force_login(student)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("course_people", args=[course.pk])).status_code == 200
        return len(captured.captured_queries)

    assert queries_with(3) == queries_with(60)
