"""Approved Integrations: personal access tokens made, shown once, used and revoked."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiToken
from accounts.services import api_token_authenticate, api_token_create
from accounts.tokens import token_hash

SETTINGS = reverse("profile_settings")
NEW = reverse("api_token_new")


def test_a_user_makes_a_token_and_sees_it_once(client, student):
    client.force_login(student)
    assert "Approved Integrations" in client.get(SETTINGS).content.decode()
    response = client.post(NEW, {"purpose": "Homework sync", "expires_on": ""})
    page = response.content.decode()
    token = re.search(r"(pp_[A-Za-z0-9_-]{43})", page).group(1)
    assert "no-store" in response["Cache-Control"]
    record = ApiToken.objects.get(user=student)
    assert record.token_hash == token_hash(token)
    assert token not in " ".join(str(v) for v in ApiToken.objects.values().get().values())
    settings_page = client.get(SETTINGS).content.decode()
    assert "Homework sync" in settings_page
    assert token not in settings_page
    assert f"…{token[-4:]}" in settings_page


def test_a_token_with_an_expiry_stops_working_then(student):
    issued = api_token_create(
        user=student, purpose="Short", expires_at=timezone.now() + timedelta(days=1)
    )
    assert api_token_authenticate(issued.token) is not None
    ApiToken.objects.filter(pk=issued.record.pk).update(
        created_at=timezone.now() - timedelta(days=3),
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    assert api_token_authenticate(issued.token) is None


def test_a_past_expiry_date_and_a_blank_purpose_are_refused(client, student):
    client.force_login(student)
    response = client.post(NEW, {"purpose": "x", "expires_on": "2001-01-01"})
    assert response.status_code == 400
    assert "The expiry date must be in the future." in response.content.decode()
    response = client.post(NEW, {"purpose": "  ", "expires_on": ""})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_a_revoked_token_no_longer_authenticates(client, student):
    issued = api_token_create(user=student, purpose="Old script")
    client.force_login(student)
    response = client.post(reverse("api_token_revoke", args=[issued.record.pk]))
    assert response.url == SETTINGS
    assert api_token_authenticate(issued.token) is None
    page = client.get(SETTINGS).content.decode()
    assert "The token for “Old script” no longer works." in page
    assert "Revoke the token for Old script" not in page


def test_nobody_revokes_someone_elses_token(client, student, teacher):
    issued = api_token_create(user=student, purpose="Mine")
    client.force_login(teacher)
    assert client.post(reverse("api_token_revoke", args=[issued.record.pk])).status_code == 404
    assert api_token_authenticate(issued.token) is not None


def test_a_deactivated_users_token_does_not_authenticate(student):
    issued = api_token_create(user=student, purpose="x")
    student.is_active = False
    student.save()
    assert api_token_authenticate(issued.token) is None


def test_token_pages_need_post_and_a_login(client, student):
    assert client.post(NEW, {"purpose": "x"}).url.startswith(reverse("login"))
    client.force_login(student)
    assert client.get(NEW).status_code == 405


def test_the_command_prints_a_working_token(student):
    out = StringIO()
    call_command("create_api_token", "SAM@example.test", purpose="Set-up", stdout=out)
    token = out.getvalue().strip()
    record = api_token_authenticate(token)
    assert record.user == student
    assert record.purpose == "Set-up"


@pytest.mark.django_db
def test_the_command_refuses_an_unknown_user():
    with pytest.raises(CommandError, match="No active user"):
        call_command("create_api_token", "nobody@example.test")
