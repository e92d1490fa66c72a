"""R10/R11 course lists, R12 a user's enrollments, R13 a course, R14/R15 its users."""

import pytest

from accounts.roles import Role
from accounts.services import api_token_create
from courses.models import EnrollmentState
from tests.api.helpers import (
    TIMESTAMP,
    assert_enrollment_json,
    assert_not_found,
    assert_unauthorized,
    assert_user_json,
    ids,
)
from tests.factories import CourseFactory, EnrollmentFactory, UserFactory


def assert_course_json(data: dict, course) -> None:
    for key in ("id", "account_id", "root_account_id"):
        assert type(data[key]) is int, key
    assert data["id"] == course.pk
    assert data["root_account_id"] == course.institution_id
    assert (data["name"], data["course_code"]) == (course.name, course.course_code)
    assert TIMESTAMP.match(data["created_at"])


# --- R10 GET /courses, R11 GET /users/:user_id/courses ------------------------------------------


def test_a_student_lists_their_courses_with_their_enrollment(api_as, course, student):
    response = api_as(student).get("courses")
    assert response.status_code == 200
    [listed] = response.json()
    assert_course_json(listed, course)
    assert listed["enrollments"] == [
        {
            "type": "student",
            "role": "StudentEnrollment",
            "user_id": student.pk,
            "enrollment_state": "active",
            "associated_user_id": None,
        }
    ]


def test_a_linked_observer_lists_the_students_course_through_the_observer_enrollment(
    api_as, link, course, observer, student
):
    caller = api_as(observer)
    for path in ("courses", f"users/{observer.pk}/courses"):
        response = caller.get(path)
        assert response.status_code == 200
        [listed] = response.json()
        assert_course_json(listed, course)
        [enrollment] = listed["enrollments"]
        assert enrollment["type"] == "observer"
        assert enrollment["associated_user_id"] == student.pk
        assert enrollment["user_id"] == observer.pk


def test_an_observer_without_links_lists_no_courses(api_as, course, student, observer):
    assert api_as(observer).get("courses").json() == []


def test_ended_enrollments_leave_the_course_list(api_as, course, student):
    ended = EnrollmentFactory(
        course__institution=course.institution, user=student, state=EnrollmentState.DELETED
    )
    assert ended.course.pk not in ids(api_as(student).get("courses"))


@pytest.mark.parametrize("caller", ["student", "observer", "admin"])
def test_the_student_a_linked_observer_and_an_admin_list_a_students_courses(
    api_as, request, link, course, student, caller
):
    response = api_as(request.getfixturevalue(caller)).get(f"users/{student.pk}/courses")
    assert response.status_code == 200
    assert ids(response) == [course.pk]


@pytest.mark.parametrize("caller", ["other", "teacher", "observer"])
def test_nobody_else_lists_a_students_courses(api_as, request, student, caller):
    # No link exists here, so the observer is just another person.
    assert_unauthorized(api_as(request.getfixturevalue(caller)).get(f"users/{student.pk}/courses"))


# --- R12 GET /users/:user_id/enrollments ----------------------------------------------------------


@pytest.fixture
def deleted_elsewhere(course, student):
    return EnrollmentFactory(
        course__institution=course.institution, user=student, state=EnrollmentState.DELETED
    )


@pytest.mark.parametrize("caller", ["student", "admin"])
def test_the_user_and_an_admin_list_the_users_enrollments(api_as, request, course, student, caller):
    response = api_as(request.getfixturevalue(caller)).get(f"users/{student.pk}/enrollments")
    assert response.status_code == 200
    [row] = response.json()
    assert_enrollment_json(row)
    assert (row["course_id"], row["user_id"], row["type"], row["enrollment_state"]) == (
        course.pk,
        student.pk,
        "StudentEnrollment",
        "active",
    )
    assert row["root_account_id"] == course.institution_id


@pytest.mark.parametrize("caller", ["other", "teacher", "observer"])
def test_nobody_else_lists_a_users_enrollments(api_as, request, link, student, caller):
    response = api_as(request.getfixturevalue(caller)).get(f"users/{student.pk}/enrollments")
    assert_unauthorized(response)


def test_deleted_enrollments_are_left_out_by_default(api_as, course, student, deleted_elsewhere):
    rows = api_as(student).get(f"users/{student.pk}/enrollments").json()
    assert [row["course_id"] for row in rows] == [course.pk]


def test_the_state_filter_finds_deleted_enrollments(api_as, student, deleted_elsewhere):
    rows = api_as(student).get(f"users/{student.pk}/enrollments", {"state[]": ["deleted"]}).json()
    assert ids_of(rows) == [deleted_elsewhere.pk]
    assert rows[0]["enrollment_state"] == "deleted"


def test_the_type_filter_keeps_only_those_types(api_as, link, course, observer, student):
    EnrollmentFactory(course__institution=course.institution, user=observer, type=Role.TA)
    rows = (
        api_as(observer)
        .get(f"users/{observer.pk}/enrollments", {"type[]": ["ObserverEnrollment"]})
        .json()
    )
    assert [(row["type"], row["associated_user_id"]) for row in rows] == [
        ("ObserverEnrollment", student.pk)
    ]


def ids_of(rows: list[dict]) -> list[int]:
    return [row["id"] for row in rows]


# --- R13 GET /courses/:id -------------------------------------------------------------------------


@pytest.mark.parametrize("caller", ["teacher", "student", "admin"])
def test_people_in_the_course_and_admins_read_it(api_as, request, course, student, caller):
    response = api_as(request.getfixturevalue(caller)).get(f"courses/{course.pk}")
    assert response.status_code == 200
    assert_course_json(response.json(), course)
    assert response.json()["workflow_state"] == course.state


def test_someone_not_in_the_course_gets_404_as_for_no_course(api_as, other, course):
    # Not 401: that would tell which course ids exist (tests/api/test_course_probing.py).
    assert_not_found(api_as(other).get(f"courses/{course.pk}"))


def test_an_unknown_course_is_404(api_as, teacher):
    assert_not_found(api_as(teacher).get("courses/987654321"))


def test_another_institutions_course_is_404(api_as, other_admin, course):
    assert_not_found(api_as(other_admin).get(f"courses/{course.pk}"))


# --- R14 GET /courses/:course_id/search_users -----------------------------------------------------


@pytest.mark.parametrize("caller", ["teacher", "admin"])
def test_teachers_and_admins_list_everyone_in_the_course_once(
    api_as, request, link, course, teacher, student, observer, caller
):
    response = api_as(request.getfixturevalue(caller)).get(f"courses/{course.pk}/search_users")
    assert response.status_code == 200
    expected = sorted([teacher, student, observer], key=lambda u: (u.sortable_name, u.pk))
    assert ids(response) == [u.pk for u in expected]
    for row, user in zip(response.json(), expected, strict=True):
        assert_user_json(row, user)


def test_the_student_filter_leaves_out_the_teacher(api_as, course, teacher, student):
    response = api_as(teacher).get(
        f"courses/{course.pk}/search_users", {"enrollment_type[]": ["student"]}
    )
    assert ids(response) == [student.pk]


def test_a_user_with_two_enrollments_is_listed_once_with_both(api_as, admin, course, student):
    EnrollmentFactory(course=course, user=student, type=Role.TA)
    response = api_as(admin).get(
        f"courses/{course.pk}/search_users",
        {"enrollment_type[]": ["student", "ta"], "include[]": ["enrollments"]},
    )
    assert ids(response) == [student.pk]
    types = sorted(e["type"] for e in response.json()[0]["enrollments"])
    assert types == ["StudentEnrollment", "TaEnrollment"]
    for enrollment in response.json()[0]["enrollments"]:
        assert_enrollment_json(enrollment)


def test_search_term_narrows_the_list(api_as, teacher, course, student):
    EnrollmentFactory(
        course=course, user=UserFactory(institution=course.institution, name="Kim Lee")
    )
    response = api_as(teacher).get(f"courses/{course.pk}/search_users", {"search_term": "sam"})
    assert ids(response) == [student.pk]


def test_an_unknown_enrollment_type_is_400(api_as, teacher, course):
    response = api_as(teacher).get(
        f"courses/{course.pk}/search_users", {"enrollment_type[]": ["parent"]}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"]


def test_searching_an_unknown_course_is_404(api_as, teacher):
    assert_not_found(api_as(teacher).get("courses/987654321/search_users"))


def test_someone_outside_the_course_may_not_list_its_users(api_as, other, course):
    assert_not_found(api_as(other).get(f"courses/{course.pk}/search_users"))


# --- R15 GET /courses/:course_id/users/:id --------------------------------------------------------


@pytest.mark.parametrize("caller", ["teacher", "admin"])
def test_teachers_and_admins_read_one_course_user(api_as, request, course, student, caller):
    response = api_as(request.getfixturevalue(caller)).get(
        f"courses/{course.pk}/users/{student.pk}"
    )
    assert response.status_code == 200
    assert_user_json(response.json(), student)


def test_a_user_not_in_the_course_is_404(api_as, teacher, course, other):
    assert_not_found(api_as(teacher).get(f"courses/{course.pk}/users/{other.pk}"))
    assert_not_found(api_as(teacher).get(f"courses/{course.pk}/users/987654321"))


def test_a_user_whose_enrollment_was_deleted_is_404(api_as, teacher, course):
    gone = EnrollmentFactory(course=course, state=EnrollmentState.DELETED).user
    assert_not_found(api_as(teacher).get(f"courses/{course.pk}/users/{gone.pk}"))


def test_reading_a_course_user_from_outside_the_course_is_refused(api_as, other, course, student):
    assert_not_found(api_as(other).get(f"courses/{course.pk}/users/{student.pk}"))


def test_a_course_of_another_institution_is_404_for_r15(api_as, other_admin, course, student):
    assert_not_found(api_as(other_admin).get(f"courses/{course.pk}/users/{student.pk}"))


def test_a_second_course_does_not_leak_into_the_first(api_as, admin, course, student):
    elsewhere = CourseFactory(institution=course.institution)
    stranger = EnrollmentFactory(course=elsewhere).user
    assert_not_found(api_as(admin).get(f"courses/{course.pk}/users/{stranger.pk}"))


def test_invited_enrollments_count_as_current(api_as, course, observer):
    invited = EnrollmentFactory(course=course, user=observer, state=EnrollmentState.INVITED)
    caller = api_as(observer)
    assert ids(caller.get("courses")) == [course.pk]
    rows = caller.get(f"users/{observer.pk}/enrollments").json()
    assert [(row["id"], row["enrollment_state"]) for row in rows] == [(invited.pk, "invited")]


def test_students_cannot_search_the_roster_by_login(client, course, student, teacher):
    token = api_token_create(user=student, purpose="t").token
    url = f"/api/v1/courses/{course.pk}/search_users"
    by_email = client.get(
        url, {"search_term": "teacher@example"}, HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert by_email.json() == []
    by_name = client.get(url, {"search_term": "Terry"}, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert [u["id"] for u in by_name.json()] == [teacher.pk]
    staff = api_token_create(user=teacher, purpose="t").token
    assert client.get(
        url, {"search_term": "sam@example"}, HTTP_AUTHORIZATION=f"Bearer {staff}"
    ).json()
