"""Talking to /api/v1 as canvasapi does: a Bearer token, query strings, form-encoded bodies."""

import re
from urllib.parse import parse_qs, urlsplit

from accounts.models import User
from accounts.services import api_token_create

FORM = "application/x-www-form-urlencoded"
NOT_AUTHORIZED_BODY_KEYS = {"status", "errors"}
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def bearer(user: User) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user, purpose='tests').token}"}


class Api:
    """One caller with one token. Paths are relative to /api/v1/ and never end with a slash."""

    def __init__(self, client, user: User):
        self.client = client
        self.user = user
        self.headers = bearer(user)

    def get(self, path: str, params: dict | None = None):
        return self.client.get(f"/api/v1/{path}", params or {}, **self.headers)

    def post(self, path: str, data: dict | None = None):
        """Django's default multipart body, which the API must also parse."""
        return self.client.post(f"/api/v1/{path}", data or {}, **self.headers)

    def post_form(self, path: str, body: str = ""):
        return self.client.post(f"/api/v1/{path}", data=body, content_type=FORM, **self.headers)

    def put(self, path: str, body: str = ""):
        return self.client.put(f"/api/v1/{path}", data=body, content_type=FORM, **self.headers)

    def delete(self, path: str, body: str = ""):
        return self.client.delete(f"/api/v1/{path}", data=body, content_type=FORM, **self.headers)


def assert_unauthorized(response) -> None:
    """A valid token without the right: 401, no WWW-Authenticate, Canvas's JSON body."""
    assert response.status_code == 401, response.content
    assert "WWW-Authenticate" not in response.headers
    body = response.json()
    assert set(body) == NOT_AUTHORIZED_BODY_KEYS
    assert body["status"] == "unauthorized"
    assert isinstance(body["errors"][0]["message"], str)


def assert_invalid_token(response) -> None:
    """No usable token: 401 with WWW-Authenticate (canvasapi's InvalidAccessToken), JSON body."""
    assert response.status_code == 401, response.content
    assert response.headers["WWW-Authenticate"]
    assert response.headers["Content-Type"] == "application/json"
    assert isinstance(response.json()["errors"][0]["message"], str)


def assert_not_found(response) -> None:
    assert response.status_code == 404, response.content
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"errors": [{"message": "The specified resource does not exist."}]}


def assert_user_json(data: dict, user: User) -> None:
    assert data["id"] == user.pk
    assert type(data["id"]) is int
    for key in ("name", "sortable_name", "short_name"):
        assert isinstance(data[key], str)
    assert (data["name"], data["sortable_name"], data["short_name"]) == (
        user.name,
        user.sortable_name,
        user.short_name,
    )
    assert TIMESTAMP.match(data["created_at"])


def assert_observee_json(data: dict, student: User) -> None:
    assert_user_json(data, student)
    assert data["observation_link_root_account_ids"] == [student.institution_id]


def assert_enrollment_json(data: dict) -> None:
    for key in ("id", "course_id", "user_id", "root_account_id"):
        assert type(data[key]) is int, key
    assert data["associated_user_id"] is None or type(data["associated_user_id"]) is int
    assert isinstance(data["type"], str)
    assert isinstance(data["enrollment_state"], str)
    assert TIMESTAMP.match(data["created_at"])
    assert TIMESTAMP.match(data["updated_at"])


def links(response) -> dict[str, str]:
    """The ``Link`` header as {rel: url}."""
    found = {}
    for part in response.headers.get("Link", "").split(","):
        if not part.strip():
            continue
        target, _, params = part.partition(";")
        rel = re.search(r'rel="([^"]+)"', params)
        assert rel, part
        found[rel.group(1)] = target.strip().removeprefix("<").removesuffix(">")
    return found


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()]
