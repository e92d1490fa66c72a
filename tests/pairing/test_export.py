"""People → Options → Export Pairing Codes: a CSV of fresh codes, one per student of the course."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import SelfRegistration
from accounts.roles import Role
from courses.models import EnrollmentState
from pairing.code_format import code_hash
from pairing.models import PairingCode, PairingCodeState
from pairing.services import pairing_code_redeem
from tests.factories import CourseFactory, EnrollmentFactory, UserFactory


def export_url(course):
    return reverse("course_pairing_codes_csv", args=[course.pk])


def download(client, course):
    response = client.post(export_url(course))
    assert response.status_code == 200, response.status_code
    body = b"".join(response.streaming_content).decode()
    return response, list(csv.reader(io.StringIO(body)))


def test_the_file_has_canvas_name_header_and_one_row_per_student(client, course, student, admin):
    EnrollmentFactory(
        course=course,
        user=UserFactory(institution=course.institution, name="Zoe Quinn", sis_user_id="S-9"),
    )
    client.force_login(admin)
    response, rows = download(client, course)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="BIO101_Pairing_Codes.csv"'
    assert rows[0] == [
        *["Last Name", "First Name", "SIS ID", "Pairing Code", "Expires At"],  # Canvas's
        "Pairing Link",
    ]
    assert [row[:3] for row in rows[1:]] == [["Quinn", "Zoe", "S-9"], ["Student", "Sam", ""]]
    for row in rows[1:]:
        assert re.fullmatch(r'="[A-Za-z2-9]{6}"', row[3])
        expires = datetime.strptime(row[4], "%Y-%m-%d %H:%M:%S UTC").replace(tzinfo=UTC)
        assert abs(expires - (timezone.now() + timedelta(days=7))) < timedelta(minutes=1)


def test_the_exported_codes_work_and_keep_spreadsheets_from_mangling_them(
    client, course, student, admin, observer
):
    client.force_login(admin)
    response = client.post(export_url(course))
    raw = b"".join(response.streaming_content).decode()
    assert '"=""' in raw  # the formula is quoted as Canvas writes it: "=""AbC234"""
    _response, rows = download(client, course)
    code = rows[1][3][2:-1]
    link = pairing_code_redeem(code=code, observer=observer).link
    assert link.student == student


def test_each_student_appears_once_and_only_current_students(
    client, course, student, teacher, admin
):
    EnrollmentFactory(
        course=course,
        user=UserFactory(institution=course.institution),
        state=EnrollmentState.INVITED,
    )
    EnrollmentFactory(
        course=course,
        user=UserFactory(institution=course.institution),
        state=EnrollmentState.DELETED,
    )
    EnrollmentFactory(
        course=course,
        user=UserFactory(institution=course.institution),
        state=EnrollmentState.COMPLETED,
    )
    EnrollmentFactory(course=course, user=student, type=Role.TA)  # a second role does not add a row
    client.force_login(admin)
    _response, rows = download(client, course)
    assert len(rows) == 1 + 2
    assert PairingCode.objects.filter(student=teacher).count() == 0


def test_every_download_makes_new_codes_under_the_five_code_rule(client, course, student, admin):
    client.force_login(admin)
    seen = set()
    for _ in range(6):
        _response, rows = download(client, course)
        seen.add(rows[1][3])
    assert len(seen) == 6
    assert PairingCode.objects.filter(student=student, state=PairingCodeState.ACTIVE).count() == 5


def test_no_code_is_stored_in_clear(client, course, student, admin):
    client.force_login(admin)
    _response, rows = download(client, course)
    code = rows[1][3][2:-1]
    assert PairingCode.objects.filter(code_hash=code_hash(code)).exists()
    assert not PairingCode.objects.filter(code_hash__contains=code).exists()


def test_spreadsheet_formulas_in_names_are_defused(client, course, admin):
    EnrollmentFactory(
        course=course, user=UserFactory(institution=course.institution, name="=HYPERLINK(1) Evil")
    )
    client.force_login(admin)
    _response, rows = download(client, course)
    assert rows[1][1] == "'=HYPERLINK(1)"


def test_a_teacher_with_the_permission_may_export(
    client, course, student, teacher, teachers_may_generate
):
    client.force_login(teacher)
    download(client, course)
    assert PairingCode.objects.get(student=student).created_by == teacher


def test_a_teacher_without_the_permission_gets_403_and_no_option(client, course, student, teacher):
    client.force_login(teacher)
    assert client.post(export_url(course)).status_code == 403
    assert (
        "Export Pairing Codes"
        not in client.get(reverse("course_people", args=[course.pk])).content.decode()
    )
    assert not PairingCode.objects.exists()


def test_the_option_shows_for_those_who_may(
    client, course, student, teacher, teachers_may_generate
):
    client.force_login(teacher)
    assert (
        "Export Pairing Codes"
        in client.get(reverse("course_people", args=[course.pk])).content.decode()
    )


def test_students_get_403_observers_403_outsiders_404_anonymous_login(
    client, course, student, observer, other_admin
):
    client.force_login(student)
    assert client.post(export_url(course)).status_code == 403
    EnrollmentFactory(course=course, user=observer, type=Role.OBSERVER, associated_user=student)
    client.force_login(observer)
    assert client.post(export_url(course)).status_code == 403
    client.force_login(other_admin)
    assert client.post(export_url(course)).status_code == 404
    client.logout()
    assert client.post(export_url(course)).url.startswith(reverse("login"))
    assert not PairingCode.objects.exists()


def test_get_is_not_allowed(client, course, admin):
    client.force_login(admin)
    assert client.get(export_url(course)).status_code == 405


def test_no_export_while_self_registration_is_off(client, course, student, admin):
    course.institution.self_registration = SelfRegistration.NONE
    course.institution.save()
    client.force_login(admin)
    assert client.post(export_url(course)).status_code == 403
    assert (
        "Export Pairing Codes"
        not in client.get(reverse("course_people", args=[course.pk])).content.decode()
    )


def test_a_500_student_export_takes_as_many_queries_as_a_5_student_one(client, admin):
    def queries_for(size: int) -> int:
        course = CourseFactory(institution=admin.institution)
        users = UserFactory.create_batch(size, institution=admin.institution)
        for user in users:
            EnrollmentFactory(course=course, user=user)
        client.force_login(admin)
        with CaptureQueriesContext(connection) as captured:
            _response, rows = download(client, course)
        assert len(rows) == size + 1
        return len(captured.captured_queries)

    small, large = queries_for(5), queries_for(500)
    assert small == large
    assert large <= 15


def test_deactivated_students_get_no_code_they_could_never_use(client, course, student, admin):
    gone = EnrollmentFactory(course=course, user__is_active=False).user
    client.force_login(admin)
    _response, rows = download(client, course)
    names = {row[1] + " " + row[0] for row in rows[1:]}
    assert "Sam Student" in names
    assert gone.name not in names
