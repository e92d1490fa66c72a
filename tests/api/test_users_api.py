"""R1 /users/self, R2 /users/:id, /users/:id/profile, R3 pairing codes, POST /accounts/:id/users."""

import re
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from accounts.errors import AccountError
from accounts.models import SelfRegistration, User
from accounts.services import api_token_create, institution_self_registration_set
from pairing.models import PairingCode
from tests.api.helpers import (
    TIMESTAMP,
    assert_not_found,
    assert_unauthorized,
    assert_user_json,
)
from tests.factories import CourseFactory, EnrollmentFactory, UserFactory

# --- R1, R2 ---------------------------------------------------------------------------------------


def test_users_self_is_the_caller(api_as, student):
    response = api_as(student).get("users/self")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert_user_json(response.json(), student)


def test_a_user_reads_their_own_record_by_id(api_as, observer):
    response = api_as(observer).get(f"users/{observer.pk}")
    assert response.status_code == 200
    assert_user_json(response.json(), observer)


def test_an_admin_reads_an_observers_record_with_the_login(api_as, admin, observer):
    response = api_as(admin).get(f"users/{observer.pk}")
    assert response.status_code == 200
    assert_user_json(response.json(), observer)
    assert response.json()["login_id"] == observer.email


@pytest.mark.parametrize("caller", ["student", "observer", "teacher", "other"])
def test_nobody_else_reads_a_users_record(api_as, request, admin, caller):
    assert_unauthorized(api_as(request.getfixturevalue(caller)).get(f"users/{admin.pk}"))


def test_an_unknown_user_is_404(api_as, student):
    assert_not_found(api_as(student).get("users/987654321"))


def test_an_admin_of_another_institution_does_not_find_the_user(api_as, other_admin, student):
    assert_not_found(api_as(other_admin).get(f"users/{student.pk}"))


# --- /users/:id/profile ---------------------------------------------------------------------------


def test_a_user_reads_their_own_profile(api_as, student):
    response = api_as(student).get(f"users/{student.pk}/profile")
    assert response.status_code == 200
    data = response.json()
    assert type(data["id"]) is int
    assert data["id"] == student.pk
    assert (data["name"], data["short_name"], data["sortable_name"]) == (
        student.name,
        student.short_name,
        student.sortable_name,
    )
    assert data["primary_email"] == data["login_id"] == student.email
    assert data["avatar_url"].startswith("http://testserver/")


def test_an_admin_reads_a_profile(api_as, admin, observer):
    response = api_as(admin).get(f"users/{observer.pk}/profile")
    assert response.status_code == 200
    assert response.json()["id"] == observer.pk


def test_others_may_not_read_a_profile(api_as, other, student):
    assert_unauthorized(api_as(other).get(f"users/{student.pk}/profile"))


# --- R3 POST /users/:user_id/observer_pairing_codes -----------------------------------------------


def codes_path(user: User) -> str:
    return f"users/{user.pk}/observer_pairing_codes"


def assert_pairing_code_for(response, student: User) -> None:
    assert response.status_code == 200, response.content
    data = response.json()
    assert set(data) >= {"user_id", "code", "expires_at", "workflow_state"}
    assert type(data["user_id"]) is int
    assert data["user_id"] == student.pk
    assert re.fullmatch(r"[A-Za-z0-9]{6}", data["code"])
    assert TIMESTAMP.match(data["expires_at"])
    expires_at = datetime.fromisoformat(data["expires_at"].replace("Z", "+00:00"))
    assert timezone.now() + timedelta(days=6) < expires_at <= timezone.now() + timedelta(days=7)
    assert data["workflow_state"] == "active"


def test_a_student_makes_a_code_for_themself(api_as, student):
    assert_pairing_code_for(api_as(student).post(codes_path(student)), student)
    assert PairingCode.objects.filter(student=student).count() == 1


def test_a_teacher_with_the_permission_makes_a_code_for_the_student(
    api_as, teacher_may_make_codes, student
):
    response = api_as(teacher_may_make_codes).post(codes_path(student))
    assert_pairing_code_for(response, student)  # user_id is the student, not the teacher


def test_a_teacher_without_the_permission_may_not(api_as, teacher, student):
    assert_unauthorized(api_as(teacher).post(codes_path(student)))
    assert not PairingCode.objects.exists()


def test_a_permitted_teacher_of_another_course_may_not(api_as, teacher_may_make_codes, course):
    elsewhere = EnrollmentFactory(course=CourseFactory(institution=course.institution)).user
    assert_unauthorized(api_as(teacher_may_make_codes).post(codes_path(elsewhere)))


def test_an_admin_makes_a_code_for_a_student(api_as, admin, student):
    assert_pairing_code_for(api_as(admin).post(codes_path(student)), student)


def test_an_observer_may_not_make_a_code_even_for_a_linked_student(api_as, link, observer, student):
    assert_unauthorized(api_as(observer).post(codes_path(student)))
    assert not PairingCode.objects.exists()


def test_someone_else_may_not_make_a_code_for_a_student(api_as, other, student):
    assert_unauthorized(api_as(other).post(codes_path(student)))


def test_an_unknown_user_is_404_before_anything_else(api_as, institution, admin, student):
    institution_self_registration_set(
        institution=institution, value=SelfRegistration.NONE, by=admin
    )
    assert_not_found(api_as(student).post("users/987654321/observer_pairing_codes"))


@pytest.mark.parametrize("caller", ["teacher", "admin", "teacher_may_make_codes"])
def test_nobody_gets_a_code_for_a_non_student_even_for_themself(api_as, request, teacher, caller):
    assert_unauthorized(api_as(request.getfixturevalue(caller)).post(codes_path(teacher)))


def test_a_non_student_asking_for_themself_is_401(api_as, observer):
    assert_unauthorized(api_as(observer).post(codes_path(observer)))


@pytest.mark.parametrize("caller", ["student", "admin", "teacher_may_make_codes"])
def test_without_self_registration_nobody_gets_a_code(
    api_as, request, institution, admin, student, caller
):
    institution_self_registration_set(
        institution=institution, value=SelfRegistration.NONE, by=admin
    )
    assert_unauthorized(api_as(request.getfixturevalue(caller)).post(codes_path(student)))
    assert not PairingCode.objects.exists()


def test_an_admin_of_another_institution_does_not_find_the_student(api_as, other_admin, student):
    assert_not_found(api_as(other_admin).post(codes_path(student)))


# --- POST /accounts/:account_id/users -------------------------------------------------------------

NEW_USER_BODY = (
    "user[name]=Nora+New&pseudonym[unique_id]=nora%40example.test"
    "&pseudonym[password]=a-long-enough-passphrase-42"
)


def test_an_admin_creates_a_user_in_their_account(api_as, admin, institution):
    response = api_as(admin).post_form(f"accounts/{institution.pk}/users", NEW_USER_BODY)
    assert response.status_code == 200, response.content
    created = User.objects.get(email="nora@example.test")
    assert created.institution == institution
    assert created.check_password("a-long-enough-passphrase-42")
    assert_user_json(response.json(), created)


def test_a_user_without_a_login_is_a_bad_request(api_as, admin, institution):
    response = api_as(admin).post_form(f"accounts/{institution.pk}/users", "user[name]=Nora+New")
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"]
    assert not User.objects.filter(name="Nora New").exists()


@pytest.mark.parametrize("caller", ["teacher", "student", "other"])
def test_only_admins_create_users(api_as, request, institution, caller):
    response = api_as(request.getfixturevalue(caller)).post_form(
        f"accounts/{institution.pk}/users", NEW_USER_BODY
    )
    assert_unauthorized(response)
    assert not User.objects.filter(email="nora@example.test").exists()


def test_an_admin_cannot_create_users_in_another_account(api_as, other_admin, institution):
    response = api_as(other_admin).post_form(f"accounts/{institution.pk}/users", NEW_USER_BODY)
    assert_not_found(response)


def test_a_duplicate_login_is_a_bad_request(api_as, admin, institution):
    UserFactory(institution=institution, email="nora@example.test")
    response = api_as(admin).post_form(f"accounts/{institution.pk}/users", NEW_USER_BODY)
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"]


def test_a_login_taken_in_another_case_is_a_bad_request(api_as, admin, institution):
    UserFactory(institution=institution, email="NORA@Example.test")
    response = api_as(admin).post_form(f"accounts/{institution.pk}/users", NEW_USER_BODY)
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"]


@pytest.mark.parametrize("where", ["here", "elsewhere"])
def test_a_user_is_never_created_over_an_admins_login_or_sis_id(
    api_as, admin, institution, other_admin, where
):
    holder = (
        UserFactory(institution=institution, sis_user_id="A0002", is_account_admin=True)
        if where == "here"
        else other_admin
    )
    body = f"user[name]=Mallory&pseudonym[unique_id]={holder.email}&pseudonym[sis_user_id]=A0002"

    response = api_as(admin).post_form(f"accounts/{institution.pk}/users", body)

    # The same words whether the login is held here or at another institution.
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == AccountError.EMAIL_TAKEN
    holder_now = User.objects.get(pk=holder.pk)
    assert (holder_now.email, holder_now.is_active, holder_now.name) == (
        holder.email,
        True,
        holder.name,
    )
    assert not User.objects.filter(name="Mallory").exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("user[name]=Bob&pseudonym[unique_id]=bob", "Please enter a valid e-mail address"),
        (
            f"user[name]={'x' * 300}&pseudonym[unique_id]=bob%40example.test",
            "at most 255 characters",
        ),
    ],
)
def test_the_api_refuses_a_login_that_is_no_email_and_overlong_names(
    client, institution, admin, body, message
):
    token = api_token_create(user=admin, purpose="t").token
    response = client.post(
        f"/api/v1/accounts/{institution.pk}/users",
        data=body,
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 400
    assert message in response.json()["errors"][0]["message"]
