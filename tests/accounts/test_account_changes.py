"""Who may change a user's login e-mail, names or active state, and what such a change leaves behind.

An SIS import (the page or the command), the Django admin and commands change only what the acting
admin could change by hand (the API only creates users: tests/api/test_users_api.py): never another admin, a staff or superuser account, or a user of another
institution. A new e-mail, a deactivation and a reactivation are recorded in the audit trail; a new
e-mail ends the account's sessions and the password-reset links already sent.
"""

import json
import re
from io import StringIO

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.errors import AccountError
from accounts.models import AuditAction, AuditEvent, AuditSource, User
from accounts.services import user_change_refusal, user_update
from rostering.models import SisImport
from tests.factories import PASSWORD, UserFactory
from tests.rostering.sis_helpers import USERS, csv_bytes, run, run_queued_imports, skips

ADDRESS = "203.0.113.9"
ATTACKER = "taken-over@attacker.test"
# Per row of users.csv: nothing. A chunk's rows are read in one query, new people written in one
# statement, changed ones in another, and each kind of audit event in one more (set-wise).
UNCHANGED_ROW_STATEMENTS = 0
CHANGED_ROW_STATEMENTS = 0
REFUSED = "user_id A0002 is an administrator; change administrators in the portal"


def upload(client, institution, *rows: str) -> SisImport:
    """An admin's upload of users.csv on the SIS Import page; the import it made."""
    data = csv_bytes(USERS, *rows)
    client.post(
        reverse("sis_imports", args=[institution.pk]),
        {"file": SimpleUploadedFile("users.csv", data, "text/csv")},
        REMOTE_ADDR=ADDRESS,
    )
    run_queued_imports()
    return SisImport.objects.latest("pk")


def as_admin(admin) -> Client:
    client = Client()
    client.force_login(admin)
    return client


def reset_link_for(email: str) -> str:
    Client().post(reverse("password_reset"), {"email": email})
    assert len(mail.outbox) == 1, "no reset e-mail was sent"
    return re.search(r"http://testserver(/password/reset/\S+)", mail.outbox[-1].body).group(1)


def stored(user: User) -> tuple[str, bool, str]:
    user.refresh_from_db()
    return user.email, user.is_active, user.name


@pytest.fixture
def second_admin(institution):
    return UserFactory(
        institution=institution,
        name="Second Admin",
        email="second.admin@example.test",
        sis_user_id="A0002",
        is_account_admin=True,
    )


@pytest.fixture
def sam(student):
    student.sis_user_id = "S1"
    student.save(update_fields=["sis_user_id"])
    return student


# --- Who an import may change -----------------------------------------------------------------------


def test_an_import_cannot_give_another_admins_login_away_and_the_rest_of_the_file_lands(
    institution, admin, second_admin
):
    record = upload(
        as_admin(admin),
        institution,
        f"A0002,{ATTACKER},Second,Admin,,active",
        "U1,ann@example.test,Ann,Lee,,active",
    )

    assert skips(record) == [("users.csv", 2, REFUSED)]
    assert record.counts["users.csv"]["changed"] == 1
    assert User.objects.filter(sis_user_id="U1", institution=institution).exists()
    assert stored(second_admin) == ("second.admin@example.test", True, "Second Admin")
    # The attacker's address has no account to reset the password of.
    Client().post(reverse("password_reset"), {"email": ATTACKER})
    assert mail.outbox == []


def test_an_import_cannot_deactivate_another_admin(institution, admin, second_admin):
    record = upload(as_admin(admin), institution, "A0002,second.admin@example.test,S,A,,deleted")

    assert skips(record) == [("users.csv", 2, REFUSED)]
    assert stored(second_admin)[1] is True


def test_an_import_cannot_change_the_admin_who_runs_it(institution, admin):
    admin.sis_user_id = "A0002"
    admin.save(update_fields=["sis_user_id"])

    record = upload(as_admin(admin), institution, f"A0002,{ATTACKER},Avery,Admin,,deleted")

    assert skips(record) == [("users.csv", 2, REFUSED)]
    assert stored(admin) == ("admin@example.test", True, "Avery Admin")


@pytest.mark.parametrize("kind", ["is_staff", "is_superuser"])
def test_an_import_cannot_change_a_platform_operator_with_an_sis_id(institution, admin, kind):
    operator = UserFactory(
        institution=institution, email="ops@example.test", sis_user_id="A0002", **{kind: True}
    )

    record = upload(as_admin(admin), institution, f"A0002,{ATTACKER},Ops,Person,,deleted")

    assert skips(record) == [("users.csv", 2, REFUSED)]
    assert stored(operator)[:2] == ("ops@example.test", True)


def test_an_operators_import_command_cannot_change_an_admin_either(
    job_queue, institution, second_admin, tmp_path
):
    path = tmp_path / "users.csv"
    path.write_bytes(csv_bytes(USERS, f"A0002,{ATTACKER},Second,Admin,,deleted"))
    out = StringIO()

    call_command("sis_import", str(path), institution=str(institution.pk), stdout=out)

    assert f"users.csv row 2: {REFUSED}" in out.getvalue()
    assert stored(second_admin)[:2] == ("second.admin@example.test", True)


def test_an_admins_row_that_matches_the_portal_changes_nothing_and_says_nothing(
    institution, admin, second_admin
):
    record = upload(
        as_admin(admin), institution, "A0002,second.admin@example.test,Second,Admin,,active"
    )

    assert record.messages == []
    assert record.counts["users.csv"]["unchanged"] == 1


def test_an_import_never_reaches_a_user_of_another_institution_with_the_same_sis_id(
    institution, admin, other_admin
):
    elsewhere = UserFactory(
        institution=other_admin.institution, email="kim@shelbyville.test", sis_user_id="A0002"
    )

    record = upload(
        as_admin(admin),
        institution,
        "A0002,kim@shelbyville.test,Kim,Elsewhere,,deleted",
        "A0002,kim@shelbyville.test,Kim,Elsewhere,,active",
        f"A0002,{ATTACKER},Kim,Here,,active",
        f"A0002,{ATTACKER},Kim,Here,,deleted",
    )

    # Only that the login is taken: nothing says by whom, or that they are at another school.
    assert skips(record) == [
        ("users.csv", 2, "Can't delete user A0002: no such user"),
        ("users.csv", 3, "The login kim@shelbyville.test of user A0002 is taken"),
    ]
    assert stored(elsewhere) == ("kim@shelbyville.test", True, elsewhere.name)
    made_here = User.objects.get(institution=institution, sis_user_id="A0002")
    assert (made_here.email, made_here.is_active) == (ATTACKER, False)


def test_a_taken_login_reads_the_same_wherever_its_holder_is(institution, admin, other_admin):
    UserFactory(institution=institution, email="here@example.test")
    UserFactory(institution=other_admin.institution, email="there@shelbyville.test")

    record = upload(
        as_admin(admin),
        institution,
        "U1,here@example.test,Ann,Lee,,active",
        "U2,there@shelbyville.test,Bo,Kim,,active",
    )

    assert skips(record) == [
        ("users.csv", 2, "The login here@example.test of user U1 is taken"),
        ("users.csv", 3, "The login there@shelbyville.test of user U2 is taken"),
    ]


# --- What a change leaves in the audit trail ------------------------------------------------------


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


def test_an_imported_email_change_is_recorded_with_both_addresses(institution, admin, sam):
    upload(as_admin(admin), institution, "S1,samuel@example.test,Sam,Student,,active")

    [event] = events(AuditAction.EMAIL_CHANGED)
    assert (event.actor, event.subject, event.institution) == (admin, sam, institution)
    assert (event.source, event.client_address) == (AuditSource.SIS_IMPORT, ADDRESS)
    assert event.details == {"from": "sam@example.test", "to": "samuel@example.test"}
    assert PASSWORD not in json.dumps(event.details)
    assert sam.password not in json.dumps(event.details)


def test_an_imported_deactivation_and_reactivation_are_recorded(institution, admin, sam):
    client = as_admin(admin)
    upload(client, institution, "S1,sam@example.test,Sam,Student,,deleted")
    upload(client, institution, "S1,sam@example.test,Sam,Student,,active")

    [off] = events(AuditAction.USER_DEACTIVATED)
    [on] = events(AuditAction.USER_REACTIVATED)
    for event, before, after in ((off, True, False), (on, False, True)):
        assert (event.actor, event.subject, event.source) == (admin, sam, AuditSource.SIS_IMPORT)
        assert event.details == {"from": before, "to": after}


def test_the_import_command_records_its_changes_without_a_person(
    job_queue, institution, sam, tmp_path
):
    path = tmp_path / "users.csv"
    path.write_bytes(csv_bytes(USERS, "S1,samuel@example.test,Sam,Student,,deleted"))

    call_command("sis_import", str(path), institution=str(institution.pk), stdout=StringIO())

    recorded = AuditEvent.objects.filter(subject=sam).values_list("action", "actor", "source")
    assert sorted(recorded) == [
        (AuditAction.USER_DEACTIVATED, None, AuditSource.SIS_IMPORT),
        (AuditAction.EMAIL_CHANGED, None, AuditSource.SIS_IMPORT),
    ]


def test_unchanged_rows_and_dry_runs_leave_no_trail(institution, admin, sam):
    client = as_admin(admin)
    upload(client, institution, "S1,sam@example.test,Sam,Student,,active")
    client.post(
        reverse("sis_imports", args=[institution.pk]),
        {
            "file": SimpleUploadedFile(
                "users.csv", csv_bytes(USERS, "S1,new@example.test,Sam,Student,,deleted")
            ),
            "dry_run": "on",
        },
    )
    run_queued_imports()

    assert not AuditEvent.objects.filter(subject=sam).exists()
    assert stored(sam)[:2] == ("sam@example.test", True)


def test_changed_rows_cost_a_constant_number_of_statements_and_unchanged_rows_no_more(
    institution,
):
    for n in range(12):
        UserFactory(institution=institution, sis_user_id=f"U{n}", name=f"Person {n}")

    def statements(numbers: range, *, status: str = "deleted") -> int:
        rows = [f"U{n},new{n}@example.test,Person,{n},,{status}" for n in numbers]
        with CaptureQueriesContext(connection) as queries:
            run(institution, "users.csv", csv_bytes(USERS, *rows))
        return len(queries)

    # Each row below gets a new e-mail and is deactivated: two audit events a row.
    two, four, six = statements(range(0, 2)), statements(range(2, 6)), statements(range(6, 12))
    assert six - four == four - two == 2 * CHANGED_ROW_STATEMENTS
    assert AuditEvent.objects.count() == 2 * 12
    # The same rows again change nothing, and cost what an unchanged row always has.
    again_four, again_six = statements(range(2, 6)), statements(range(6, 12))
    assert again_six - again_four == 2 * UNCHANGED_ROW_STATEMENTS
    assert AuditEvent.objects.count() == 2 * 12


# --- Sessions and reset links end with the old address --------------------------------------------


def test_an_imported_email_change_ends_the_users_sessions(institution, admin, sam):
    sams_browser = Client()
    sams_browser.force_login(sam)
    assert sams_browser.get(reverse("profile_settings")).status_code == 200

    upload(as_admin(admin), institution, f"S1,{ATTACKER},Sam,Student,,active")

    response = sams_browser.get(reverse("profile_settings"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_reset_link_sent_before_an_email_change_no_longer_works(institution, admin, sam):
    link = reset_link_for(sam.email)

    upload(as_admin(admin), institution, "S1,samuel@example.test,Sam,Student,,active")

    page = Client().get(link, follow=True)
    assert page.context["validlink"] is False


def test_names_alone_change_without_ending_sessions_or_reset_links(institution, admin, sam):
    sams_browser = Client()
    sams_browser.force_login(sam)
    link = reset_link_for(sam.email)

    upload(as_admin(admin), institution, "S1,sam@example.test,Samuel,Student,,active")

    assert stored(sam)[2] == "Samuel Student"
    assert sams_browser.get(reverse("profile_settings")).status_code == 200
    assert Client().get(link, follow=True).context["validlink"] is True


def test_changing_ones_own_password_keeps_one_logged_in(client, student):
    client.force_login(student)
    new = "a-brand-new-passphrase-9"
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.url == reverse("password_change_done")
    assert client.get(reverse("profile_settings")).status_code == 200


# --- The Django admin -----------------------------------------------------------------------------


def change_form(user: User, **changes) -> dict:
    data = {
        "email": user.email,
        "name": user.name,
        "sortable_name": user.sortable_name,
        "short_name": user.short_name,
        "sis_user_id": user.sis_user_id or "",
        "time_zone": user.time_zone,
        "last_observed_student": "",
    }
    data.update({"is_active": "on"} if user.is_active else {})
    data.update(changes)
    return data


def test_an_operator_changing_a_login_in_the_django_admin_is_recorded(client, institution, sam):
    operator = User.objects.create_superuser("ops@example.test", "an-operator-passphrase", name="O")
    client.force_login(operator)
    url = reverse("admin:accounts_user_change", args=[sam.pk])

    response = client.post(url, change_form(sam, email="samuel@example.test", name="Samuel S"))

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert stored(sam)[::2] == ("samuel@example.test", "Samuel S")
    [event] = events(AuditAction.EMAIL_CHANGED)
    assert (event.actor, event.subject, event.source) == (operator, sam, AuditSource.PAGE)
    assert event.details == {"from": "sam@example.test", "to": "samuel@example.test"}


def test_staff_who_are_not_superusers_cannot_change_logins_in_the_django_admin(
    client, institution, sam
):
    from django.contrib.auth.models import Permission

    clerk = UserFactory(institution=institution, is_staff=True)
    clerk.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_user", "change_user"])
    )
    client.force_login(clerk)
    url = reverse("admin:accounts_user_change", args=[sam.pk])

    response = client.post(url, change_form(sam, email=ATTACKER, is_superuser="on", name="Sam S"))

    assert response.status_code == 302

    sam.refresh_from_db()
    assert (sam.email, sam.is_superuser, sam.name) == ("sam@example.test", False, "Sam S")
    assert not events(AuditAction.EMAIL_CHANGED)


# --- The rule itself ------------------------------------------------------------------------------


@pytest.fixture
def people(institution, admin, second_admin, other_admin, teacher, student):
    return {
        "admin": admin,
        "second admin": second_admin,
        "other institution's admin": other_admin,
        "teacher": teacher,
        "student": student,
        "student elsewhere": UserFactory(institution=other_admin.institution),
        "staff": UserFactory(institution=institution, is_staff=True),
        "superuser": User.objects.create_superuser("ops@example.test", None, name="Ops"),
        "a command": None,
    }


CHANGE_ADMIN, NOT_ALLOWED = AccountError.CHANGE_ADMIN, AccountError.CHANGE_NOT_ALLOWED


@pytest.mark.parametrize(
    ("actor", "subject", "refusal"),
    [
        ("admin", "student", None),
        ("admin", "teacher", None),
        ("admin", "second admin", CHANGE_ADMIN),
        ("admin", "admin", CHANGE_ADMIN),
        ("admin", "staff", CHANGE_ADMIN),
        ("admin", "superuser", CHANGE_ADMIN),
        ("admin", "student elsewhere", NOT_ALLOWED),
        ("other institution's admin", "student", NOT_ALLOWED),
        ("teacher", "student", NOT_ALLOWED),
        ("student", "student", NOT_ALLOWED),
        ("staff", "student", NOT_ALLOWED),
        ("a command", "student", None),
        ("a command", "second admin", CHANGE_ADMIN),
        ("a command", "superuser", CHANGE_ADMIN),
        ("superuser", "second admin", None),
        ("superuser", "student elsewhere", None),
    ],
)
def test_who_may_change_whom(people, actor, subject, refusal):
    assert user_change_refusal(actor=people[actor], subject=people[subject]) == refusal


def test_someone_made_an_admin_after_an_import_read_them_is_still_refused(admin, sam):
    as_read = User.objects.get(pk=sam.pk)
    User.objects.filter(pk=sam.pk).update(is_account_admin=True)

    with pytest.raises(AccountError) as refused:
        user_update(user=as_read, email=ATTACKER, name=sam.name, is_active=False, by=admin)

    assert refused.value.message == AccountError.CHANGE_ADMIN
    assert stored(sam)[:2] == ("sam@example.test", True)
    assert (as_read.email, as_read.is_active) == ("sam@example.test", True)
    assert not AuditEvent.objects.exists()
