"""Inviting many at once: everyone of a search result or a file who has never signed in, by a job
whose progress the admin follows; and the people an SIS import makes, when the admin asks."""

import re
from io import StringIO

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditAction, AuditEvent, Invitation, InvitationBatch, User
from accounts.services import invitation_create, user_create
from accounts.services.invitations import BATCH_TASK, INVITATION_TASK
from tests.factories import UserFactory
from tests.jobs import jobs_of, run_due_jobs
from tests.rostering.sis_helpers import run_queued_imports

USERS_CSV = (
    b"user_id,login_id,first_name,last_name,email,status\n"
    b"N1,nia@springfield.example,Nia,Newcomer,,active\n"
    b"N2,ned@springfield.example,Ned,Newcomer,,active\n"
)


def newcomers(institution, count: int, *, first: int = 0) -> list[User]:
    return [
        user_create(
            institution=institution,
            email=f"newcomer{n}@springfield.example",
            name=f"Newcomer {n}",
            sis_user_id=f"N{n}",
        )
        for n in range(first, first + count)
    ]


def test_an_admin_invites_everyone_a_search_finds_who_never_signed_in(
    job_queue, client, institution, admin, smtp_server
):
    invited = newcomers(institution, 3)
    signed_in = user_create(
        institution=institution, email="old@springfield.example", name="Newcomer Old"
    )
    User.objects.filter(pk=signed_in.pk).update(last_login=timezone.now())
    with_password = UserFactory(institution=institution, name="Newcomer Pass")
    fellow_admin = user_create(
        institution=institution,
        email="it2@springfield.example",
        name="Newcomer Admin",
        is_account_admin=True,
    )
    someone_else = user_create(institution=institution, email="zed@springfield.example", name="Zed")
    client.force_login(admin)

    response = client.post(
        reverse("institution_users_invite", args=[institution.pk]), {"q": "Newcomer"}
    )
    batch = InvitationBatch.objects.get()
    assert response["Location"] == reverse("invitation_batch", args=[institution.pk, batch.pk])
    assert sorted(batch.user_ids) == sorted(user.pk for user in invited)
    assert [job.args for job in jobs_of(BATCH_TASK)] == [{"batch_id": batch.pk}]

    run_due_jobs()  # the batch's job makes the invitations, their jobs send them

    assert smtp_server.mailbox.recipients() == sorted(user.email for user in invited)
    for left_out in (signed_in, with_password, fellow_admin, someone_else):
        assert not Invitation.objects.filter(user=left_out).exists()
    page = client.get(reverse("invitation_batch", args=[institution.pk, batch.pk])).content.decode()
    assert "3 of 3 invitations sent" in page
    status = client.get(reverse("invitation_batch_status", args=[institution.pk, batch.pk])).json()
    assert (status["percent"], status["finished"]) == (100, True)
    assert AuditEvent.objects.filter(action=AuditAction.INVITATION_SENT).count() == 3


def test_a_batch_is_made_a_chunk_at_a_time_and_checks_everyone_again(
    job_queue, institution, admin, monkeypatch
):
    from accounts.services import invitations

    monkeypatch.setattr(invitations, "BATCH_CHUNK", 2)
    people = newcomers(institution, 5)
    batch = invitations.invitation_batch_request(
        institution=institution,
        people=User.objects.filter(pk__in=[p.pk for p in people]),
        described_as="",
        by=admin,
        base_url="http://testserver/",
    )
    # Between the request and the job, one signs in: they are left out.
    User.objects.filter(pk=people[4].pk).update(last_login=timezone.now())

    invitations.invitation_batch_run(batch_id=batch.pk)

    batch.refresh_from_db()
    assert (batch.looked_at, batch.invited, batch.finished_at is not None) == (5, 4, True)
    assert len(jobs_of(INVITATION_TASK)) == 4
    assert invitations.invitation_batch_run(batch_id=batch.pk) is None  # done: nothing more


def test_an_admin_invites_the_people_of_a_file(job_queue, client, institution, admin, smtp_server):
    people = newcomers(institution, 3)  # N0, N1, N2
    upload = SimpleUploadedFile("users.csv", USERS_CSV, "text/csv")
    client.force_login(admin)
    response = client.post(
        reverse("institution_invitations", args=[institution.pk]), {"file": upload}
    )
    batch = InvitationBatch.objects.get()
    assert response.status_code == 302
    assert (batch.described_as, sorted(batch.user_ids)) == (
        "users.csv",
        [people[1].pk, people[2].pk],
    )
    run_due_jobs()
    assert smtp_server.mailbox.recipients() == [people[1].email, people[2].email]
    listing = client.get(reverse("institution_invitations", args=[institution.pk])).content.decode()
    assert listing.count("not accepted yet") == 2


def test_a_file_without_anyone_to_invite_is_said_so(client, institution, admin):
    client.force_login(admin)
    url = reverse("institution_invitations", args=[institution.pk])
    nobody = client.post(url, {"file": SimpleUploadedFile("users.csv", USERS_CSV, "text/csv")})
    assert nobody.status_code == 400
    assert "Nobody there can be invited" in nobody.content.decode()
    garbage = client.post(url, {"file": SimpleUploadedFile("x.csv", b"\xff\xfe\x00", "text/csv")})
    assert "could not be read" in garbage.content.decode()
    assert not InvitationBatch.objects.exists()


def test_only_admins_send_invitations_to_many(client, institution, teacher, other_admin):
    for person, status in ((teacher, 403), (other_admin, 404)):
        client.force_login(person)
        url = reverse("institution_invitations", args=[institution.pk])
        upload = SimpleUploadedFile("users.csv", USERS_CSV, "text/csv")
        assert client.post(url, {"file": upload}).status_code == status
    assert not InvitationBatch.objects.exists()


def test_the_sis_import_invites_the_new_users_when_asked(client, institution, admin):
    already = user_create(
        institution=institution, email="nia@springfield.example", name="Nia N", sis_user_id="N1"
    )
    client.force_login(admin)
    url = reverse("sis_imports", args=[institution.pk])
    upload = SimpleUploadedFile("users.csv", USERS_CSV, "text/csv")
    client.post(url, {"file": upload, "dry_run": "on", "send_invitations": "on"})
    run_queued_imports()
    assert not Invitation.objects.exists()  # a dry run changes nothing, and sends nothing

    upload = SimpleUploadedFile("users.csv", USERS_CSV, "text/csv")
    client.post(url, {"file": upload, "send_invitations": "on"})
    run_queued_imports()
    [invitation] = Invitation.objects.all()  # the new user only, not the one there already
    assert invitation.user.sis_user_id == "N2"
    assert invitation.user != already
    assert (invitation.invited_by, invitation.base_url) == (admin, "http://testserver/")
    event = AuditEvent.objects.get(action=AuditAction.INVITATION_SENT)
    assert event.source == "sis_import"


def test_without_the_option_the_import_invites_nobody(client, institution, admin):
    client.force_login(admin)
    upload = SimpleUploadedFile("users.csv", USERS_CSV, "text/csv")
    client.post(reverse("sis_imports", args=[institution.pk]), {"file": upload})
    run_queued_imports()
    assert User.objects.filter(sis_user_id__in=["N1", "N2"]).count() == 2
    assert not Invitation.objects.exists()


def test_the_import_command_invites_with_send_invitations(
    job_queue, tmp_path, institution, settings
):
    settings.PORTAL_URL = "https://portal.springfield.example"
    path = tmp_path / "users.csv"
    path.write_bytes(USERS_CSV)
    call_command(
        "sis_import",
        str(path),
        f"--institution={institution.pk}",
        "--send-invitations",
        stdout=StringIO(),
    )
    assert Invitation.objects.filter(invited_by__isnull=True, base_url="").count() == 2
    assert len(jobs_of(INVITATION_TASK)) == 2


def test_the_invitations_page_reads_in_a_fixed_number_of_queries(client, institution, admin):
    client.force_login(admin)
    url = reverse("institution_invitations", args=[institution.pk])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    for person in newcomers(institution, 2):
        invitation_create(person=person, by=admin)
    few = queries()
    for person in newcomers(institution, 10, first=2):
        invitation_create(person=person, by=admin)
    assert queries() == few
    assert re.search(r"Newcomer 11", client.get(url).content.decode())
