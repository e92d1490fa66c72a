"""R4 redeem, R5/R6 observees, R7 link by id, R8 unlink, R9 observers."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.roles import Role
from courses.models import Enrollment, EnrollmentState
from pairing.models import ObserverLink, ObserverLinkState, PairingCode, PairingCodeState
from tests.api.helpers import (
    assert_not_found,
    assert_observee_json,
    assert_unauthorized,
    assert_user_json,
    ids,
)
from tests.factories import EnrollmentFactory, UserFactory
from tests.pairing.helpers import new_code

INVALID_CODE_BODY = {"errors": [{"message": "Invalid pairing code."}]}


def active_links(observer):
    return ObserverLink.objects.filter(observer=observer, state=ObserverLinkState.ACTIVE)


# --- R4 POST /users/:user_id/observees ------------------------------------------------------------


def test_an_observer_redeems_a_code_and_gets_the_student(api_as, institution, observer, student):
    code = new_code(student)
    response = api_as(observer).post(f"users/{observer.pk}/observees", {"pairing_code": code})
    assert response.status_code == 200, response.content
    assert_observee_json(response.json(), student)
    assert response.json()["observation_link_root_account_ids"] == [institution.pk]
    assert active_links(observer).get().student == student
    assert PairingCode.objects.get(student=student).state != PairingCodeState.ACTIVE


def test_a_form_encoded_redemption_works_too(api_as, observer, student):
    body = f"pairing_code={new_code(student)}"
    response = api_as(observer).post_form(f"users/{observer.pk}/observees", body)
    assert response.status_code == 200, response.content
    assert response.json()["id"] == student.pk


def test_redeeming_gives_the_observer_the_students_courses(api_as, course, observer, student):
    api_as(observer).post(f"users/{observer.pk}/observees", {"pairing_code": new_code(student)})
    enrollment = Enrollment.objects.get(user=observer)
    assert (enrollment.course, enrollment.type, enrollment.associated_user) == (
        course,
        Role.OBSERVER,
        student,
    )
    assert enrollment.state == EnrollmentState.ACTIVE


def test_a_used_code_is_422_for_the_next_observer(api_as, institution, observer, student):
    code = new_code(student)
    first = api_as(observer).post(f"users/{observer.pk}/observees", {"pairing_code": code})
    assert first.status_code == 200
    second = UserFactory(institution=institution)
    response = api_as(second).post(f"users/{second.pk}/observees", {"pairing_code": code})
    assert response.status_code == 422
    assert response.json() == INVALID_CODE_BODY
    assert not active_links(second).exists()


@pytest.mark.parametrize("code", ["ABCDEF", "zz99zz", "short", "not a code at all"])
def test_a_code_never_issued_is_422(api_as, observer, student, code):
    new_code(student)  # a real one exists, just not this one
    response = api_as(observer).post(f"users/{observer.pk}/observees", {"pairing_code": code})
    assert response.status_code == 422
    assert response.json() == INVALID_CODE_BODY


def test_an_expired_code_is_422(api_as, observer, student):
    code = new_code(student)
    PairingCode.objects.filter(student=student).update(
        created_at=timezone.now() - timedelta(days=8),
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    response = api_as(observer).post(f"users/{observer.pk}/observees", {"pairing_code": code})
    assert response.status_code == 422
    assert response.json() == INVALID_CODE_BODY


def test_a_code_of_another_institution_is_422(api_as, other_admin, student):
    outsider = UserFactory(institution=other_admin.institution)
    code = new_code(student)
    response = api_as(outsider).post(f"users/{outsider.pk}/observees", {"pairing_code": code})
    assert response.status_code == 422
    assert response.json() == INVALID_CODE_BODY


def test_redeeming_while_already_linked_succeeds_and_still_spends_the_code(
    api_as, institution, link, observer, student
):
    # Contract R4 step 2 and §4.1: a successful R4 consumes the code, whatever link existed.
    code = new_code(student)
    again = api_as(observer).post(f"users/{observer.pk}/observees", {"pairing_code": code})
    assert again.status_code == 200
    assert_observee_json(again.json(), student)
    assert active_links(observer).count() == 1

    second = UserFactory(institution=institution)
    response = api_as(second).post(f"users/{second.pk}/observees", {"pairing_code": code})
    assert response.status_code == 422
    assert response.json() == INVALID_CODE_BODY


def test_a_missing_pairing_code_is_400(api_as, observer):
    response = api_as(observer).post(f"users/{observer.pk}/observees")
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"]


def test_nobody_redeems_a_code_for_someone_else(api_as, institution, observer, student):
    code = new_code(student)
    intruder = UserFactory(institution=institution)
    response = api_as(intruder).post(f"users/{observer.pk}/observees", {"pairing_code": code})
    assert_unauthorized(response)
    assert not ObserverLink.objects.exists()
    assert PairingCode.objects.get(student=student).state == PairingCodeState.ACTIVE


def test_an_admin_redeems_on_an_observers_behalf(api_as, admin, observer, student):
    code = new_code(student)
    response = api_as(admin).post(f"users/{observer.pk}/observees", {"pairing_code": code})
    assert response.status_code == 200, response.content
    assert_observee_json(response.json(), student)
    assert active_links(observer).get().student == student
    assert not active_links(admin).exists()


# --- R5 GET /users/:user_id/observees -------------------------------------------------------------


@pytest.mark.parametrize("caller", ["observer", "admin"])
def test_the_observer_and_an_admin_list_the_observees(
    api_as, request, link, observer, student, caller
):
    response = api_as(request.getfixturevalue(caller)).get(f"users/{observer.pk}/observees")
    assert response.status_code == 200
    assert len(response.json()) == 1
    assert_observee_json(response.json()[0], student)


@pytest.mark.parametrize("caller", ["student", "other", "teacher"])
def test_nobody_else_lists_an_observers_observees(api_as, request, link, observer, caller):
    assert_unauthorized(
        api_as(request.getfixturevalue(caller)).get(f"users/{observer.pk}/observees")
    )


def test_a_course_only_observer_enrollment_is_not_an_observee(
    api_as, teacher, course, observer, student
):
    body = (
        f"enrollment[type]=ObserverEnrollment&enrollment[associated_user_id]={student.pk}"
        f"&enrollment[enrollment_state]=active&enrollment[user_id]={observer.pk}"
    )
    assert api_as(teacher).post_form(f"courses/{course.pk}/enrollments", body).status_code == 200
    assert api_as(observer).get(f"users/{observer.pk}/observees").json() == []


def test_removed_links_are_not_listed(api_as, link, observer, student):
    api_as(observer).delete(f"users/{observer.pk}/observees/{student.pk}")
    assert api_as(observer).get(f"users/{observer.pk}/observees").json() == []


# --- R6 GET /users/:user_id/observees/:observee_id ------------------------------------------------


@pytest.mark.parametrize("caller", ["observer", "admin"])
def test_the_observer_and_an_admin_read_one_observee(
    api_as, request, link, observer, student, caller
):
    caller = request.getfixturevalue(caller)
    response = api_as(caller).get(f"users/{observer.pk}/observees/{student.pk}")
    assert response.status_code == 200
    assert_observee_json(response.json(), student)


def test_an_observee_without_a_link_is_404(api_as, observer, student):
    assert_not_found(api_as(observer).get(f"users/{observer.pk}/observees/{student.pk}"))


def test_an_unknown_observer_or_observee_is_404(api_as, admin, observer):
    assert_not_found(api_as(admin).get(f"users/{observer.pk}/observees/987654321"))
    assert_not_found(api_as(admin).get("users/987654321/observees/1"))


@pytest.mark.parametrize("caller", ["student", "other"])
def test_nobody_else_reads_an_observee(api_as, request, link, observer, student, caller):
    response = api_as(request.getfixturevalue(caller)).get(
        f"users/{observer.pk}/observees/{student.pk}"
    )
    assert_unauthorized(response)


# --- R7 PUT /users/:user_id/observees/:observee_id ------------------------------------------------


def test_an_admin_links_by_id_and_again_without_harm(api_as, admin, course, observer, student):
    caller = api_as(admin)
    for _ in range(2):
        response = caller.put(f"users/{observer.pk}/observees/{student.pk}", "root_account_id=1")
        assert response.status_code == 200, response.content
        assert_observee_json(response.json(), student)
    assert active_links(observer).count() == 1
    observing = Enrollment.objects.get(user=observer, type=Role.OBSERVER)
    assert (observing.course, observing.associated_user) == (course, student)


def test_an_admin_links_with_an_empty_body(api_as, admin, observer, student):
    response = api_as(admin).put(f"users/{observer.pk}/observees/{student.pk}")
    assert response.status_code == 200
    assert active_links(observer).exists()


@pytest.mark.parametrize("caller", ["observer", "student", "other", "teacher"])
def test_nobody_but_an_admin_links_by_id(api_as, request, observer, student, caller):
    response = api_as(request.getfixturevalue(caller)).put(
        f"users/{observer.pk}/observees/{student.pk}"
    )
    assert_unauthorized(response)
    assert not ObserverLink.objects.exists()


def test_linking_an_unknown_student_is_404(api_as, admin, observer):
    assert_not_found(api_as(admin).put(f"users/{observer.pk}/observees/987654321"))


# --- R8 DELETE /users/:user_id/observees/:observee_id ---------------------------------------------


def test_the_observer_unlinks_and_gets_the_student_back(api_as, link, course, observer, student):
    caller = api_as(observer)
    response = caller.delete(f"users/{observer.pk}/observees/{student.pk}")
    assert response.status_code == 200
    assert response.content
    assert_observee_json(response.json(), student)
    assert not active_links(observer).exists()

    assert_not_found(caller.delete(f"users/{observer.pk}/observees/{student.pk}"))
    assert caller.get("courses").json() == []
    assert_unauthorized(caller.get(f"users/{student.pk}/courses"))


def test_unlinking_takes_the_observer_out_of_the_course_roster(
    api_as, admin, link, course, observer, student
):
    api_as(observer).delete(f"users/{observer.pk}/observees/{student.pk}")
    listed = api_as(admin).get(f"courses/{course.pk}/enrollments", {"type[]": "ObserverEnrollment"})
    assert listed.json() == []


def test_unlinking_removes_course_only_observer_enrollments_for_that_student_too(
    api_as, teacher, link, course, observer, student
):
    other_course_student = EnrollmentFactory(course__institution=course.institution)
    Enrollment.objects.create(
        course=other_course_student.course,
        user=observer,
        type=Role.OBSERVER,
        associated_user=other_course_student.user,
    )
    api_as(observer).delete(f"users/{observer.pk}/observees/{student.pk}")
    assert list(
        Enrollment.objects.filter(user=observer, state=EnrollmentState.ACTIVE).values_list(
            "associated_user", flat=True
        )
    ) == [other_course_student.user.pk]


def test_an_admin_unlinks(api_as, admin, link, observer, student):
    response = api_as(admin).delete(f"users/{observer.pk}/observees/{student.pk}")
    assert response.status_code == 200
    assert response.json()["id"] == student.pk
    assert not active_links(observer).exists()


@pytest.mark.parametrize("caller", ["other", "student", "teacher"])
def test_nobody_else_unlinks(api_as, request, link, observer, student, caller):
    response = api_as(request.getfixturevalue(caller)).delete(
        f"users/{observer.pk}/observees/{student.pk}"
    )
    assert_unauthorized(response)
    assert active_links(observer).exists()


# --- R9 GET /users/:user_id/observers -------------------------------------------------------------


@pytest.mark.parametrize("caller", ["student", "admin"])
def test_the_student_and_an_admin_list_the_observers(
    api_as, request, link, observer, student, caller
):
    response = api_as(request.getfixturevalue(caller)).get(f"users/{student.pk}/observers")
    assert response.status_code == 200
    assert ids(response) == [observer.pk]
    assert_user_json(response.json()[0], observer)


@pytest.mark.parametrize("caller", ["other", "teacher"])
def test_nobody_else_lists_a_students_observers(api_as, request, link, student, caller):
    assert_unauthorized(
        api_as(request.getfixturevalue(caller)).get(f"users/{student.pk}/observers")
    )


def test_a_student_without_observers_gets_an_empty_list(api_as, student):
    response = api_as(student).get(f"users/{student.pk}/observers")
    assert response.status_code == 200
    assert response.json() == []
