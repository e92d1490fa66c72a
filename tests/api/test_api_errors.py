"""Transport rules of /api/v1: the two 401s, JSON errors, no redirects, cookies or CSRF for tokens."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import ApiToken
from accounts.services import api_token_create
from tests.api.helpers import assert_invalid_token, assert_not_found, assert_unauthorized, bearer


def test_a_call_without_a_token_gets_401_with_www_authenticate(client):
    response = client.get("/api/v1/users/self")
    assert_invalid_token(response)


def test_a_made_up_token_gets_401_with_www_authenticate(client, student):
    response = client.get("/api/v1/users/self", HTTP_AUTHORIZATION="Bearer not-a-real-token")
    assert_invalid_token(response)
    assert response.json()["errors"] == [{"message": "Invalid access token."}]


def test_a_revoked_token_gets_401_with_www_authenticate(client, student):
    issued = api_token_create(user=student, purpose="tests")
    ApiToken.objects.filter(pk=issued.record.pk).update(revoked_at=timezone.now())
    response = client.get("/api/v1/users/self", HTTP_AUTHORIZATION=f"Bearer {issued.token}")
    assert_invalid_token(response)


def test_an_expired_token_gets_401_with_www_authenticate(client, student):
    issued = api_token_create(
        user=student, purpose="tests", expires_at=timezone.now() + timedelta(hours=1)
    )
    ApiToken.objects.filter(pk=issued.record.pk).update(
        created_at=timezone.now() - timedelta(days=2),
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    response = client.get("/api/v1/users/self", HTTP_AUTHORIZATION=f"Bearer {issued.token}")
    assert_invalid_token(response)


def test_the_token_of_a_deactivated_user_gets_401_with_www_authenticate(client, student):
    headers = bearer(student)
    student.is_active = False
    student.save(update_fields=["is_active"])
    assert_invalid_token(client.get("/api/v1/users/self", **headers))


def test_a_valid_token_without_the_right_gets_401_without_www_authenticate(api_as, admin, other):
    response = api_as(other).get(f"users/{admin.pk}")
    assert_unauthorized(response)
    assert response.json() == {
        "status": "unauthorized",
        "errors": [{"message": "user not authorized to perform that action"}],
    }


def test_a_bad_token_is_refused_even_beside_a_logged_in_session(client, student):
    client.force_login(student)
    response = client.get("/api/v1/users/self", HTTP_AUTHORIZATION="Bearer not-a-real-token")
    assert_invalid_token(response)


ROUTES_WITHOUT_SLASH = [
    "users/self",
    "users/{student}",
    "users/{student}/profile",
    "users/{observer}/observees",
    "users/{observer}/observees/{student}",
    "users/{student}/observers",
    "users/{student}/courses",
    "users/{student}/enrollments",
    "courses",
    "courses/{course}",
    "courses/{course}/search_users",
    "courses/{course}/users/{student}",
    "courses/{course}/enrollments",
]


@pytest.mark.parametrize("route", ROUTES_WITHOUT_SLASH)
def test_every_read_route_answers_without_a_trailing_slash(
    api_as, admin, course, student, observer, link, route
):
    path = route.format(student=student.pk, observer=observer.pk, course=course.pk)
    response = api_as(admin).get(path)
    assert response.status_code == 200, (path, response.status_code)
    assert response.headers["Content-Type"] == "application/json"


def test_a_write_route_answers_without_a_trailing_slash_and_never_redirects(api_as, student):
    response = api_as(student).post(f"users/{student.pk}/observer_pairing_codes")
    assert response.status_code == 200
    assert "Location" not in response.headers


def test_a_token_authenticated_response_sets_no_cookie(api_as, student):
    caller = api_as(student)
    for response in (
        caller.get("users/self"),
        caller.post(f"users/{student.pk}/observer_pairing_codes"),
    ):
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers
        assert not response.cookies


def test_a_token_call_needs_no_csrf_even_with_a_session_cookie(student):
    client = Client(enforce_csrf_checks=True)
    client.force_login(student)
    response = client.post(f"/api/v1/users/{student.pk}/observer_pairing_codes", **bearer(student))
    assert response.status_code == 200, response.content
    assert response.json()["user_id"] == student.pk


def test_a_token_post_beside_a_session_sets_no_cookie(student):
    client = Client(enforce_csrf_checks=True)
    client.force_login(student)
    response = client.post(f"/api/v1/users/{student.pk}/observer_pairing_codes", **bearer(student))
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_a_bad_token_post_beside_a_session_is_401_not_a_csrf_403(student):
    client = Client(enforce_csrf_checks=True)
    client.force_login(student)
    response = client.post(
        f"/api/v1/users/{student.pk}/observer_pairing_codes",
        HTTP_AUTHORIZATION="Bearer not-a-real-token",
    )
    assert_invalid_token(response)


def test_an_empty_post_without_a_content_type_works_as_canvasapi_sends_it(client, student):
    response = client.generic(
        "POST", f"/api/v1/users/{student.pk}/observer_pairing_codes", **bearer(student)
    )
    assert response.status_code == 200, response.content
    assert response.json()["user_id"] == student.pk


def test_a_session_only_post_without_a_csrf_token_is_refused_with_json(student):
    client = Client(enforce_csrf_checks=True)
    client.force_login(student)
    response = client.post(f"/api/v1/users/{student.pk}/observer_pairing_codes")
    assert response.status_code == 403
    assert response.headers["Content-Type"] == "application/json"
    assert isinstance(response.json()["errors"][0]["message"], str)


def test_an_unknown_user_id_is_a_json_404(api_as, admin):
    assert_not_found(api_as(admin).get("users/999999999"))


def test_an_unknown_course_id_is_a_json_404(api_as, admin):
    assert_not_found(api_as(admin).get("courses/999999999"))


def test_an_unknown_path_under_the_api_is_a_json_404(api_as, admin):
    response = api_as(admin).get("no_such_thing")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["errors"][0]["message"]


def test_a_slash_ended_path_is_a_json_404_not_a_redirect(api_as, admin):
    response = api_as(admin).get("users/self/")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("method", "route"),
    [
        ("get", "users/{student}/observer_pairing_codes"),
        ("delete", "users/self"),
        ("post", "courses/{course}"),
        ("put", "courses/{course}/enrollments"),
    ],
)
def test_a_wrong_method_is_a_json_405(api_as, student, course, method, route):
    caller = api_as(student)
    response = getattr(caller, method)(route.format(student=student.pk, course=course.pk))
    assert response.status_code == 405
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["errors"][0]["message"]
    assert b"<html" not in response.content.lower()


CONTRACT_PATHS = {
    "/api/v1/users/{user_ref}": {"get"},
    "/api/v1/users/{user_ref}/profile": {"get"},
    "/api/v1/users/{user_ref}/observer_pairing_codes": {"post"},
    "/api/v1/users/{user_ref}/observees": {"get", "post"},
    "/api/v1/users/{user_ref}/observees/{observee_id}": {"get", "put", "delete"},
    "/api/v1/users/{user_ref}/observers": {"get"},
    "/api/v1/users/{user_ref}/courses": {"get"},
    "/api/v1/users/{user_ref}/enrollments": {"get"},
    "/api/v1/accounts/{account_id}": {"get"},
    "/api/v1/accounts/{account_id}/users": {"post"},
    "/api/v1/accounts/{account_id}/sis_imports": {"get", "post"},
    "/api/v1/accounts/{account_id}/sis_imports/{import_id}": {"get"},
    "/api/v1/courses": {"get"},
    "/api/v1/courses/{course_id}": {"get"},
    "/api/v1/courses/{course_id}/search_users": {"get"},
    "/api/v1/courses/{course_id}/users/{user_id}": {"get"},
    "/api/v1/courses/{course_id}/enrollments": {"get", "post"},
    "/api/v1/courses/{course_id}/enrollments/{enrollment_id}": {"delete"},
}


def test_the_openapi_description_names_every_route_of_the_contract(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert "json" in response.headers["Content-Type"]
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for path, methods in CONTRACT_PATHS.items():
        assert path in schema["paths"], path
        assert methods <= set(schema["paths"][path]), (path, set(schema["paths"][path]))
