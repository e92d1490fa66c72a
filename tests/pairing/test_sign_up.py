"""Parents sign up here: one form makes the observer's account and links it to a student, or
makes nothing at all."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.errors import AccountError
from accounts.models import SelfRegistration, User
from accounts.roles import Role
from courses.models import Enrollment, EnrollmentState
from pairing.errors import PairingError
from pairing.models import (
    ObserverLink,
    ObserverLinkSource,
    ObserverLinkState,
    PairingCode,
    PairingCodeState,
)
from pairing.services import pairing_code_create, pairing_code_redeem
from tests.factories import CourseFactory, EnrollmentFactory

URL = reverse("observer_sign_up")
NEW_PASSWORD = "quiet-meadow-at-dawn"


def sign_up(client, code, **changes):
    data = {
        "name": "Robin Parent",
        "email": "robin@example.test",
        "password": NEW_PASSWORD,
        "password_confirmation": NEW_PASSWORD,
        "code": code,
    }
    headers = changes.pop("headers", {})
    return client.post(URL, {**data, **changes}, headers=headers)


def set_self_registration(institution, value=SelfRegistration.NONE):
    institution.self_registration = value
    institution.save()


@pytest.mark.parametrize("value", [SelfRegistration.OBSERVER, SelfRegistration.ALL])
def test_the_login_page_offers_parent_sign_up_while_self_registration_is_on(
    client, institution, value
):
    set_self_registration(institution, value)
    page = client.get(reverse("login")).content.decode()
    assert "Parents sign up here" in page
    assert f'href="{URL}"' in page


def test_the_login_page_hides_parent_sign_up_while_self_registration_is_off(client, institution):
    set_self_registration(institution)
    assert "Parents sign up here" not in client.get(reverse("login")).content.decode()


def test_the_sign_up_page_asks_for_account_details_and_a_pairing_code(client, institution):
    response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Parent Signup" in page
    assert "Springfield Schools" in page
    for label in ("Your Name", "Your Email", "Password", "Re-enter Password"):
        assert f"{label} <span" in page
    assert "Student Pairing Code" in page
    assert "Start Participating" in page


def test_with_self_registration_off_the_sign_up_page_is_forbidden(client, institution):
    set_self_registration(institution)
    response = client.get(URL)
    assert response.status_code == 403
    assert (
        "<h1>Self registration has not been enabled for this account</h1>"
        in response.content.decode()
    )


def test_with_self_registration_off_a_code_made_before_cannot_sign_anyone_up(
    client, institution, student
):
    issued = pairing_code_create(student=student, by=student)
    set_self_registration(institution)
    assert sign_up(client, issued.code).status_code == 403
    assert not User.objects.filter(email="robin@example.test").exists()
    issued.record.refresh_from_db()
    assert issued.record.state == PairingCodeState.ACTIVE


@pytest.mark.parametrize("value", [SelfRegistration.OBSERVER, SelfRegistration.ALL])
def test_a_parent_signs_up_and_observes_the_student_in_one_go(
    client, institution, course, student, value
):
    set_self_registration(institution, value)
    issued = pairing_code_create(student=student, by=student)

    response = sign_up(client, f"  {issued.code} ")

    assert response.status_code == 302
    assert response.url == reverse("home")
    parent = User.objects.get(email="robin@example.test")
    assert parent.institution == institution
    assert parent.name == "Robin Parent"
    assert parent.check_password(NEW_PASSWORD)
    link = ObserverLink.objects.get(observer=parent)
    assert (link.student, link.state, link.source) == (
        student,
        ObserverLinkState.ACTIVE,
        ObserverLinkSource.SIGN_UP,
    )
    enrollment = Enrollment.objects.get(user=parent)
    assert (enrollment.course, enrollment.type, enrollment.associated_user, enrollment.state) == (
        course,
        Role.OBSERVER,
        student,
        EnrollmentState.ACTIVE,
    )
    issued.record.refresh_from_db()
    assert (issued.record.state, issued.record.used_by) == (PairingCodeState.USED, parent)

    home = client.get(reverse("home"))
    assert home.context["user"] == parent
    page = home.content.decode()
    assert "Welcome! Your account is ready and linked to your student." in page
    assert "Sam Student" in page


def _unknown_code(student, observer):
    return "ZZZZZZ"


def _malformed_code(student, observer):
    return "not a code"


def _used_code(student, observer):
    code = pairing_code_create(student=student, by=student).code
    pairing_code_redeem(code=code, observer=observer)
    return code


def _expired_code(student, observer):
    issued = pairing_code_create(student=student, by=student)
    now = timezone.now()
    PairingCode.objects.filter(pk=issued.record.pk).update(
        created_at=now - timedelta(days=8), expires_at=now - timedelta(days=1)
    )
    return issued.code


def _lower_cased_code(student, observer):
    # Codes are case-sensitive; draw until lower-casing changes it (almost always the first time).
    while (code := pairing_code_create(student=student, by=student).code) == code.lower():
        pass
    return code.lower()


@pytest.mark.parametrize(
    "make_code",
    [_unknown_code, _malformed_code, _used_code, _expired_code, _lower_cased_code],
)
def test_a_code_that_does_not_work_makes_no_account(client, student, observer, make_code):
    code = make_code(student, observer)
    users_before = User.objects.count()

    response = sign_up(client, code)

    assert response.status_code == 200
    assert response.context["form"].errors["code"] == [PairingError.INVALID_CODE]
    assert User.objects.count() == users_before
    assert not ObserverLink.objects.filter(observer__email="robin@example.test").exists()
    assert not response.wsgi_request.user.is_authenticated


def test_a_code_of_another_institutions_student_is_invalid_here(
    client, institution, student, other_admin
):
    institution.domain = "testserver"
    institution.save()
    elsewhere = CourseFactory(institution=other_admin.institution)
    their_student = EnrollmentFactory(course=elsewhere, type=Role.STUDENT).user
    code = pairing_code_create(student=their_student, by=their_student).code

    response = sign_up(client, code)

    assert response.context["form"].errors["code"] == [PairingError.INVALID_CODE]
    assert not User.objects.filter(email="robin@example.test").exists()


def test_an_email_already_taken_in_any_case_is_refused_and_the_code_is_kept(
    client, student, observer
):
    issued = pairing_code_create(student=student, by=student)

    response = sign_up(client, issued.code, email="PARENT@Example.TEST")

    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [AccountError.EMAIL_TAKEN]
    assert User.objects.filter(email__iexact="parent@example.test").count() == 1
    issued.record.refresh_from_db()
    assert issued.record.state == PairingCodeState.ACTIVE

    assert sign_up(client, issued.code).url == reverse("home")
    assert ObserverLink.objects.get(student=student).observer.email == "robin@example.test"


def test_two_different_passwords_are_refused(client, student):
    code = pairing_code_create(student=student, by=student).code
    response = sign_up(client, code, password_confirmation="quiet-meadow-at-dusk")
    assert response.status_code == 200
    assert response.context["form"].errors["password_confirmation"] == [
        "The two passwords are not the same."
    ]
    assert not User.objects.filter(email="robin@example.test").exists()


@pytest.mark.parametrize(
    ("password", "complaint"),
    [
        ("password", "This password is too common."),
        ("short", "This password is too short."),
        ("robin@example", "The password is too similar to the e-mail."),
    ],
)
def test_a_weak_password_is_refused(client, student, password, complaint):
    code = pairing_code_create(student=student, by=student).code
    response = sign_up(client, code, password=password, password_confirmation=password)
    assert response.status_code == 200
    assert complaint in " ".join(response.context["form"].errors["password"])
    assert not User.objects.filter(email="robin@example.test").exists()


def test_a_password_close_to_the_parents_name_is_refused(client, student):
    # The form validates against an unsaved User carrying the name, so that this is refused.
    code = pairing_code_create(student=student, by=student).code
    response = sign_up(client, code, password="robinparent", password_confirmation="robinparent")
    assert response.status_code == 200
    assert response.context["form"].errors["password"] == [
        "The password is too similar to the name."
    ]
    assert not User.objects.filter(email="robin@example.test").exists()


def test_a_logged_in_user_is_sent_to_the_students_they_observe(client, observer):
    client.force_login(observer)
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url == "/profile/observees"


def test_with_two_institutions_and_no_matching_host_sign_up_is_off(
    client, institution, other_admin, student
):
    code = pairing_code_create(student=student, by=student).code
    assert "Parents sign up here" not in client.get(reverse("login")).content.decode()
    response = client.get(URL)
    assert response.status_code == 403
    assert "Self registration has not been enabled" in response.content.decode()
    assert sign_up(client, code).status_code == 403
    assert not User.objects.filter(email="robin@example.test").exists()


def test_with_two_institutions_the_host_decides_where_the_parent_signs_up(
    client, settings, institution, course, student, other_admin
):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "portal.springfield.test"]
    institution.domain = "portal.springfield.test"
    institution.save()
    code = pairing_code_create(student=student, by=student).code

    page = client.get(URL, headers={"host": "portal.springfield.test"}).content.decode()
    assert "Springfield Schools" in page
    response = sign_up(client, code, headers={"host": "Portal.Springfield.test:8443"})

    assert response.url == reverse("home")
    parent = User.objects.get(email="robin@example.test")
    assert parent.institution == institution
    assert ObserverLink.objects.filter(observer=parent, student=student).exists()


def test_the_host_of_an_institution_with_sign_up_off_gets_the_disabled_page(
    client, settings, institution, other_admin
):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "portal.shelbyville.test"]
    shelbyville = other_admin.institution
    shelbyville.domain = "portal.shelbyville.test"
    shelbyville.self_registration = SelfRegistration.NONE
    shelbyville.save()
    assert client.get(URL, headers={"host": "portal.shelbyville.test"}).status_code == 403
    assert client.get(URL).status_code == 403  # testserver matches neither institution


def test_sign_up_with_a_made_up_code_does_not_tell_whether_an_email_has_an_account(client, student):
    data = {
        "name": "Prober",
        "email": student.email,
        "password": "a-long-family-passphrase",
        "password_confirmation": "a-long-family-passphrase",
        "code": "zzzzzz",
    }
    page = client.post(reverse("observer_sign_up"), data).content.decode()
    assert "Invalid pairing code" in page
    assert "already exists" not in page


def test_sign_up_with_a_taken_email_keeps_the_code_and_counts_as_an_attempt(
    client, student, settings
):
    from accounts.models import ThrottleBucket

    settings.THROTTLE_STORE = "database"  # read back below, whatever CACHE_URL says

    code = pairing_code_create(student=student, by=student).code
    data = {
        "name": "Parent",
        "email": student.email,
        "password": "a-long-family-passphrase",
        "password_confirmation": "a-long-family-passphrase",
        "code": code,
    }
    page = client.post(reverse("observer_sign_up"), data).content.decode()
    assert "already exists" in page
    assert ThrottleBucket.objects.filter(key__startswith="redeem:address:").exists()
