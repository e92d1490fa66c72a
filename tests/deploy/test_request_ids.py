"""Each request's id (sent back as X-Request-ID) and its one log line: who, where, what, how long."""

import logging
import re

import pytest
from django.urls import reverse

from accounts.services import api_token_create

pytestmark = pytest.mark.django_db


def request_lines(caplog):
    return [r for r in caplog.records if r.name == "pairing_portal.request"]


def test_every_answer_carries_a_request_id_and_logs_one_line(client, caplog, student):
    caplog.set_level(logging.INFO)
    client.force_login(student)
    response = client.get(reverse("profile_settings"))
    request_id = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    [line] = request_lines(caplog)
    assert (line.request_id, line.method, line.path, line.status) == (
        request_id,
        "GET",
        "/profile/settings",
        200,
    )
    assert (line.user_id, line.institution_id) == (student.pk, student.institution_id)
    assert line.duration_ms > 0


def test_the_proxys_request_id_is_kept_and_a_forged_one_replaced(client, caplog, db):
    caplog.set_level(logging.INFO)
    kept = client.get(reverse("login"), HTTP_X_REQUEST_ID="0123456789abcdef0123456789abcdef")
    assert kept["X-Request-ID"] == "0123456789abcdef0123456789abcdef"
    forged = client.get(reverse("login"), HTTP_X_REQUEST_ID='x" "level": "ERROR')
    assert re.fullmatch(r"[0-9a-f]{32}", forged["X-Request-ID"])


def test_an_api_call_with_a_token_is_logged_with_its_user(client, caplog, observer):
    caplog.set_level(logging.INFO)
    token = api_token_create(user=observer, purpose="logs").token
    client.get("/api/v1/users/self", HTTP_AUTHORIZATION=f"Bearer {token}")
    [line] = request_lines(caplog)
    assert (line.user_id, line.institution_id, line.status) == (
        observer.pk,
        observer.institution_id,
        200,
    )


def test_an_admin_acting_as_someone_is_logged_as_the_admin_acting_as_them(
    client, caplog, admin, student
):
    client.force_login(admin)
    client.post(reverse("act_as_begin", args=[student.pk]))
    caplog.set_level(logging.INFO)
    caplog.clear()
    client.get(reverse("profile_settings"))
    [line] = request_lines(caplog)
    assert (line.user_id, line.acting_as) == (admin.pk, student.pk)
