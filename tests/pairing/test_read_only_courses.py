"""A concluded or deleted course grants nothing through its enrollments (Canvas: a concluded course
is read-only), on the pages and the API alike; an admin's rights come from the institution."""

import pytest
from django.urls import reverse

from accounts.roles import Permission, Role
from accounts.services import role_permission_set
from courses.models import CourseState
from pairing.models import PairingCode
from tests.api.helpers import bearer

READ_ONLY = [CourseState.COMPLETED, CourseState.DELETED]


@pytest.fixture
def teacher_makes_codes(institution, teacher, admin):
    role_permission_set(
        institution=institution,
        role=Role.TEACHER,
        permission=Permission.GENERATE_OBSERVER_PAIRING_CODE,
        enabled=True,
        by=admin,
    )
    return teacher


def close(course, state) -> None:
    course.state = state
    course.save(update_fields=["state"])


def make_code_through_the_api(client, student, by):
    return client.post(f"/api/v1/users/{student.pk}/observer_pairing_codes", **bearer(by))


def test_a_teacher_of_a_live_course_makes_codes_through_the_api(
    client, course, student, teacher_makes_codes
):
    response = make_code_through_the_api(client, student, teacher_makes_codes)

    assert response.status_code == 200
    assert PairingCode.objects.filter(student=student).count() == 1


@pytest.mark.parametrize("state", READ_ONLY)
def test_a_teacher_of_a_concluded_or_deleted_course_makes_no_codes_through_the_api(
    client, course, student, teacher_makes_codes, state
):
    close(course, state)

    response = make_code_through_the_api(client, student, teacher_makes_codes)

    assert response.status_code == 401
    assert response.json()["errors"] == [
        {"message": "You are not allowed to make pairing codes for this student."}
    ]
    assert not PairingCode.objects.exists()


@pytest.mark.parametrize("state", READ_ONLY)
def test_an_admin_still_makes_codes_for_a_student_of_a_closed_course(
    client, course, student, admin, state
):
    close(course, state)

    assert make_code_through_the_api(client, student, admin).status_code == 200


def test_a_teacher_of_a_concluded_course_sees_the_people_but_may_do_nothing_there(
    client, course, student, observer, teacher_makes_codes
):
    close(course, CourseState.COMPLETED)
    client.force_login(teacher_makes_codes)

    details = client.get(reverse("course_user_details", args=[course.pk, student.pk]))
    people = client.get(reverse("course_people", args=[course.pk]))
    pair = client.post(reverse("course_user_pairing_code", args=[course.pk, student.pk]))
    export = client.post(reverse("course_pairing_codes_csv", args=[course.pk]))
    letters = client.post(reverse("course_pairing_letters", args=[course.pk]))
    add = client.post(
        reverse("course_observer_add", args=[course.pk, student.pk]),
        {"email": observer.email},
    )

    assert details.status_code == people.status_code == 200
    assert not details.context["may_pair"]
    assert not details.context["may_add_observer"]
    assert not people.context["may_export"]
    assert pair.status_code == export.status_code == letters.status_code == 403
    assert add.status_code == 403
    assert not PairingCode.objects.exists()
    assert not observer.enrollments.exists()


def test_a_teacher_of_a_deleted_course_finds_nothing_there(
    client, course, student, teacher_makes_codes
):
    close(course, CourseState.DELETED)
    client.force_login(teacher_makes_codes)

    assert (
        client.get(reverse("course_user_details", args=[course.pk, student.pk])).status_code == 404
    )
    assert (
        client.post(reverse("course_user_pairing_code", args=[course.pk, student.pk])).status_code
        == 404
    )
    assert not PairingCode.objects.exists()


@pytest.mark.parametrize(("state", "status"), [("completed", 401), ("deleted", 404)])
def test_a_teacher_of_a_closed_course_adds_no_observer_through_the_api(
    client, course, student, teacher, observer, state, status
):
    close(course, state)

    response = client.post(
        f"/api/v1/courses/{course.pk}/enrollments",
        {
            "enrollment[type]": "ObserverEnrollment",
            "enrollment[user_id]": observer.pk,
            "enrollment[associated_user_id]": student.pk,
        },
        **bearer(teacher),
    )

    assert response.status_code == status
    assert not observer.enrollments.exists()
