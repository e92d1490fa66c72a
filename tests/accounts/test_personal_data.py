"""A person's data (FERPA, GDPR): their institution's admin downloads everything the portal holds
about them, or deletes them; their audit events stay, naming them only by number."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.errors import AccountError
from accounts.models import ApiToken, AuditAction, AuditEvent, User
from accounts.services import api_token_create, institution_audit_retention_set
from courses.models import Enrollment
from pairing.models import ObserverLink, PairingCode
from pairing.services import pairing_code_redeem
from tests.factories import PASSWORD, UserFactory
from tests.pairing.helpers import new_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def family(client, student, observer):
    """The parent linked to the student with a code, an API token, and a failed log-in."""
    code = new_code(student)
    pairing_code_redeem(code=code, observer=observer)
    token = api_token_create(user=observer, purpose="Phone app")
    client.post(reverse("login"), {"username": observer.email, "password": "wrong-password-1"})
    return code, token


def download(client, admin, person):
    client.force_login(admin)
    return client.post(reverse("institution_user_data", args=[person.institution_id, person.pk]))


def delete(client, admin, person):
    client.force_login(admin)
    return client.post(reverse("institution_user_delete", args=[person.institution_id, person.pk]))


def test_an_admin_downloads_everything_the_portal_holds_about_a_parent(
    client, admin, observer, student, course, family
):
    code, token = family
    response = download(client, admin, observer)
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="person-{observer.pk}.json"'
    document = json.loads(response.content)
    assert document["profile"]["email"] == observer.email
    assert document["profile"]["institution"]["name"] == "Springfield Schools"
    assert [(e["course"]["name"], e["type"]) for e in document["enrollments"]] == [
        ("Biology 101", "ObserverEnrollment")
    ]
    assert document["observing"][0]["student"] == {"id": student.pk, "name": "Sam Student"}
    assert document["observed_by"] == []
    assert document["pairing_codes_used"][0]["student_id"] == student.pk
    assert document["api_tokens"][0]["purpose"] == "Phone app"
    actions = [event["action"] for event in document["audit_events"]]
    assert {"pairing_code.redeemed", "observer_link.created", "login.failed"} <= set(actions)
    # Neither the code, nor the token, nor what would stand for them.
    for secret in (code, token.token, token.record.token_hash, "code_hash", "password"):
        assert secret not in response.content.decode()
    assert AuditEvent.objects.filter(
        action=AuditAction.PERSON_EXPORTED, actor=admin, subject=observer
    ).exists()


def test_a_students_download_lists_their_codes_by_date_and_state_only(
    client, admin, student, family
):
    document = json.loads(download(client, admin, student).content)
    assert [code["state"] for code in document["pairing_codes"]] == ["used"]
    assert set(document["pairing_codes"][0]) == {
        "id",
        "created_at",
        "expires_at",
        "state",
        "ended_at",
        "created_by_id",
        "used_by_id",
    }
    assert document["observed_by"][0]["observer"]["name"] == "Pat Parent"


def test_deleting_a_parent_removes_their_links_enrollments_and_tokens_and_keeps_the_trail(
    client, admin, observer, student, family
):
    observer_id, email = observer.pk, observer.email
    events_before = AuditEvent.objects.filter(subject_id=observer_id).count()
    response = delete(client, admin, observer)
    assert response.status_code == 302
    assert response["Location"] == reverse("institution_users", args=[observer.institution_id])
    assert not User.objects.filter(pk=observer_id).exists()
    assert not ObserverLink.objects.filter(observer_id=observer_id).exists()
    assert not Enrollment.objects.filter(user_id=observer_id).exists()
    assert not ApiToken.objects.filter(user_id=observer_id).exists()
    assert PairingCode.objects.get(student=student).used_by_id is None  # the student's, kept

    # The trail keeps every event about them, by number, with their e-mail address gone.
    assert AuditEvent.objects.filter(subject_id=observer_id).count() == events_before + 1
    assert AuditEvent.objects.filter(actor_id=observer_id).exists()
    failed = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
    assert failed.details["login"] == f"deleted user #{observer_id}"
    deletion = AuditEvent.objects.get(action=AuditAction.PERSON_DELETED)
    assert (deletion.actor_id, deletion.subject_id) == (admin.pk, observer_id)
    assert deletion.details["deleted"]["pairing.ObserverLink"] == 1
    assert deletion.details["deleted"]["courses.Enrollment"] == 1
    every_detail = json.dumps(list(AuditEvent.objects.values_list("details", flat=True)))
    assert email not in every_detail

    client.get(response["Location"])  # where the message "Pat Parent was deleted" is shown
    trail = client.get(reverse("institution_audit", args=[admin.institution_id])).content.decode()
    assert f"deleted user #{observer_id}" in trail
    assert "Pat Parent" not in trail


def test_deleting_a_student_removes_their_codes_and_every_observers_link_to_them(
    client, admin, observer, student, family
):
    student_id = student.pk
    assert delete(client, admin, student).status_code == 302
    assert not PairingCode.objects.filter(student_id=student_id).exists()
    assert not ObserverLink.objects.filter(student_id=student_id).exists()
    assert not Enrollment.objects.filter(associated_user_id=student_id).exists()
    assert User.objects.filter(pk=observer.pk).exists()


def test_the_users_page_offers_the_download_and_the_deletion(client, admin, observer):
    client.force_login(admin)
    page = client.get(reverse("institution_user", args=[admin.institution_id, observer.pk]))
    text = page.content.decode()
    assert reverse("institution_user_data", args=[admin.institution_id, observer.pk]) in text
    assert reverse("institution_user_delete", args=[admin.institution_id, observer.pk]) in text


def test_an_admin_cannot_delete_another_admin_nor_themself(client, admin, institution):
    colleague = UserFactory(institution=institution, is_account_admin=True)
    for person in (colleague, admin):
        client.force_login(admin)
        page = client.get(reverse("institution_user", args=[institution.pk, person.pk]))
        assert reverse("institution_user_delete", args=[institution.pk, person.pk]) not in (
            page.content.decode()
        )
        response = delete(client, admin, person)
        assert response.status_code == 302
        assert User.objects.filter(pk=person.pk).exists()
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == [AccountError.DELETE_SELF]
    assert not AuditEvent.objects.filter(action=AuditAction.PERSON_DELETED).exists()


def test_another_institutions_admin_finds_nobody_to_download_or_delete(
    client, other_admin, observer
):
    assert download(client, other_admin, observer).status_code == 404
    assert delete(client, other_admin, observer).status_code == 404
    assert User.objects.filter(pk=observer.pk).exists()


def test_a_teacher_may_neither_download_nor_delete(client, teacher, observer):
    assert download(client, teacher, observer).status_code == 403
    assert delete(client, teacher, observer).status_code == 403


def test_downloading_and_deleting_are_posts(client, admin, observer):
    client.force_login(admin)
    for name in ("institution_user_data", "institution_user_delete"):
        url = reverse(name, args=[admin.institution_id, observer.pk])
        assert client.get(url).status_code == 405


def test_the_command_exports_and_deletes_with_the_same_services(admin, observer, family):
    out = StringIO()
    call_command("personal_data", "export", str(observer.pk), stdout=out)
    assert json.loads(out.getvalue())["profile"]["email"] == observer.email
    with pytest.raises(CommandError, match="Admins and platform operators"):
        call_command("personal_data", "delete", str(admin.pk), stdout=StringIO())
    call_command("personal_data", "delete", str(observer.pk), stdout=out)
    assert not User.objects.filter(pk=observer.pk).exists()
    assert AuditEvent.objects.get(action=AuditAction.PERSON_DELETED).source == "command"


def test_an_operator_deleting_someone_in_the_django_admin_goes_through_the_same_service(
    client, observer, family
):
    operator = User.objects.create_superuser("ops@example.test", PASSWORD, name="Ops")
    client.force_login(operator)
    url = reverse("admin:accounts_user_delete", args=[observer.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not User.objects.filter(pk=observer.pk).exists()
    deletion = AuditEvent.objects.get(action=AuditAction.PERSON_DELETED)
    assert deletion.actor_id == operator.pk
    assert AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED).details["login"] == (
        f"deleted user #{observer.pk}"
    )


def test_the_privacy_page_says_what_is_kept_and_for_how_long(client, db):
    page = client.get(reverse("privacy")).content.decode()
    assert "What the portal keeps, and for how long" in page
    assert "deleted one day after they are made" in page
    assert "14 days" in page


def test_the_privacy_page_states_the_institutions_own_audit_retention(client, institution, admin):
    assert (
        "Kept until the school chooses a limit" in client.get(reverse("privacy")).content.decode()
    )
    institution_audit_retention_set(institution=institution, years=3, by=admin)
    page = client.get(reverse("privacy")).content.decode()
    assert "3 years, then deleted" in page
