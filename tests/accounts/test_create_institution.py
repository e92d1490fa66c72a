"""A fresh installation's first institution and admin, from the command line (README, Going
live): the admin gets an invitation link, by e-mail or printed, and sets their own password."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import AuditAction, AuditEvent, Institution, Invitation, User
from accounts.services.invitations import INVITATION_TASK
from tests.jobs import jobs_of

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-district-passphrase-7"


def create(*args) -> str:
    out = StringIO()
    call_command("create_institution", *args, stdout=out)
    return out.getvalue()


def test_it_makes_the_institution_and_its_admin_who_sets_a_password_by_the_printed_link(client):
    output = create(
        "Springfield Schools",
        "--admin-email=it@springfield.example",
        "--admin-name=Ida Tech",
        "--domain=portal.springfield.example",
        "--self-registration=observer",
        "--print-link",
    )
    institution = Institution.objects.get(name="Springfield Schools")
    assert (institution.domain, institution.self_registration) == (
        "portal.springfield.example",
        "observer",
    )
    admin = User.objects.get(email="it@springfield.example")
    assert (admin.institution, admin.is_account_admin, admin.name) == (
        institution,
        True,
        "Ida Tech",
    )
    assert not admin.has_usable_password()
    assert "it@springfield.example is its admin" in output
    link = re.search(r"https?://portal\.springfield\.example/invitation/[\w-]+", output)[0]
    assert jobs_of(INVITATION_TASK) == []  # printed, not mailed

    path = "/invitation/" + link.rsplit("/", 1)[1]
    client.post(path, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert client.login(username="it@springfield.example", password=PASSWORD)
    made = AuditEvent.objects.get(action=AuditAction.INSTITUTION_CREATED)
    assert (made.institution, made.subject_id, made.actor_id) == (institution, admin.pk, None)


def test_without_print_link_the_invitation_is_queued_for_the_worker_to_mail(settings):
    settings.PORTAL_URL = "https://pairing.district.example"
    output = create("Shelbyville", "--admin-email=a@shelbyville.example")
    invitation = Invitation.objects.get()
    assert invitation.base_url == "https://pairing.district.example/"
    assert invitation.user.name == "a"  # the e-mail's first part, when no name is given
    assert [job.args for job in jobs_of(INVITATION_TASK)] == [{"invitation_id": invitation.pk}]
    assert "queued" in output


def test_it_needs_an_address_for_the_link_and_leaves_nothing_behind_without_one(settings):
    settings.PORTAL_URL = ""
    with pytest.raises(CommandError, match="give the institution a domain, or set PORTAL_URL"):
        create("Shelbyville", "--admin-email=a@shelbyville.example")
    assert not Institution.objects.exists()
    assert not User.objects.exists()


def test_it_refuses_a_taken_name_a_taken_domain_and_a_bad_one():
    create(
        "Shelbyville", "--admin-email=a@shelbyville.example", "--domain=s.example", "--print-link"
    )
    with pytest.raises(CommandError, match="already exists"):
        create("shelbyville", "--admin-email=b@shelbyville.example", "--print-link")
    with pytest.raises(CommandError, match="already uses that domain"):
        create(
            "Ogdenville", "--admin-email=o@ogdenville.example", "--domain=S.example", "--print-link"
        )
    with pytest.raises(CommandError, match="host name"):
        create("Ogdenville", "--admin-email=o@ogdenville.example", "--domain=https://o.example/")
    with pytest.raises(CommandError, match="already exists"):  # the admin's e-mail is taken
        create("Ogdenville", "--admin-email=A@shelbyville.example", "--print-link")
    assert Institution.objects.count() == 1
