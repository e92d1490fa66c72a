"""Bodies sent to /api/v1: nothing is read before the caller is known, sizes are capped from the
Content-Length alone, and what cannot be stored or parsed is a 400 in the API's JSON shape."""

import io
import json

import pytest
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from pairing.models import PairingCode
from tests.api.helpers import bearer

MB = 1024 * 1024


class WatchedBody(io.BytesIO):
    """The request's input stream; its position tells how much of the body the server read."""


SPOOLED: list[str] = []


class RecordingTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    """Django's handler that writes each uploaded file to a temporary file, noting each one (the
    file itself is deleted when the request ends, so only a note can tell it was there)."""

    def new_file(self, field_name, file_name, *args, **kwargs):
        SPOOLED.append(file_name)
        return super().new_file(field_name, file_name, *args, **kwargs)


@pytest.fixture
def spooled(settings, tmp_path):
    settings.FILE_UPLOAD_HANDLERS = [f"{__name__}.RecordingTemporaryFileUploadHandler"]
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    SPOOLED.clear()
    return SPOOLED


def post(client, url: str, body: bytes, content_type: str, **extra):
    watched = WatchedBody(body)
    response = client.generic("POST", url, body, content_type, **{"wsgi.input": watched}, **extra)
    return response, watched


def upload_body(size: int) -> bytes:
    file = io.BytesIO(b"x" * size)
    file.name = "holiday.mov"
    return encode_multipart(BOUNDARY, {"pairing_code": "abc123", "attachment": file})


def codes_url(user) -> str:
    return f"/api/v1/users/{user.pk}/observer_pairing_codes"


def test_an_anonymous_upload_is_refused_401_without_reading_its_body(client, student, spooled):
    # Under the cap, so only the missing caller can stop it: before, middleware parsed the
    # multipart body (spooling the file to a temporary file) before anyone was authenticated.
    response, body = post(client, codes_url(student), upload_body(2 * MB), MULTIPART_CONTENT)

    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "user authorization required"
    assert body.tell() == 0
    assert spooled == []
    assert not PairingCode.objects.exists()


def test_a_known_caller_s_upload_is_read_when_the_view_asks(client, observer, spooled):
    """The instruments above do see a body being read: here one is (a wrong code, 422)."""
    url = f"/api/v1/users/{observer.pk}/observees"
    response, body = post(client, url, upload_body(MB), MULTIPART_CONTENT, **bearer(observer))

    assert response.status_code == 422
    assert body.tell() == len(body.getvalue())
    assert spooled == ["holiday.mov"]


def test_a_large_anonymous_upload_is_refused_413_from_its_length_alone(client, student, spooled):
    response, body = post(client, codes_url(student), upload_body(40 * MB), MULTIPART_CONTENT)

    assert response.status_code == 413
    assert response.json() == {
        "errors": [{"message": "What you sent is too large: at most 2.5 MB is accepted."}]
    }
    assert body.tell() == 0
    assert spooled == []


def test_a_signed_in_caller_is_held_to_the_same_cap(client, student):
    response, body = post(
        client, codes_url(student), upload_body(3 * MB), MULTIPART_CONTENT, **bearer(student)
    )

    assert response.status_code == 413
    assert body.tell() == 0
    assert not PairingCode.objects.exists()


def test_a_bad_token_is_refused_before_the_body_is_read(client, student):
    response, body = post(
        client,
        codes_url(student),
        upload_body(MB),
        MULTIPART_CONTENT,
        HTTP_AUTHORIZATION="Bearer pp_not-a-real-token",
    )

    assert response.status_code == 401
    assert body.tell() == 0


def test_a_caller_without_the_right_is_refused_before_the_body_is_read(client, student, observer):
    response, body = post(
        client, codes_url(student), upload_body(MB), MULTIPART_CONTENT, **bearer(observer)
    )

    assert response.status_code == 401
    assert body.tell() == 0


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (json.dumps({"pairing_code": "ab\u0000cd"}).encode(), "application/json"),
        (json.dumps({"ab\u0000cd": "x"}).encode(), "application/json"),
        (json.dumps({"deep": [[{"x": ["a\u0000"]}]]}).encode(), "application/json"),
        (encode_multipart(BOUNDARY, {"pairing_code": "ab\x00cd"}), MULTIPART_CONTENT),
        (b"pairing_code=ab%00cd", "application/x-www-form-urlencoded"),
    ],
    ids=["json value", "json key", "json nested", "multipart", "form"],
)
def test_a_nul_in_a_body_is_a_400_once_the_caller_is_known(client, observer, body, content_type):
    response, _ = post(
        client, f"/api/v1/users/{observer.pk}/observees", body, content_type, **bearer(observer)
    )

    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"message": "Parameters may not contain NUL characters."}]
    }


def test_a_nul_in_a_session_callers_form_is_a_400_too(observer):
    """A browser's session: Django's CSRF check reads the form before the view does."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(observer)
    client.cookies["csrftoken"] = "a" * 32
    body = encode_multipart(BOUNDARY, {"csrfmiddlewaretoken": "a" * 32, "pairing_code": "a\x00"})

    response, _ = post(client, f"/api/v1/users/{observer.pk}/observees", body, MULTIPART_CONTENT)

    assert response.status_code == 400
    assert response.json()["errors"] == [{"message": "Parameters may not contain NUL characters."}]


def test_json_nested_a_hundred_thousand_levels_deep_is_a_400(client, observer):
    depth = 100_000
    body = ('{"pairing_code": ' + "[" * depth + "]" * depth + "}").encode()

    response, _ = post(
        client,
        f"/api/v1/users/{observer.pk}/observees",
        body,
        "application/json",
        **bearer(observer),
    )

    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"message": "JSON parse error - the document is nested too deeply."}]
    }


def test_broken_json_keeps_its_usual_400(client, observer):
    response, _ = post(
        client,
        f"/api/v1/users/{observer.pk}/observees",
        b'{"pairing_code": ',
        "application/json",
        **bearer(observer),
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"].startswith("JSON parse error - ")


def test_a_json_body_that_is_not_an_object_is_a_400(client, observer):
    response, _ = post(
        client,
        f"/api/v1/users/{observer.pk}/observees",
        b'["pairing_code"]',
        "application/json",
        **bearer(observer),
    )

    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"message": "JSON parse error - the body must be a JSON object."}]
    }


def test_a_json_body_under_the_cap_still_works(client, student):
    response, _ = post(
        client, codes_url(student), json.dumps({}).encode(), "application/json", **bearer(student)
    )

    assert response.status_code == 200, response.content
    assert response.json()["user_id"] == student.pk
