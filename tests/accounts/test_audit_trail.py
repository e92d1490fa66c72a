"""The audit trail: each audited action leaves one event saying when, who, to whom, from where and
how; admins read (never edit) their own institution's trail; no pairing code is ever in it."""

import csv
import json
import re
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.contrib import admin as django_admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.audit import audit_context, audit_record
from accounts.middleware import client_address
from accounts.models import AuditAction, AuditEvent, AuditSource, User
from accounts.permissions import permission_table
from accounts.roles import PERMISSION_RULES, Permission, Role
from accounts.services import api_token_create
from pairing.models import ObserverLinkSource, PairingCode
from pairing.services import observer_link_create
from rostering.models import SisImport
from tests.factories import PASSWORD, EnrollmentFactory, UserFactory
from tests.pairing.helpers import new_code
from tests.rostering.sis_helpers import run_queued_imports

ADDRESS = "203.0.113.9"
PAGE, API, COMMAND = AuditSource.PAGE, AuditSource.API, AuditSource.COMMAND
SIS_IMPORT = AuditSource.SIS_IMPORT
WRONG_CODE = "Qz7Kp4"  # well-formed, never issued


@pytest.fixture
def since():
    return timezone.now()


def the_event(action: str) -> AuditEvent:
    return AuditEvent.objects.get(action=action)


def summary(event, since) -> tuple:
    """(actor, subject, source, client address, institution) of an event made since ``since``."""
    assert since <= event.at <= timezone.now()
    return (event.actor, event.subject, event.source, event.client_address, event.institution)


def assert_nowhere_in_the_trail(secret: str) -> None:
    rows = json.dumps(list(AuditEvent.objects.values()), default=str)
    assert AuditEvent.objects.exists()
    assert secret not in rows


# --- Pairing codes made ---------------------------------------------------------------------------


def test_a_code_a_student_makes_on_their_settings_page_is_recorded_from_the_page(
    client, institution, student, since
):
    client.force_login(student)
    response = client.post(reverse("profile_pairing_code"), REMOTE_ADDR=ADDRESS, follow=True)
    code = response.context["code"]
    event = the_event(AuditAction.CODE_CREATED)
    assert summary(event, since) == (student, student, PAGE, ADDRESS, institution)
    assert event.details["pairing_code"] == PairingCode.objects.get().pk
    assert_nowhere_in_the_trail(code)


def test_a_code_made_through_the_api_is_recorded_from_the_api(client, institution, student, since):
    token = api_token_create(user=student, purpose="app").token
    response = client.post(
        "/api/v1/users/self/observer_pairing_codes",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        REMOTE_ADDR=ADDRESS,
    )
    assert response.status_code == 200
    event = the_event(AuditAction.CODE_CREATED)
    assert summary(event, since) == (student, student, API, ADDRESS, institution)
    assert_nowhere_in_the_trail(response.json()["code"])


def test_the_seed_command_records_its_code_as_a_command_without_person_or_address(db, since):
    out = StringIO()
    call_command("seed_demo", force=True, stdout=out)
    code = re.search(r"Pairing code for .*?: (\S+) \(expires", out.getvalue())[1]
    event = the_event(AuditAction.CODE_CREATED)
    student = User.objects.get(email="student01@demo.test")
    assert summary(event, since) == (None, student, COMMAND, None, student.institution)
    assert_nowhere_in_the_trail(code)


def test_an_export_records_one_event_per_student_and_none_of_the_codes(
    client, institution, course, student, admin, since
):
    others = [EnrollmentFactory(course=course, type=Role.STUDENT).user for _ in range(2)]
    client.force_login(admin)
    response = client.post(
        reverse("course_pairing_codes_csv", args=[course.pk]), REMOTE_ADDR=ADDRESS
    )
    lines = b"".join(response.streaming_content).decode().splitlines()
    codes = [row[3].removeprefix('="').removesuffix('"') for row in csv.reader(lines[1:])]
    events = AuditEvent.objects.filter(action=AuditAction.CODE_CREATED)
    assert len(codes) == events.count() == 3
    assert all(len(code) == 6 for code in codes)
    assert {event.subject for event in events} == {student, *others}
    for event in events:
        assert summary(event, since) == (admin, event.subject, PAGE, ADDRESS, institution)
    for code in codes:
        assert_nowhere_in_the_trail(code)


# --- The observees page: redemption, wrong codes, the pause ---------------------------------------


def redeem(client, code: str):
    return client.post(reverse("observees"), {"code": code}, REMOTE_ADDR=ADDRESS)


def test_a_redemption_records_the_code_used_and_the_link_made(
    client, institution, student, observer, since
):
    code = new_code(student)
    client.force_login(observer)
    assert redeem(client, code).status_code == 302
    used, linked = the_event(AuditAction.CODE_REDEEMED), the_event(AuditAction.LINK_CREATED)
    for event in (used, linked):
        assert summary(event, since) == (observer, student, PAGE, ADDRESS, institution)
    assert linked.details == {"observer": observer.pk, "source": ObserverLinkSource.PAIRING_CODE}
    assert_nowhere_in_the_trail(code)


def test_a_wrong_code_is_recorded_as_a_failed_attempt_without_the_code(
    client, institution, student, observer, since
):
    client.force_login(observer)
    assert redeem(client, WRONG_CODE).status_code == 200
    failed = the_event(AuditAction.CODE_FAILED)
    assert summary(failed, since) == (observer, None, PAGE, ADDRESS, institution)
    assert not AuditEvent.objects.filter(action=AuditAction.PAUSED).exists()
    assert_nowhere_in_the_trail(WRONG_CODE)


def test_the_fifth_wrong_code_pauses_pairing_and_records_one_pause(
    client, institution, student, observer, since
):
    client.force_login(observer)
    for _ in range(4):
        redeem(client, WRONG_CODE)
    assert not AuditEvent.objects.filter(action=AuditAction.PAUSED).exists()
    redeem(client, WRONG_CODE)
    pause = the_event(AuditAction.PAUSED)
    assert summary(pause, since) == (observer, None, PAGE, ADDRESS, institution)
    assert pause.details["what"] == "pairing codes"
    assert datetime.fromisoformat(pause.details["until"]) > timezone.now()
    assert AuditEvent.objects.filter(action=AuditAction.CODE_FAILED).count() == 5


# --- Links ----------------------------------------------------------------------------------------


def test_removing_a_link_is_recorded(client, institution, student, observer, admin, since):
    link = observer_link_create(
        observer=observer, student=student, by=admin, source=ObserverLinkSource.ADMIN
    )
    client.force_login(observer)
    client.post(reverse("observee_remove", args=[link.pk]), REMOTE_ADDR=ADDRESS)
    event = the_event(AuditAction.LINK_REMOVED)
    assert summary(event, since) == (observer, student, PAGE, ADDRESS, institution)
    assert event.details == {"observer": observer.pk}


OBSERVERS_CSV = b"observer_id,student_id,status\nP1,K1,active\nP1,K2,active\n"


@pytest.fixture
def sis_people(institution):
    parent = UserFactory(institution=institution, sis_user_id="P1")
    kids = [UserFactory(institution=institution, sis_user_id=sis_id) for sis_id in ("K1", "K2")]
    return parent, kids


def assert_sis_links(since, institution, parent, kids, *, actor, address) -> None:
    events = AuditEvent.objects.filter(action=AuditAction.LINK_CREATED)
    assert {event.subject for event in events} == set(kids)
    assert events.count() == 2
    for event in events:
        assert summary(event, since) == (actor, event.subject, SIS_IMPORT, address, institution)
        assert event.details == {"observer": parent.pk, "source": ObserverLinkSource.SIS_IMPORT}


def test_links_an_admin_imports_on_the_sis_page_are_recorded_as_the_import(
    client, institution, admin, sis_people, since
):
    client.force_login(admin)
    upload = SimpleUploadedFile("user_observers.csv", OBSERVERS_CSV, "text/csv")
    client.post(
        reverse("sis_imports", args=[institution.pk]), {"file": upload}, REMOTE_ADDR=ADDRESS
    )
    run_queued_imports()
    assert_sis_links(since, institution, *sis_people, actor=admin, address=ADDRESS)


def test_a_dry_run_of_the_import_leaves_no_trail_of_links_it_did_not_make(
    client, institution, admin, sis_people
):
    client.force_login(admin)
    upload = SimpleUploadedFile("user_observers.csv", OBSERVERS_CSV, "text/csv")
    data = {"file": upload, "dry_run": "on"}
    client.post(reverse("sis_imports", args=[institution.pk]), data, REMOTE_ADDR=ADDRESS)
    run_queued_imports()
    assert SisImport.objects.get().counts["user_observers.csv"]["changed"] == 2
    assert not AuditEvent.objects.filter(action=AuditAction.LINK_CREATED).exists()


def test_links_the_sis_import_command_makes_are_recorded_as_the_import(
    job_queue, institution, sis_people, tmp_path, since
):
    path = tmp_path / "user_observers.csv"
    path.write_bytes(OBSERVERS_CSV)
    call_command("sis_import", str(path), institution=str(institution.pk), stdout=StringIO())
    assert_sis_links(since, institution, *sis_people, actor=None, address=None)


# --- Admin settings, act as, log-in ----------------------------------------------------------------


def test_changing_self_registration_on_the_admin_page_is_recorded(
    client, institution, admin, since
):
    client.force_login(admin)
    url = reverse("institution_authentication", args=[institution.pk])
    client.post(url, {"self_registration": "all"}, REMOTE_ADDR=ADDRESS)
    event = the_event(AuditAction.SELF_REGISTRATION_CHANGED)
    assert summary(event, since) == (admin, None, PAGE, ADDRESS, institution)
    assert event.details == {"from": "observer", "to": "all"}


def test_changing_one_permission_on_the_admin_page_records_exactly_that_change(
    client, institution, admin, since
):
    table = permission_table(institution_id=institution.pk)
    form = {
        f"{permission.value}__{role.value}": "on"
        for permission, rule in PERMISSION_RULES.items()
        for role in rule.configurable_roles
        if table[(role, permission)]
    }
    form[f"{Permission.GENERATE_OBSERVER_PAIRING_CODE.value}__{Role.TEACHER.value}"] = "on"
    client.force_login(admin)
    client.post(
        reverse("institution_permissions", args=[institution.pk]), form, REMOTE_ADDR=ADDRESS
    )
    event = the_event(AuditAction.PERMISSION_CHANGED)
    assert summary(event, since) == (admin, None, PAGE, ADDRESS, institution)
    wanted = {"role": Role.TEACHER, "permission": Permission.GENERATE_OBSERVER_PAIRING_CODE}
    assert event.details == {**wanted, "enabled": True}


def test_acting_as_a_user_records_the_start_and_the_stop(
    client, institution, admin, student, since
):
    client.force_login(admin)
    client.post(reverse("act_as_begin", args=[student.pk]), REMOTE_ADDR=ADDRESS)
    client.post(reverse("act_as_end"), REMOTE_ADDR=ADDRESS)
    for action in (AuditAction.ACT_AS_STARTED, AuditAction.ACT_AS_STOPPED):
        assert summary(the_event(action), since) == (admin, student, PAGE, ADDRESS, institution)


def test_a_code_made_while_acting_as_a_student_names_the_admin_who_made_it(client, admin, student):
    client.force_login(admin)
    client.post(reverse("act_as_begin", args=[student.pk]))
    client.post(reverse("profile_pairing_code"), REMOTE_ADDR=ADDRESS, follow=True)
    event = the_event(AuditAction.CODE_CREATED)
    # The admin made it for the student: "who did it" is the admin, never the student.
    assert (event.actor, event.subject) == (admin, student)


def test_a_failed_log_in_is_recorded_without_the_password(client, student, since):
    wrong = {"username": student.email, "password": "not-" + PASSWORD}
    client.post(reverse("login"), wrong, REMOTE_ADDR=ADDRESS)
    event = the_event(AuditAction.LOGIN_FAILED)
    # Filed under the institution of the account it tried, so that school's admins see it.
    assert summary(event, since) == (None, None, PAGE, ADDRESS, student.institution)
    assert event.details == {"login": student.email}
    assert_nowhere_in_the_trail("not-" + PASSWORD)


def test_a_failed_log_in_for_no_account_is_recorded_for_no_institution(client, db, since):
    client.post(
        reverse("login"), {"username": "ghost@example.test", "password": "x"}, REMOTE_ADDR=ADDRESS
    )
    assert the_event(AuditAction.LOGIN_FAILED).institution is None


# --- The audit page -------------------------------------------------------------------------------


def audit_url(institution) -> str:
    return reverse("institution_audit", args=[institution.pk])


def listed(response) -> str:
    """The table's rows only (the filter form lists every action and source too)."""
    assert response.status_code == 200
    return re.search(r"<tbody>(.*)</tbody>", response.content.decode(), re.DOTALL)[1]


def record(action, institution, actor, subject=None, *, source=PAGE, at=None) -> AuditEvent:
    with audit_context(source=source, client_address=ADDRESS):
        event = audit_record(action=action, institution=institution, actor=actor, subject=subject)
    if at is not None:
        AuditEvent.objects.filter(pk=event.pk).update(at=at)
    return event


def test_admins_see_their_own_institutions_events_and_never_anothers(
    client, institution, admin, observer, other_admin
):
    record(AuditAction.CODE_FAILED, institution, observer)
    record(AuditAction.PERMISSION_CHANGED, other_admin.institution, other_admin)
    record(AuditAction.LOGIN_FAILED, None, None)
    client.force_login(admin)
    rows = listed(client.get(audit_url(institution)))
    assert "Pat Parent" in rows
    assert "Wrong pairing code" in rows
    assert "Olga Outsider" not in rows
    assert "Permission changed" not in rows
    assert "Failed log-in" not in rows
    client.force_login(other_admin)
    rows = listed(client.get(audit_url(other_admin.institution)))
    assert "Olga Outsider" in rows
    assert "Pat Parent" not in rows


def day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(hour=12, tzinfo=UTC)


@pytest.fixture
def three_events(institution, student, observer, admin):
    record(AuditAction.CODE_CREATED, institution, student, at=day("2026-01-10"))
    record(AuditAction.CODE_FAILED, institution, observer, source=API, at=day("2026-01-20"))
    at = day("2026-02-01")
    record(AuditAction.LINK_CREATED, institution, admin, student, source=SIS_IMPORT, at=at)


MADE, FAILED, LINKED = "Pairing code made", "Wrong pairing code", "Observer linked"


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ({}, {MADE, FAILED, LINKED}),
        ({"action": AuditAction.CODE_FAILED}, {FAILED}),
        ({"person": "parent@example.test"}, {FAILED}),
        ({"person": "sam student"}, {MADE, LINKED}),  # as actor, and as subject
        ({"source": SIS_IMPORT}, {LINKED}),
        ({"since": "2026-01-15"}, {FAILED, LINKED}),
        ({"until": "2026-01-20"}, {MADE, FAILED}),
        ({"since": "2026-01-11", "until": "2026-01-31"}, {FAILED}),
        ({"action": AuditAction.CODE_CREATED, "source": API}, set()),
    ],
)
def test_the_filters_narrow_the_trail(client, institution, admin, three_events, query, shown):
    client.force_login(admin)
    rows = listed(client.get(audit_url(institution), query))
    assert {label for label in (MADE, FAILED, LINKED) if label in rows} == shown


@pytest.mark.parametrize(
    ("persona", "status"), [("anonymous", 302), ("teacher", 403), ("other_admin", 404)]
)
def test_only_the_institutions_admins_may_open_the_trail(
    client, request, institution, persona, status
):
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    response = client.get(audit_url(institution))
    assert response.status_code == status
    if persona == "anonymous":
        assert response["Location"].startswith(reverse("login") + "?next=")


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_audit_page_refuses_every_writing_method(client, institution, admin, observer, method):
    event = record(AuditAction.CODE_FAILED, institution, observer)
    client.force_login(admin)
    assert getattr(client, method)(audit_url(institution)).status_code == 405
    assert list(AuditEvent.objects.values_list("pk", "action")) == [(event.pk, event.action)]


def test_the_audit_page_runs_as_many_queries_for_60_events_as_for_3(client, institution, admin):
    def add_events(count: int) -> None:
        for _ in range(count):
            actor, subject = UserFactory.create_batch(2, institution=institution)
            record(AuditAction.LINK_CREATED, institution, actor, subject)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(audit_url(institution)).status_code == 200
        return len(captured)

    client.force_login(admin)
    add_events(3)
    few = queries()
    add_events(57)
    assert queries() == few


def test_no_url_of_the_portal_other_than_the_read_only_page_touches_the_trail():
    def names(resolver, prefix=""):
        for pattern in resolver.url_patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                if not route.startswith("django-admin/"):
                    yield from names(pattern, route)
            else:
                yield route, pattern.name or ""

    audit_routes = [(r, n) for r, n in names(get_resolver()) if "audit" in r + n]
    # The retention setting deletes nothing itself: the nightly housekeeping does, and only
    # entries older than 1 to 7 years (tests/accounts/test_audit_retention.py).
    assert audit_routes == [
        ("accounts/<int:institution_id>/audit_retention", "institution_audit_retention"),
        ("accounts/<int:institution_id>/audit", "institution_audit"),
    ]


@pytest.fixture
def operator(db):
    return User.objects.create_superuser(
        "ops@example.test", "a-long-operator-passphrase", name="Ops"
    )


def test_the_django_admin_refuses_to_add_change_or_delete_events_even_for_a_superuser(
    client, rf, institution, observer, operator
):
    event = record(AuditAction.CODE_FAILED, institution, observer)
    model_admin = django_admin.site._registry[AuditEvent]
    request = rf.get("/")
    request.user = operator
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)

    client.force_login(operator)
    change = reverse("admin:accounts_auditevent_change", args=[event.pk])
    assert client.get(reverse("admin:accounts_auditevent_add")).status_code == 403
    assert client.post(change, {"action": AuditAction.LINK_CREATED}).status_code == 403
    delete = reverse("admin:accounts_auditevent_delete", args=[event.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    client.post(
        reverse("admin:accounts_auditevent_changelist"),
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )
    assert list(AuditEvent.objects.values_list("pk", "action", "actor")) == [
        (event.pk, AuditAction.CODE_FAILED, observer.pk)
    ]


@pytest.mark.parametrize(
    ("header", "meta", "expected"),
    [
        (None, {"REMOTE_ADDR": "198.51.100.4"}, "198.51.100.4"),
        (None, {"REMOTE_ADDR": "not-an-address"}, None),
        (
            "HTTP_X_FORWARDED_FOR",
            {"HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.8", "REMOTE_ADDR": "10.0.0.1"},
            "203.0.113.8",
        ),
        (
            "HTTP_X_REAL_IP",
            {"HTTP_X_REAL_IP": "2001:db8::1", "REMOTE_ADDR": "10.0.0.1"},
            "2001:db8::1",
        ),
    ],
)
def test_the_client_address_is_what_the_trusted_proxy_saw(settings, header, meta, expected):
    settings.CLIENT_ADDRESS_HEADER = header
    request = RequestFactory().get("/", **meta)
    request.META.update(meta)
    assert client_address(request) == expected
