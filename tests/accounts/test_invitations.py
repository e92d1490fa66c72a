"""Invitations: an account made without a password gets an e-mail with a one-time link, valid for
7 days, where the person sets a password and lands logged in. Only the link's hash is kept."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.errors import SignInError
from accounts.invitation_mail import invitation_send
from accounts.models import AuditAction, AuditEvent, Invitation, User
from accounts.services import (
    invitation_accept,
    invitation_create,
    invitation_link_issue,
    invitation_refusal,
    user_create,
)
from accounts.services.invitations import INVITATION_TASK, token_digest
from tests.factories import UserFactory
from tests.jobs import jobs_of

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-and-unusual-passphrase"
BASE = "http://testserver/"
LINK = re.compile(r"https?://\S+/invitation/([\w-]+)")


@pytest.fixture
def newcomer(institution):
    """Made by an import: no password, never signed in."""
    return user_create(
        institution=institution, email="nia@springfield.example", name="Nia Newcomer"
    )


def sent_link(person) -> str:
    """The link of the one invitation e-mail ``person`` got, as its path."""
    [message] = [m for m in mail.outbox if m.to == [person.email]]
    return "/invitation/" + LINK.search(message.body)[1]


def test_an_invitation_is_queued_and_its_job_mails_a_link_that_only_the_email_holds(
    newcomer, admin
):
    invitation = invitation_create(person=newcomer, by=admin, base_url="https://portal.test/")
    assert mail.outbox == []  # the job sends it, not the request
    [job] = jobs_of(INVITATION_TASK)
    assert job.args == {"invitation_id": invitation.pk}  # no token in the queue

    assert invitation_send(invitation_id=invitation.pk)  # what the job does

    [message] = mail.outbox
    assert message.to == ["nia@springfield.example"]
    assert "Springfield Schools" in message.subject
    token = LINK.search(message.body)[1]
    assert message.body.count("https://portal.test/invitation/") == 1
    invitation.refresh_from_db()
    assert invitation.token_hash == token_digest(token) != token
    assert invitation.expires_at - invitation.sent_at == timedelta(days=7)
    assert not invitation_send(invitation_id=invitation.pk)  # a retry after success: nothing
    assert len(mail.outbox) == 1


def test_the_link_sets_the_password_and_logs_the_person_in(client, newcomer, admin):
    invitation = invitation_create(person=newcomer, by=admin, base_url="http://testserver/")
    invitation_send(invitation_id=invitation.pk)
    link = sent_link(newcomer)

    page = client.get(link)
    assert page.status_code == 200
    assert "nia@springfield.example" in page.content.decode()
    response = client.post(link, {"new_password1": PASSWORD, "new_password2": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).context["user"] == newcomer
    newcomer.refresh_from_db()
    assert newcomer.check_password(PASSWORD)
    accepted = AuditEvent.objects.get(action=AuditAction.INVITATION_ACCEPTED)
    assert (accepted.actor_id, accepted.subject_id) == (newcomer.pk, newcomer.pk)


def test_a_link_works_once(client, newcomer, admin):
    invitation_send(invitation_id=invitation_create(person=newcomer, by=admin, base_url=BASE).pk)
    link = sent_link(newcomer)
    client.post(link, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    client.logout()

    again = client.get(link)
    assert again.status_code == 404
    assert "does not work" in again.content.decode()
    assert (
        client.post(link, {"new_password1": "x" * 20, "new_password2": "x" * 20}).status_code == 404
    )
    newcomer.refresh_from_db()
    assert newcomer.check_password(PASSWORD)


def test_a_link_older_than_seven_days_no_longer_works(client, newcomer, admin):
    invitation = invitation_create(person=newcomer, by=admin, base_url=BASE)
    invitation_send(invitation_id=invitation.pk)
    link = sent_link(newcomer)
    Invitation.objects.filter(pk=invitation.pk).update(
        sent_at=timezone.now() - timedelta(days=8), expires_at=timezone.now() - timedelta(days=1)
    )
    assert client.get(link).status_code == 404
    with pytest.raises(SignInError, match="does not work"):
        invitation_accept(token=link.rsplit("/", 1)[1], password=PASSWORD)


def test_a_newer_invitation_replaces_the_older_link(client, newcomer, admin):
    invitation_send(invitation_id=invitation_create(person=newcomer, by=admin, base_url=BASE).pk)
    first = sent_link(newcomer)
    mail.outbox.clear()
    invitation_send(invitation_id=invitation_create(person=newcomer, by=admin, base_url=BASE).pk)
    second = sent_link(newcomer)

    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200


def test_a_weak_or_mistyped_password_is_refused_and_the_link_still_works(client, newcomer, admin):
    invitation_send(invitation_id=invitation_create(person=newcomer, by=admin, base_url=BASE).pk)
    link = sent_link(newcomer)
    weak = client.post(link, {"new_password1": "password", "new_password2": "password"})
    assert weak.status_code == 400
    assert "too common" in weak.content.decode()
    mistyped = client.post(link, {"new_password1": PASSWORD, "new_password2": PASSWORD + "x"})
    assert mistyped.status_code == 400
    assert (
        client.post(link, {"new_password1": PASSWORD, "new_password2": PASSWORD}).status_code == 302
    )


def test_someone_with_a_password_is_not_invited(admin, student):
    assert invitation_refusal(by=admin, person=student) == SignInError.HAS_PASSWORD
    with pytest.raises(SignInError):
        invitation_create(person=student, by=admin)
    assert not Invitation.objects.exists()


def test_an_admin_invites_the_people_of_their_own_institution_only(
    institution, admin, other_admin, newcomer
):
    assert invitation_refusal(by=admin, person=newcomer) is None
    assert invitation_refusal(by=other_admin, person=newcomer) == SignInError.INVITE_NOT_ALLOWED


def test_only_a_platform_operator_or_a_command_invites_an_admin(institution, admin):
    new_admin = user_create(
        institution=institution,
        email="it2@example.test",
        name="Second Admin",
        is_account_admin=True,
    )
    operator = User.objects.create_superuser("ops@example.test", None, name="Ops")
    assert invitation_refusal(by=admin, person=new_admin) == SignInError.INVITE_ADMIN
    assert invitation_refusal(by=operator, person=new_admin) is None
    assert invitation_refusal(by=None, person=new_admin) is None


def test_a_deactivated_person_is_not_invited_and_a_queued_invitation_is_dropped(newcomer, admin):
    invitation = invitation_create(person=newcomer, by=admin)
    User.objects.filter(pk=newcomer.pk).update(is_active=False)
    assert not invitation_send(invitation_id=invitation.pk)
    assert mail.outbox == []
    invitation.refresh_from_db()
    assert invitation.gave_up_at is not None
    newcomer.refresh_from_db()
    assert invitation_refusal(by=admin, person=newcomer) == SignInError.INACTIVE


def test_a_printed_link_works_like_an_emailed_one(client, newcomer):
    link = invitation_link_issue(person=newcomer, by=None, base_url="http://testserver/")
    path = link.removeprefix("http://testserver")
    response = client.post(path, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action=AuditAction.INVITATION_SENT).get().details == {
        "delivered": "by hand"
    }


def test_the_mail_server_refusing_the_address_gives_the_invitation_up(newcomer, admin, smtp_server):
    smtp_server.mailbox.refuse.add(newcomer.email)
    invitation = invitation_create(person=newcomer, by=admin, base_url="http://testserver/")
    with pytest.raises(Exception, match="refused an address at springfield.example"):
        invitation_send(invitation_id=invitation.pk)
    invitation.refresh_from_db()
    assert invitation.gave_up_at is not None
    assert invitation.token_hash is None
    assert invitation.state == "failed"


def test_through_a_real_mail_server_the_message_carries_the_link(newcomer, admin, smtp_server):
    invitation = invitation_create(person=newcomer, by=admin, base_url="http://testserver/")
    assert invitation_send(invitation_id=invitation.pk)
    [(recipients, message)] = smtp_server.mailbox.messages
    assert recipients == [newcomer.email]
    body = message.get_payload(decode=True).decode()
    assert LINK.search(body)


# --- The pages ------------------------------------------------------------------------------------


def test_an_admin_sends_an_invitation_from_the_users_page(client, admin, newcomer):
    client.force_login(admin)
    url = reverse("institution_user_invite", args=[newcomer.institution_id, newcomer.pk])
    response = client.post(url, follow=True)
    assert "An invitation is on its way to nia@springfield.example" in response.content.decode()
    assert Invitation.objects.get().user == newcomer
    page = client.get(reverse("institution_user", args=[newcomer.institution_id, newcomer.pk]))
    assert "Being sent" in page.content.decode()
    assert "Send the invitation again" in page.content.decode()


def test_inviting_answers_405_to_get_and_sends_the_anonymous_to_log_in(client, newcomer):
    url = reverse("institution_user_invite", args=[newcomer.institution_id, newcomer.pk])
    assert client.get(url).status_code == 405
    assert client.post(url)["Location"].startswith("/login?next=")


def test_an_outsider_cannot_invite_and_learns_nothing(client, other_admin, newcomer):
    client.force_login(other_admin)
    url = reverse("institution_user_invite", args=[newcomer.institution_id, newcomer.pk])
    assert client.post(url).status_code == 404
    assert not Invitation.objects.exists()


def test_a_teacher_cannot_invite(client, teacher, newcomer):
    client.force_login(teacher)
    url = reverse("institution_user_invite", args=[newcomer.institution_id, newcomer.pk])
    assert client.post(url).status_code == 403


def test_forgot_your_password_invites_an_account_that_never_had_one(client, newcomer):
    response = client.post(reverse("password_reset"), {"email": "NIA@springfield.example"})
    assert response.status_code == 302
    [invitation] = Invitation.objects.all()
    assert invitation.user == newcomer
    assert invitation.invited_by is None
    assert invitation.base_url == "http://testserver/"
    # A second ask at once sends nothing more (a stranger cannot flood the inbox).
    client.post(reverse("password_reset"), {"email": newcomer.email})
    assert Invitation.objects.count() == 1


def test_forgot_your_password_says_the_same_words_whoever_asks(client, newcomer, student):
    words = []
    for email in (newcomer.email, student.email, "nobody@example.test"):
        response = client.post(reverse("password_reset"), {"email": email}, follow=True)
        page = response.content.decode().replace(email, "")
        words.append(re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", page))
    assert words[0] == words[1] == words[2]
    assert [m.to for m in mail.outbox] == [[student.email]]  # Django's reset, for the password
    assert Invitation.objects.get().user == newcomer


def test_no_invitation_link_reaches_a_log_line():
    from pairing_portal.logs import scrub

    line = "GET /invitation/Zr3x_Q-abcdefghijklmnop 200; see https://p.test/invitation/Zr3x_Q-ab"
    assert "Zr3x" not in scrub(line)
    assert scrub("/accounts/3/invitations/7") == "/accounts/3/invitations/7"


def test_the_api_invites_a_new_user_with_send_confirmation(client, admin, institution):
    from accounts.services import api_token_create

    token = api_token_create(user=admin, purpose="sync").token
    url = f"/api/v1/accounts/{institution.pk}/users"
    data = {
        "user[name]": "Ann Api",
        "pseudonym[unique_id]": "ann@springfield.example",
        "pseudonym[send_confirmation]": "true",
    }
    response = client.post(url, data, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    invitation = Invitation.objects.get()
    assert invitation.user.email == "ann@springfield.example"
    assert invitation.invited_by == admin
    quiet = {**data, "pseudonym[unique_id]": "bo@springfield.example", "user[name]": "Bo"}
    del quiet["pseudonym[send_confirmation]"]
    assert client.post(url, quiet, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    assert Invitation.objects.count() == 1


def test_accepting_is_recorded_and_withdraws_the_other_open_invitations(newcomer, admin):
    older = invitation_create(person=newcomer, by=admin)
    newer_link = invitation_link_issue(person=newcomer, by=admin, base_url="http://t/")
    older.refresh_from_db()
    assert older.withdrawn_at is not None
    invitation_accept(token=newer_link.rsplit("/", 1)[1], password=PASSWORD)
    assert not invitation_send(invitation_id=older.pk)


def test_a_factory_user_has_a_password_and_an_import_made_one_has_none(institution):
    assert UserFactory(institution=institution).has_usable_password()
    assert not user_create(
        institution=institution, email="x@y.test", name="X"
    ).has_usable_password()
