"""Log-in and sign-up forms a phone and a password manager understand, and a form sent back with
an error that keeps every answer but the passwords, and says so. The log-in page of a school with
"All account types" offers sign-up to students and teachers too; a pairing link opened while
logged out says the code is kept."""

import re

import pytest
from django.urls import reverse

from accounts.forms import PASSWORDS_AGAIN
from accounts.models import AuditAction, AuditEvent, SelfRegistration, User

LOGIN = reverse("login")
PASSWORD = "quiet-meadow-at-dawn"


def tag(page: str, name: str) -> str:
    return re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)


def test_the_log_in_fields_bring_up_the_right_keyboard_and_password_manager(client, institution):
    page = client.get(LOGIN).content.decode()
    email = tag(page, "username")
    assert 'type="email"' in email
    assert 'autocomplete="username"' in email
    assert 'inputmode="email"' in email
    assert "autofocus" in email
    assert 'autocomplete="current-password"' in tag(page, "password")


@pytest.mark.parametrize("url", ["observer_sign_up", "student_sign_up", "teacher_sign_up"])
def test_the_sign_up_fields_too(client, institution, url):
    institution.self_registration = SelfRegistration.ALL
    institution.save()
    page = client.get(reverse(url)).content.decode()
    assert 'type="email"' in tag(page, "email")
    assert 'autocomplete="username"' in tag(page, "email")
    assert 'autocomplete="name"' in tag(page, "name")
    assert 'autocomplete="new-password"' in tag(page, "password")
    assert 'autocomplete="new-password"' in tag(page, "password_confirmation")


def test_a_bad_code_keeps_the_other_answers_and_asks_for_the_passwords_again(client, institution):
    response = client.post(
        reverse("observer_sign_up"),
        {
            "name": "Robin Parent",
            "email": "robin@example.test",
            "password": PASSWORD,
            "password_confirmation": PASSWORD,
            "code": "Zz9Zz9",
        },
    )
    page = response.content.decode()
    assert 'value="Robin Parent"' in tag(page, "name")
    assert 'value="robin@example.test"' in tag(page, "email")
    assert 'value="Zz9Zz9"' in tag(page, "code")
    assert "Invalid pairing code" in page
    assert str(PASSWORDS_AGAIN) in page  # said clearly, on the password field
    assert PASSWORD not in page  # and never written into the page
    assert 'value="' not in tag(page, "password")


def test_no_such_note_on_a_first_visit(client, institution):
    assert str(PASSWORDS_AGAIN) not in client.get(reverse("observer_sign_up")).content.decode()


def test_the_log_in_page_carries_the_note_for_a_pairing_link_hidden_until_a_code_is_kept(
    client, institution
):
    page = client.get(LOGIN).content.decode()
    note = re.search(r"<p class=\"notice\" data-pairing-kept hidden>([^<]+)</p>", page)
    assert note.group(1).startswith("Log in or sign up to link a student")
    assert "your pairing code is kept" in note.group(1)


# --- "All account types" ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "offered"),
    [
        (SelfRegistration.NONE, []),
        (SelfRegistration.OBSERVER, ["Parents"]),
        (SelfRegistration.ALL, ["Parents", "Students", "Teachers"]),
    ],
)
def test_the_log_in_page_offers_sign_up_to_whom_the_setting_says(
    client, institution, value, offered
):
    institution.self_registration = value
    institution.save()
    page = client.get(LOGIN).content.decode()
    shown = [who for who in ("Parents", "Students", "Teachers") if f"{who} sign up here" in page]
    assert shown == offered
    assert ("Need an account?" in page) == bool(offered)


def sign_up_teacher(client, **changes):
    data = {
        "name": "Tess Teacher",
        "email": "tess@example.test",
        "password": PASSWORD,
        "password_confirmation": PASSWORD,
    }
    return client.post(reverse("teacher_sign_up"), {**data, **changes})


def test_a_teacher_signs_up_under_all_account_types(client, institution):
    institution.self_registration = SelfRegistration.ALL
    institution.save()
    response = sign_up_teacher(client)
    assert response.url == reverse("home")
    teacher = User.objects.get(email="tess@example.test")
    assert teacher.institution == institution
    assert not teacher.is_account_admin
    assert client.get(reverse("home")).context["user"] == teacher
    event = AuditEvent.objects.get(action=AuditAction.SIGNED_UP)
    assert (event.subject_id, event.details["as"]) == (teacher.pk, "teacher")


@pytest.mark.parametrize("value", [SelfRegistration.NONE, SelfRegistration.OBSERVER])
def test_teachers_cannot_sign_up_otherwise(client, institution, value):
    institution.self_registration = value
    institution.save()
    assert client.get(reverse("teacher_sign_up")).status_code == 403
    assert sign_up_teacher(client).status_code == 403
    assert not User.objects.filter(email="tess@example.test").exists()
