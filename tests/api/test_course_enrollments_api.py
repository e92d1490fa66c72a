"""R16 list a course's enrollments, R17 add a course-only observer, R18 end an enrollment."""

import pytest

from accounts.roles import Role
from courses.models import Enrollment, EnrollmentState
from pairing.models import ObserverLink
from tests.api.helpers import (
    assert_enrollment_json,
    assert_not_found,
    assert_unauthorized,
    assert_user_json,
)
from tests.factories import EnrollmentFactory, UserFactory
from tests.pairing.helpers import new_code


def observer_body(*, observer, student) -> str:
    """Exactly what canvasapi's Course.enroll_user sends, in its order."""
    return (
        f"enrollment[type]=ObserverEnrollment&enrollment[associated_user_id]={student.pk}"
        f"&enrollment[enrollment_state]=active&enrollment[user_id]={observer.pk}"
    )


# --- R16 GET /courses/:course_id/enrollments ------------------------------------------------------


@pytest.mark.parametrize("caller", ["teacher", "admin"])
def test_teachers_and_admins_list_the_courses_enrollments(
    api_as, request, course, teacher, student, caller
):
    response = api_as(request.getfixturevalue(caller)).get(f"courses/{course.pk}/enrollments")
    assert response.status_code == 200
    rows = response.json()
    for row in rows:
        assert_enrollment_json(row)
        assert row["course_id"] == course.pk
    assert sorted((row["user_id"], row["type"]) for row in rows) == sorted(
        [(teacher.pk, "TeacherEnrollment"), (student.pk, "StudentEnrollment")]
    )


def test_after_redeeming_the_list_holds_the_linked_observer_enrollment(
    api_as, course, teacher, observer, student
):
    redeemed = api_as(observer).post(
        f"users/{observer.pk}/observees", {"pairing_code": new_code(student)}
    )
    assert redeemed.status_code == 200
    response = api_as(teacher).get(
        f"courses/{course.pk}/enrollments", {"type[]": ["ObserverEnrollment"]}
    )
    assert response.status_code == 200
    [row] = response.json()
    assert (row["type"], row["user_id"], row["associated_user_id"]) == (
        "ObserverEnrollment",
        observer.pk,
        student.pk,
    )
    assert row["enrollment_state"] == "active"


def test_the_type_filter_keeps_only_that_type(api_as, link, course, teacher, student):
    response = api_as(teacher).get(
        f"courses/{course.pk}/enrollments", {"type[]": ["StudentEnrollment"]}
    )
    assert [(row["type"], row["user_id"]) for row in response.json()] == [
        ("StudentEnrollment", student.pk)
    ]


def test_include_user_attaches_each_user(api_as, admin, course, student):
    response = api_as(admin).get(
        f"courses/{course.pk}/enrollments",
        {"type[]": ["StudentEnrollment"], "include[]": ["user"]},
    )
    [row] = response.json()
    assert_user_json(row["user"], student)


def test_deleted_enrollments_are_not_listed_by_default(api_as, teacher, course, student):
    gone = EnrollmentFactory(course=course, state=EnrollmentState.DELETED)
    rows = api_as(teacher).get(f"courses/{course.pk}/enrollments").json()
    assert gone.pk not in [row["id"] for row in rows]


def test_someone_outside_the_course_may_not_list_its_enrollments(api_as, other, course):
    # 404, as for no course: a 401 would tell which course ids exist.
    assert_not_found(api_as(other).get(f"courses/{course.pk}/enrollments"))


def test_listing_an_unknown_courses_enrollments_is_404(api_as, admin):
    assert_not_found(api_as(admin).get("courses/987654321/enrollments"))


# --- R17 POST /courses/:course_id/enrollments -----------------------------------------------------


@pytest.mark.parametrize("caller", ["teacher", "admin"])
def test_a_teacher_or_admin_adds_a_course_only_observer(
    api_as, request, course, observer, student, caller
):
    response = api_as(request.getfixturevalue(caller)).post_form(
        f"courses/{course.pk}/enrollments", observer_body(observer=observer, student=student)
    )
    assert response.status_code == 200, response.content
    row = response.json()
    assert_enrollment_json(row)
    assert (row["type"], row["user_id"], row["associated_user_id"], row["course_id"]) == (
        "ObserverEnrollment",
        observer.pk,
        student.pk,
        course.pk,
    )
    assert row["enrollment_state"] == "active"
    assert not ObserverLink.objects.exists()
    assert Enrollment.objects.get(pk=row["id"]).associated_user == student


def test_observing_someone_who_is_not_a_student_here_is_400(api_as, teacher, course, observer):
    classmate_elsewhere = EnrollmentFactory(course__institution=course.institution).user
    for not_a_student in (teacher, classmate_elsewhere):
        response = api_as(teacher).post_form(
            f"courses/{course.pk}/enrollments",
            observer_body(observer=observer, student=not_a_student),
        )
        assert response.status_code == 400
        assert response.json()["errors"][0]["message"]
    assert not Enrollment.objects.filter(user=observer).exists()


@pytest.mark.parametrize(
    ("caller", "answer"), [("student", assert_unauthorized), ("other", assert_not_found)]
)
def test_students_and_outsiders_may_not_add_observers(
    api_as, request, course, observer, student, caller, answer
):
    response = api_as(request.getfixturevalue(caller)).post_form(
        f"courses/{course.pk}/enrollments", observer_body(observer=observer, student=student)
    )
    answer(response)  # someone outside the course does not learn it exists
    assert not Enrollment.objects.filter(user=observer).exists()


def test_adding_an_unknown_observer_is_404(api_as, teacher, course, student):
    ghost = UserFactory.build(pk=987654321)
    response = api_as(teacher).post_form(
        f"courses/{course.pk}/enrollments", observer_body(observer=ghost, student=student)
    )
    assert_not_found(response)


# --- R18 DELETE /courses/:course_id/enrollments/:id -----------------------------------------------


@pytest.fixture
def course_observer(course, observer, student):
    return Enrollment.objects.create(
        course=course, user=observer, type=Role.OBSERVER, associated_user=student
    )


@pytest.mark.parametrize("caller", ["teacher", "admin"])
def test_deleting_an_observer_enrollment_answers_with_it_and_hides_it(
    api_as, request, admin, course, observer, course_observer, caller
):
    path = f"courses/{course.pk}/enrollments/{course_observer.pk}"
    response = api_as(request.getfixturevalue(caller)).delete(path, "task=delete")
    assert response.status_code == 200
    row = response.json()
    assert_enrollment_json(row)
    assert (row["id"], row["enrollment_state"]) == (course_observer.pk, "deleted")

    reader = api_as(admin)
    in_course = reader.get(f"courses/{course.pk}/enrollments").json()
    assert course_observer.pk not in [r["id"] for r in in_course]
    of_observer = reader.get(f"users/{observer.pk}/enrollments").json()
    assert of_observer == []


def test_ending_a_students_enrollment_is_refused(api_as, teacher, course, student):
    enrollment = Enrollment.objects.get(user=student, course=course)
    response = api_as(teacher).delete(
        f"courses/{course.pk}/enrollments/{enrollment.pk}", "task=delete"
    )
    assert_unauthorized(response)
    enrollment.refresh_from_db()
    assert enrollment.state == EnrollmentState.ACTIVE


@pytest.mark.parametrize(
    ("caller", "status"), [("student", 401), ("other", 404), ("observer", 401)]
)
def test_others_may_not_delete_an_observer_enrollment(
    api_as, request, course, course_observer, caller, status
):
    response = api_as(request.getfixturevalue(caller)).delete(
        f"courses/{course.pk}/enrollments/{course_observer.pk}", "task=delete"
    )
    assert response.status_code == status  # 404 for someone outside the course
    assert "WWW-Authenticate" not in response.headers
    course_observer.refresh_from_db()
    assert course_observer.state == EnrollmentState.ACTIVE


def test_deleting_an_unknown_enrollment_is_404(api_as, teacher, course):
    assert_not_found(
        api_as(teacher).delete(f"courses/{course.pk}/enrollments/987654321", "task=delete")
    )


def test_an_unknown_task_is_400(api_as, teacher, course, course_observer):
    response = api_as(teacher).delete(
        f"courses/{course.pk}/enrollments/{course_observer.pk}", "task=explode"
    )
    assert response.status_code == 400
    course_observer.refresh_from_db()
    assert course_observer.state == EnrollmentState.ACTIVE
