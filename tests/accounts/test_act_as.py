"""Act as user: an admin sees the portal as someone else, with a banner, and every stretch recorded."""

import pytest
from django.urls import reverse

from accounts.models import ActAsSession, ApiToken
from accounts.roles import Permission, Role
from accounts.services import api_token_create, role_permission_set
from pairing.models import PairingCode
from tests.factories import UserFactory


def begin(client, subject):
    return client.post(reverse("act_as_begin", args=[subject.pk]))


def test_an_admin_acts_as_a_student_and_sees_their_settings(client, admin, student):
    client.force_login(admin)
    response = begin(client, student)
    assert response.url == reverse("home")
    page = client.get(reverse("profile_settings")).content.decode()
    assert "You, <strong>Avery Admin</strong>, are acting as <strong>Sam Student</strong>" in page
    assert "Stop acting as Sam Student" in page
    assert student.email in page
    session = ActAsSession.objects.get()
    assert (session.actor, session.subject, session.ended_at) == (admin, student, None)
    assert session.client_address == "127.0.0.1"


def test_acting_as_a_student_the_admin_pairs_with_an_observer_for_them(client, admin, student):
    client.force_login(admin)
    begin(client, student)
    response = client.post(reverse("profile_pairing_code"), follow=True)
    assert response.status_code == 200
    assert "<strong>Sam Student</strong>" in response.content.decode()
    assert PairingCode.objects.get().student == student


def test_the_banner_is_on_every_page(client, admin, student, course):
    client.force_login(admin)
    begin(client, student)
    for url in (
        reverse("home"),
        reverse("course_list"),
        reverse("course_detail", args=[course.pk]),
    ):
        assert "Stop acting as" in client.get(url).content.decode()


def test_stopping_returns_the_admin_and_records_the_end(client, admin, student):
    client.force_login(admin)
    begin(client, student)
    assert client.post(reverse("act_as_end")).url == reverse("home")
    page = client.get(reverse("home")).content.decode()
    assert "Stop acting as" not in page
    assert "Welcome, Avery Admin" in page
    assert ActAsSession.objects.get().ended_at is not None


def test_acting_as_another_admin_is_refused(client, admin, institution):
    peer = UserFactory(institution=institution, is_account_admin=True)
    client.force_login(admin)
    response = begin(client, peer)
    assert response.status_code == 403
    assert "Admins cannot act as other admins." in response.content.decode()
    assert not ActAsSession.objects.exists()


def test_acting_as_oneself_is_refused(client, admin):
    client.force_login(admin)
    assert begin(client, admin).status_code == 403


@pytest.mark.parametrize("persona", ["teacher", "student", "observer"])
def test_people_without_act_as_user_are_refused(client, persona, request, student):
    actor = request.getfixturevalue(persona)
    subject = student if actor != student else UserFactory(institution=student.institution)
    client.force_login(actor)
    assert begin(client, subject).status_code == 403
    assert not ActAsSession.objects.exists()


def test_a_user_of_another_institution_cannot_be_acted_as(client, admin, other_admin):
    stranger = UserFactory(institution=other_admin.institution)
    client.force_login(admin)
    assert begin(client, stranger).status_code == 404


def test_acting_needs_post(client, admin, student):
    client.force_login(admin)
    assert client.get(reverse("act_as_begin", args=[student.pk])).status_code == 405


def test_losing_the_right_ends_the_acting_at_the_next_request(client, admin, student, institution):
    client.force_login(admin)
    begin(client, student)
    role_permission_set(
        institution=institution,
        role=Role.ACCOUNT_ADMIN,
        permission=Permission.ACT_AS_USER,
        enabled=False,
        by=None,
    )
    page = client.get(reverse("home")).content.decode()
    assert "Welcome, Avery Admin" in page
    assert ActAsSession.objects.get().ended_at is not None


def test_while_acting_admin_pages_are_out_of_reach(client, admin, student, institution):
    client.force_login(admin)
    begin(client, student)
    assert client.get(reverse("institution_permissions", args=[institution.pk])).status_code == 403


def test_logging_out_while_acting_logs_the_admin_out(client, admin, student):
    client.force_login(admin)
    begin(client, student)
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_an_admin_acting_as_someone_cannot_make_or_revoke_their_tokens(client, admin, student):
    token = api_token_create(user=student, purpose="Mine").record
    client.force_login(admin)
    client.post(reverse("act_as_begin", args=[student.pk]))
    assert "Approved Integrations" not in client.get(reverse("profile_settings")).content.decode()
    assert client.post(reverse("api_token_new"), {"purpose": "backdoor"}).status_code == 403
    assert client.post(reverse("api_token_revoke", args=[token.pk])).status_code == 403
    assert ApiToken.objects.filter(user=student).count() == 1


def test_logging_out_while_acting_ends_and_records_the_acting(client, admin, student):
    client.force_login(admin)
    client.post(reverse("act_as_begin", args=[student.pk]))
    client.post(reverse("logout"))
    assert ActAsSession.objects.get().ended_at is not None
