"""Which language a person gets: the browser's, until they choose one with the switcher, and the
e-mails and messages that follow it."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD
from tests.visible_text import visible


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [("es", "es"), ("es-MX,es;q=0.9", "es"), ("en-US,en;q=0.9", "en"), ("fr", "en"), ("", "en")],
)
def test_the_browsers_language_is_used_when_nothing_was_chosen(
    institution, accept_language, expected
):
    client = Client(headers={"accept-language": accept_language})
    assert visible(client.get(reverse("login"))).language == expected


def test_the_language_switcher_is_on_every_page_including_log_in(client, student):
    for page in (reverse("login"), "/no/such/page"):
        html = client.get(page).content.decode()
        assert 'action="/i18n/setlang/"' in html
        assert 'name="csrfmiddlewaretoken"' in html
        assert f'<input type="hidden" name="next" value="{page}">' in html
        assert '<legend class="visually-hidden">Language</legend>' in html
        assert re.search(r'<button[^>]*value="en" lang="en"[^>]*aria-current="true"', html)
        assert re.search(r'<button[^>]*value="es" lang="es"[^>]*>Español</button>', html)
    client.force_login(student)
    assert 'action="/i18n/setlang/"' in client.get(reverse("home")).content.decode()


def test_choosing_spanish_with_the_switcher_outlasts_the_browsers_language(institution):
    client = Client(headers={"accept-language": "en"})
    response = client.post(reverse("set_language"), {"language": "es", "next": reverse("login")})
    assert response.status_code == 302
    assert response.url == reverse("login")
    page = visible(client.get(reverse("login")))
    assert page.language == "es"
    assert "Iniciar sesión" in page.texts
    client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert visible(client.get(reverse("login"))).language == "en"


def test_the_switcher_only_goes_back_to_this_site(institution):
    response = Client().post(
        reverse("set_language"), {"language": "es", "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response.url == "/"


def test_the_password_reset_email_is_in_the_language_of_the_request(student):
    client = Client(headers={"accept-language": "es"})
    client.post(reverse("password_reset"), {"email": student.email})
    (message,) = mail.outbox
    assert message.subject == "Restablezca su contraseña del Portal de vinculación"
    assert message.body.startswith("Hola, Sam Student:")
    assert "abra este enlace antes de que pase un día" in message.body


def test_a_paused_log_in_says_when_to_try_again_in_spanish(institution, student, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS_PAUSE = (1, 15 * 60)
    client = Client(headers={"accept-language": "es"})
    for _ in range(2):
        response = client.post(reverse("login"), {"username": student.email, "password": "no"})
    assert re.search(r"vuelva a intentarlo dentro de 1[45] minutos", response.content.decode())


def test_a_logged_in_user_is_greeted_in_spanish(institution, student):
    client = Client(headers={"accept-language": "es"})
    assert client.login(username=student.email, password=PASSWORD)
    assert "Le damos la bienvenida, Sam Student" in client.get(reverse("home")).content.decode()
