"""Making pairing codes is limited: single codes per student and per maker, exports per maker (an
export counts once, whatever its size), on the pages and the API alike."""

from django.urls import reverse

from accounts.models import AuditAction, AuditEvent
from courses.models import Enrollment
from pairing.models import CodeExport, PairingCode
from pairing.services import pairing_code_create
from tests.api.helpers import bearer
from tests.factories import EnrollmentFactory

CODES_PAUSED = "Many pairing codes were made in a short time, so making more is paused for now."
EXPORTS_PAUSED = (
    "Pairing codes were exported many times in a short time, so exports are paused for now."
)


def make_code(client, student, by):
    return client.post(f"/api/v1/users/{student.pk}/observer_pairing_codes", **bearer(by))


def classmates(course, count: int):
    return [EnrollmentFactory(course=course).user for _ in range(count)]


def test_a_student_making_codes_over_and_over_is_paused_through_the_api(client, student):
    made_today = 30  # PAIRING_CODES_PER_STUDENT_PER_DAY, as shipped
    for _ in range(made_today):
        assert make_code(client, student, student).status_code == 200

    response = make_code(client, student, student)

    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"][0]["message"].startswith(CODES_PAUSED)
    # At most a day and the counters' hour bucket away.
    assert 0 < int(response["Retry-After"]) <= 25 * 3600
    assert PairingCode.objects.filter(student=student).count() == made_today
    assert AuditEvent.objects.filter(action=AuditAction.CODE_CREATED).count() == made_today


def test_one_maker_is_limited_across_many_students(client, course, admin, settings):
    settings.PAIRING_CODES_PER_MAKER_PER_HOUR = (3, 3600)
    students = classmates(course, 4)
    for student in students[:3]:
        assert make_code(client, student, admin).status_code == 200

    response = make_code(client, students[3], admin)

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600 + 60
    assert not PairingCode.objects.filter(student=students[3]).exists()
    # Another maker, and the student themself, are not held back by the admin's count.
    assert make_code(client, students[3], students[3]).status_code == 200


def test_the_settings_page_says_when_the_student_may_make_codes_again(client, student, settings):
    settings.PAIRING_CODES_PER_STUDENT_PER_DAY = (2, 24 * 3600)
    client.force_login(student)
    for _ in range(2):
        assert client.post(reverse("profile_pairing_code"), follow=True).status_code == 200

    response = client.post(reverse("profile_pairing_code"), follow=True)

    assert response.redirect_chain == [(reverse("profile_settings"), 302)]
    (message,) = [str(m) for m in response.context["messages"]]
    assert message.startswith(CODES_PAUSED)
    assert "Please try again in about 2" in message  # 24 or 25 hours, by the counters' buckets
    assert PairingCode.objects.filter(student=student).count() == 2


def test_user_details_says_so_too(client, course, student, admin, settings):
    settings.PAIRING_CODES_PER_MAKER_PER_HOUR = (1, 3600)
    client.force_login(admin)
    url = reverse("course_user_pairing_code", args=[course.pk, student.pk])
    assert client.post(url).status_code == 302  # to the page that shows the code

    response = client.post(url, follow=True)

    details = reverse("course_user_details", args=[course.pk, student.pk])
    assert response.redirect_chain == [(details, 302)]
    assert str(next(iter(response.context["messages"]))).startswith(CODES_PAUSED)
    assert PairingCode.objects.filter(student=student).count() == 1


def test_a_course_export_of_hundreds_counts_once_and_leaves_single_codes_alone(
    client, course, student, admin, settings
):
    # Single codes as tight as they go: the export must not spend them.
    settings.PAIRING_CODES_PER_STUDENT_PER_DAY = (1, 24 * 3600)
    settings.PAIRING_CODES_PER_MAKER_PER_HOUR = (1, 3600)
    classmates(course, 299)
    client.force_login(admin)

    export = client.post(reverse("course_pairing_codes_csv", args=[course.pk]))

    assert export.status_code == 200
    assert b"".join(export.streaming_content).count(b"\n") == 1 + 300
    assert make_code(client, student, admin).status_code == 200
    other = Enrollment.objects.exclude(user=student).filter(course=course).first().user
    assert make_code(client, other, other).status_code == 200


def test_exports_are_limited_per_maker(client, course, student, admin, settings):
    settings.PAIRING_CODE_EXPORTS_PER_MAKER_PER_HOUR = (2, 3600)
    client.force_login(admin)
    csv = reverse("course_pairing_codes_csv", args=[course.pk])
    assert client.post(csv).status_code == 200
    assert client.post(reverse("course_pairing_letters", args=[course.pk])).status_code == 200

    again = client.post(csv, follow=True)
    letters = client.post(reverse("course_pairing_letters", args=[course.pk]), follow=True)

    for response in (again, letters):
        assert response.redirect_chain == [(reverse("course_people", args=[course.pk]), 302)]
        assert str(next(iter(response.context["messages"]))).startswith(EXPORTS_PAUSED)
    assert PairingCode.objects.filter(student=student).count() == 2


def test_a_school_wide_export_counts_once_against_the_same_limit(
    client, institution, course, student, admin, settings
):
    settings.PAIRING_CODE_EXPORTS_PER_MAKER_PER_HOUR = (1, 3600)
    client.force_login(admin)
    url = reverse("code_exports", args=[institution.pk])
    form = {"format": "csv", "paper": "letter"}
    assert client.post(url, form).status_code == 302

    response = client.post(url, form)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()[0].startswith(EXPORTS_PAUSED)
    assert CodeExport.objects.count() == 1


def test_operators_commands_are_not_limited(student, settings):
    settings.PAIRING_CODES_PER_STUDENT_PER_DAY = (1, 24 * 3600)
    settings.PAIRING_CODES_PER_MAKER_PER_HOUR = (1, 3600)
    for _ in range(3):
        pairing_code_create(student=student, by=None)

    assert PairingCode.objects.filter(student=student).count() == 3
