"""/api/v1 answers in English and UTC, whatever the browser asks for or the user chose: its messages
and timestamps are a contract with Canvas clients."""

import re

from django.test import Client

from accounts.models import User
from tests.api.helpers import TIMESTAMP, bearer

SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es"}


def test_an_api_error_stays_english_for_a_spanish_browser(client, observer):
    response = client.post(
        "/api/v1/users/self/observees", {"pairing_code": "Zz9Zz9"}, **bearer(observer), **SPANISH
    )
    assert response.status_code == 422
    assert response.json() == {"errors": [{"message": "Invalid pairing code."}]}
    assert response["Content-Language"] == "en"


def test_django_rest_frameworks_own_messages_stay_english_too(client, observer):
    response = client.delete("/api/v1/users/self", **bearer(observer), **SPANISH)
    assert response.status_code == 405
    assert response.json() == {"errors": [{"message": 'Method "DELETE" not allowed.'}]}


def test_a_missing_resource_stays_english(client, observer):
    response = client.get("/api/v1/courses/999999", **bearer(observer), **SPANISH)
    assert response.json() == {"errors": [{"message": "The specified resource does not exist."}]}


def test_the_language_chosen_with_the_switcher_does_not_reach_the_api(observer):
    client = Client()
    client.post("/i18n/setlang/", {"language": "es", "next": "/"})
    assert client.cookies["django_language"].value == "es"
    response = client.delete("/api/v1/users/self", **bearer(observer))
    assert response.json() == {"errors": [{"message": 'Method "DELETE" not allowed.'}]}


def test_a_pause_is_explained_in_english_on_the_api(client, observer, settings):
    settings.PAIRING_FAILURES_PER_ACCOUNT_PAUSE = (1, 15 * 60)
    headers = {**bearer(observer), **SPANISH}
    for _ in range(2):
        response = client.post(
            "/api/v1/users/self/observees", {"pairing_code": "Zz9Zz9"}, **headers
        )
    assert response.status_code == 429
    message = response.json()["errors"][0]["message"]
    assert message.startswith("For the students' safety, entering pairing codes is paused")
    assert re.search(
        r"Please try again in 1[45] minutes\. Expected available in \d+ seconds", message
    )


def test_timestamps_stay_utc_for_a_user_with_a_time_zone(client, student):
    User.objects.filter(pk=student.pk).update(time_zone="America/Los_Angeles")
    client.force_login(student)  # a browser's session, which the time zone middleware sees
    response = client.get("/api/v1/users/self", **SPANISH)
    created_at = response.json()["created_at"]
    assert TIMESTAMP.match(created_at)
    assert created_at == student.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
