import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_login_page_asks_for_email_and_password(client):
    page = client.get(reverse("login")).content.decode()
    assert '<label for="id_username">E-mail' in page
    assert '<label for="id_password">Password' in page
    assert 'href="/password/reset"' in page


def test_a_user_logs_in_with_their_email_in_any_case(client, student):
    response = client.post(reverse("login"), {"username": "SAM@Example.TEST", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.get(reverse("home")).context["user"] == student


def test_a_wrong_password_is_refused_with_a_plain_message(client, student):
    response = client.post(reverse("login"), {"username": student.email, "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct e-mail and password." in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated


def test_a_deactivated_user_cannot_log_in(client, student):
    student.is_active = False
    student.save()
    response = client.post(reverse("login"), {"username": student.email, "password": PASSWORD})
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated


def test_login_returns_to_the_page_that_asked_for_it(client, student):
    response = client.post(
        reverse("login"),
        {"username": student.email, "password": PASSWORD, "next": reverse("course_list")},
    )
    assert response.url == reverse("course_list")


def test_login_does_not_redirect_to_another_site(client, student):
    response = client.post(
        reverse("login"),
        {"username": student.email, "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.url == reverse("home")


def test_logout_takes_a_post_and_ends_the_session(client, student):
    client.force_login(student)
    response = client.post(reverse("logout"))
    assert response.url == reverse("login")
    assert client.get(reverse("home")).status_code == 302


def test_logout_by_get_is_not_allowed(client, student):
    client.force_login(student)
    assert client.get(reverse("logout")).status_code == 405


def test_pages_send_anonymous_visitors_to_log_in(client):
    for name in ("home", "course_list", "profile_settings"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response.url.startswith(reverse("login") + "?next=")


def test_a_forgotten_password_is_reset_through_an_emailed_link(client, student):
    response = client.post(reverse("password_reset"), {"email": "sam@EXAMPLE.test"})
    assert response.url == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [student.email]
    assert message.subject == "Reset your Pairing Portal password"

    link = re.search(r"http://testserver(/password/reset/\S+)", message.body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"]
    new_password = "a-brand-new-passphrase"
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
    )
    assert response.url == reverse("password_reset_complete")
    student.refresh_from_db()
    assert student.check_password(new_password)


def test_a_reset_for_an_unknown_address_says_the_same_and_sends_nothing(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.test"})
    assert response.url == reverse("password_reset_done")
    assert mail.outbox == []
