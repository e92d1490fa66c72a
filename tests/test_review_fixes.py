"""Holes a review found, each closed and kept closed."""

import pytest
from django.contrib import admin as django_admin
from django.test import RequestFactory, override_settings
from django.urls import reverse

from accounts.middleware import client_address
from accounts.models import ActAsSession, ApiToken, User
from accounts.services import api_token_create
from pairing.services import pairing_code_create
from tests.factories import UserFactory


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


def test_students_cannot_search_the_roster_by_login(client, course, student, teacher):
    token = api_token_create(user=student, purpose="t").token
    url = f"/api/v1/courses/{course.pk}/search_users"
    by_email = client.get(
        url, {"search_term": "teacher@example"}, HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert by_email.json() == []
    by_name = client.get(url, {"search_term": "Terry"}, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert [u["id"] for u in by_name.json()] == [teacher.pk]
    staff = api_token_create(user=teacher, purpose="t").token
    assert client.get(
        url, {"search_term": "sam@example"}, HTTP_AUTHORIZATION=f"Bearer {staff}"
    ).json()


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


@pytest.mark.parametrize(
    "label",
    ["pairing.ObserverLink", "courses.Enrollment", "accounts.AuditEvent", "pairing.PairingCode"],
)
def test_the_django_admin_cannot_delete_what_services_own(label, rf, db):
    from django.apps import apps

    operator = UserFactory(institution=None, is_superuser=True, is_staff=True)
    request = rf.get("/")
    request.user = operator
    assert not django_admin.site._registry[apps.get_model(label)].has_delete_permission(request)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("user[name]=Bob&pseudonym[unique_id]=bob", "Please enter a valid e-mail address"),
        (
            f"user[name]={'x' * 300}&pseudonym[unique_id]=bob%40example.test",
            "at most 255 characters",
        ),
    ],
)
def test_the_api_refuses_a_login_that_is_no_email_and_overlong_names(
    client, institution, admin, body, message
):
    token = api_token_create(user=admin, purpose="t").token
    response = client.post(
        f"/api/v1/accounts/{institution.pk}/users",
        data=body,
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 400
    assert message in response.json()["errors"][0]["message"]


def test_linking_without_a_code_is_for_observer_admins_only(student, observer, teacher, admin):
    from pairing.errors import PairingError
    from pairing.models import ObserverLinkSource
    from pairing.services import observer_link_create_by_admin

    for person in (teacher, observer):
        with pytest.raises(PairingError, match=PairingError.NOT_ALLOWED_TO_LINK_BY_ID):
            observer_link_create_by_admin(
                observer=observer, student=student, by=person, source=ObserverLinkSource.ADMIN
            )
    link = observer_link_create_by_admin(
        observer=observer, student=student, by=admin, source=ObserverLinkSource.ADMIN
    )
    assert link.created_by == admin


def test_an_invited_observer_row_in_enrollments_csv_obeys_the_course_observer_rules(
    institution, course, student
):
    from rostering.sis_import import sis_import_run

    outsider = UserFactory(institution=institution, sis_user_id="S-OUT")  # not in the course
    UserFactory(institution=institution, sis_user_id="P-1")
    course.sis_course_id = "C-1"
    course.save()
    data = b"course_id,user_id,role,status,associated_user_id\nC-1,P-1,observer,invited,S-OUT\n"
    record = sis_import_run(institution=institution, filename="enrollments.csv", data=data, by=None)
    assert record.counts["enrollments.csv"]["skipped"] == 1
    assert "not enrolled in this course" in record.messages[0]["message"]
    assert not outsider.observed_enrollments.exists()


def test_a_zip_that_would_unpack_too_far_is_refused_before_unpacking(institution, monkeypatch):
    import io
    import zipfile

    from rostering import sis_csv
    from rostering.sis_import import sis_import_run

    monkeypatch.setattr(sis_csv, "MAX_FILE_BYTES", 1000)  # a small ceiling instead of a huge file
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "user_observers.csv", "observer_id,student_id,status\n" + "A,B,active\n" * 500
        )
    record = sis_import_run(
        institution=institution, filename="big.zip", data=buffer.getvalue(), by=None
    )
    assert record.state == "failed"
    assert "unpacks to more than" in record.error
