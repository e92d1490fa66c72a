import re

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD, UserFactory
from tests.proof_of_work import challenge_on, solved

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


# --- Wrong passwords from many addresses ---------------------------------------------------------


def wrong_passwords(client, user, *, addresses: list[str], url: str | None = None) -> None:
    for address in addresses:
        client.post(
            url or reverse("login"),
            {"username": user.email, "password": "not the password"},
            REMOTE_ADDR=address,
        )


FIVE_ADDRESSES = [f"203.0.{n}.66" for n in range(1, 6)]


def test_five_wrong_passwords_from_five_addresses_do_not_lock_the_teacher_out(
    client, teacher, settings
):
    settings.PROOF_OF_WORK_MAX_NUMBER = 50  # a small proof; the browser test solves a real one
    wrong_passwords(client, teacher, addresses=FIVE_ADDRESSES)
    form = {"username": teacher.email, "password": PASSWORD}

    page = client.post(reverse("login"), form, REMOTE_ADDR="192.0.2.20").content.decode()
    assert "logging in is paused" not in page
    assert "your browser is asked to do a moment" in page
    response = client.post(
        reverse("login"), {**form, "altcha": solved(challenge_on(page))}, REMOTE_ADDR="192.0.2.20"
    )
    assert response.status_code == 302
    assert client.get(reverse("home")).context["user"] == teacher


def test_an_account_under_attack_asks_everyone_for_a_proof_even_with_the_right_password(
    client, teacher
):
    wrong_passwords(client, teacher, addresses=FIVE_ADDRESSES)
    response = client.post(
        reverse("login"),
        {"username": teacher.email, "password": PASSWORD},
        REMOTE_ADDR="192.0.2.20",
    )
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated
    assert challenge_on(response.content.decode()) is not None


def test_a_proof_for_another_account_does_not_count(client, teacher, student, settings):
    settings.PROOF_OF_WORK_MAX_NUMBER = 50
    wrong_passwords(client, teacher, addresses=FIVE_ADDRESSES)
    wrong_passwords(client, student, addresses=FIVE_ADDRESSES)
    page = client.post(
        reverse("login"), {"username": student.email, "password": PASSWORD}
    ).content.decode()
    proof = solved(challenge_on(page))
    response = client.post(
        reverse("login"), {"username": teacher.email, "password": PASSWORD, "altcha": proof}
    )
    assert response.status_code == 200
    assert "your browser is asked to do a moment" in response.content.decode()


def test_the_address_that_failed_stays_paused_with_or_without_a_proof(client, teacher, settings):
    settings.PROOF_OF_WORK_MAX_NUMBER = 50
    wrong_passwords(client, teacher, addresses=["203.0.113.5"] * 5)
    page = client.post(
        reverse("login"), {"username": teacher.email, "password": PASSWORD}, REMOTE_ADDR="192.0.2.1"
    ).content.decode()
    response = client.post(
        reverse("login"),
        {"username": teacher.email, "password": PASSWORD, "altcha": solved(challenge_on(page))},
        REMOTE_ADDR="203.0.113.5",
    )
    assert "logging in is paused" in response.content.decode()


def test_one_network_guessing_many_accounts_is_stopped(client, institution, settings):

    settings.LOGIN_FAILURES_PER_NETWORK_PER_DAY = (6, 24 * 3600)
    people = [UserFactory(institution=institution) for _ in range(7)]
    for number, person in enumerate(people[:6]):
        wrong_passwords(client, person, addresses=[f"2001:db8:5:5::{number + 1}"])
    response = client.post(
        reverse("login"),
        {"username": people[6].email, "password": PASSWORD},
        REMOTE_ADDR="2001:db8:5:5::99",
    )
    assert "logging in is paused" in response.content.decode()
    response = client.post(
        reverse("login"),
        {"username": people[6].email, "password": PASSWORD},
        REMOTE_ADDR="2001:db8:5:6::99",
    )
    assert response.status_code == 302


def test_the_django_admin_log_in_asks_for_the_proof_too(client, settings):
    from accounts.models import User

    settings.PROOF_OF_WORK_MAX_NUMBER = 50
    operator = User.objects.create_superuser(
        "ops@example.test", "a-long-operator-passphrase", name="Ops"
    )
    url = reverse("admin:login")
    wrong_passwords(client, operator, addresses=FIVE_ADDRESSES, url=url)
    form = {"username": operator.email, "password": "a-long-operator-passphrase"}
    page = client.post(url, form, REMOTE_ADDR="192.0.2.30").content.decode()
    assert "your browser is asked to do a moment" in page
    response = client.post(
        url, {**form, "altcha": solved(challenge_on(page))}, REMOTE_ADDR="192.0.2.30"
    )
    assert response.status_code == 302


def test_the_django_admin_login_is_limited_too(client, db):
    User.objects.create_superuser("ops@example.test", "a-long-operator-passphrase", name="Ops")
    url = reverse("admin:login")
    for _ in range(5):
        client.post(url, {"username": "ops@example.test", "password": "wrong"})
    response = client.post(
        url, {"username": "ops@example.test", "password": "a-long-operator-passphrase"}
    )
    assert response.status_code == 200
    assert "logging in is paused" in response.content.decode()


@override_settings(PASSWORD_RESETS_PER_ADDRESS_PER_DAY=(3, 24 * 3600))
def test_password_resets_are_limited_per_address(client, student):
    from django.core import mail

    for _ in range(4):
        response = client.post(reverse("password_reset"), {"email": student.email})
    assert response.status_code == 200
    assert "Too many password resets" in response.content.decode()
    assert len(mail.outbox) == 3
