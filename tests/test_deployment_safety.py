"""Headers a browser enforces, and logs that never hold a secret."""

import json
import logging
import re

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from accounts.services import api_token_create
from pairing.services import pairing_code_create
from pairing_portal.logs import JsonFormatter, RequestContextFilter
from tests.test_settings import manage


def test_every_page_sends_a_content_security_policy_without_inline_code(client, student):
    client.force_login(student)
    for url in (
        reverse("login"),
        reverse("home"),
        reverse("profile_settings"),
        "/api/v1/users/self",
    ):
        policy = client.get(url)["Content-Security-Policy"]
        assert "default-src 'self'" in policy
        assert "script-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy
        assert "unsafe-eval" not in policy


def test_pages_refuse_to_be_framed_and_sniffed(client, db):
    response = client.get(reverse("login"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_no_template_has_inline_script_or_style():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "templates"
    # Letters downloaded as one file (an attachment, opened and printed outside the portal): its
    # styles travel inside it. It is never shown as a page.
    downloaded = {root / "pairing" / "pairing_letters_document.html"}
    for template in set(root.rglob("*.html")) - downloaded:
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template
        assert " style=" not in text, template
        assert "<style" not in text, template


@pytest.mark.django_db
def test_no_code_or_token_reaches_any_log_line(
    client, caplog, course, student, teacher, admin, observer
):
    caplog.set_level(logging.DEBUG)
    client.force_login(student)
    page = client.post(reverse("profile_pairing_code"), follow=True).content.decode()
    shown = re.search(r'<output id="pairing-code">([^<]+)</output>', page).group(1)
    api_code = pairing_code_create(student=student, by=admin).code
    token = api_token_create(user=observer, purpose="logs").token
    client.post(
        f"/api/v1/users/{observer.pk}/observees",
        {"pairing_code": api_code},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    client.post(
        f"/api/v1/users/{observer.pk}/observees",
        {"pairing_code": api_code},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    client.force_login(observer)
    client.post(reverse("observees"), {"code": shown})
    client.force_login(admin)
    export = client.post(reverse("course_pairing_codes_csv", args=[course.pk]))
    exported = re.findall(r'=""(\w{6})""', b"".join(export.streaming_content).decode())
    client.get("/api/v1/users/self", HTTP_AUTHORIZATION="Bearer pp_not-a-real-token")
    client.logout()
    client.post(reverse("password_reset"), {"email": observer.email})
    link = re.search(r"https?://[^/\s]+(/password/reset/[\w-]+/([\w-]+))", mail.outbox[-1].body)
    client.get(link.group(1), follow=True)

    # As production writes them: one JSON object a line, through the handler's filter.
    context, formatter = RequestContextFilter(), JsonFormatter()
    lines = []
    for record in caplog.records:
        context.filter(record)
        lines.append(formatter.format(record))
    assert all(json.loads(line)["level"] for line in lines)
    assert any('"logger": "pairing_portal.request"' in line for line in lines)
    logged = "\n".join(record.getMessage() for record in caplog.records) + "\n".join(lines)
    assert caplog.records, "the journey logged nothing at all: the test would prove nothing"
    for secret in (shown, api_code, token, *exported, link.group(2)):
        assert secret not in logged


def test_the_language_cookie_is_same_site_and_out_of_scripts_reach(client, db):
    response = client.post(reverse("set_language"), {"language": "es", "next": reverse("login")})
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "es"
    assert cookie["samesite"] == "Lax"
    assert cookie["httponly"] is True


SWITCH_LANGUAGE_IN_PRODUCTION = """
from django.test import Client
response = Client().post(
    "/i18n/setlang/", {"language": "es", "next": "/"}, secure=True, HTTP_HOST="portal.example.org"
)
cookie = response.cookies["django_language"]
print(response.status_code, repr(cookie["secure"]), cookie["samesite"], repr(cookie["httponly"]))
"""


def test_with_debug_off_the_language_cookie_travels_over_https_only():
    result = manage("shell", "--no-imports", "-c", SWITCH_LANGUAGE_IN_PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["302", "True", "Lax", "True"]
