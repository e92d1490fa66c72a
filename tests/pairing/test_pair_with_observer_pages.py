"""The "Pair with Observer" dialog: a student in User Settings, staff on People → User Details."""

import re

import pytest
from django.urls import reverse

from accounts.models import SelfRegistration
from accounts.roles import Permission, Role
from accounts.services import role_permission_set
from pairing.code_format import code_hash
from pairing.models import PairingCode
from tests.factories import EnrollmentFactory

SETTINGS = reverse("profile_settings")
MAKE_OWN = reverse("profile_pairing_code")


def details_url(course, user):
    return reverse("course_user_details", args=[course.pk, user.pk])


def code_url(course, user):
    return reverse("course_user_pairing_code", args=[course.pk, user.pk])


def shown_code(response) -> str:
    return re.search(
        r'<output id="pairing-code">([^<]+)</output>', response.content.decode()
    ).group(1)


BUTTON = ">Pair with Observer</button>"


def offers_the_button(response) -> bool:
    return BUTTON in response.content.decode()


# --- Student, User Settings ------------------------------------------------------------------------


def test_a_student_sees_the_button_and_gets_a_code_once(client, student):
    client.force_login(student)
    assert offers_the_button(client.get(SETTINGS))

    made = client.post(MAKE_OWN)
    assert made.status_code == 302
    assert made.url == MAKE_OWN  # Post/Redirect/Get: the code is shown by the page after
    response = client.get(made.url)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Share the following pairing code with an observer to allow them to connect with" in page
    assert "<strong>Sam Student</strong>" in page
    assert "This code will expire in seven days, or after one use." in page
    assert f'href="{SETTINGS}">OK</a>' in page
    assert "no-store" in response["Cache-Control"]
    assert PairingCode.objects.get().code_hash == code_hash(shown_code(response))


def test_reloading_the_code_page_says_the_code_was_shown_and_makes_no_other(client, student):
    client.force_login(student)
    first = client.get(client.post(MAKE_OWN).url)
    code = shown_code(first)

    reloaded = client.get(MAKE_OWN)
    page = reloaded.content.decode()
    assert reloaded.status_code == 200
    assert "was shown already" in page
    assert code not in page
    assert 'id="pairing-code"' not in page
    assert ">Make a new code</button>" in page
    assert "no-store" in reloaded["Cache-Control"]
    assert PairingCode.objects.filter(student=student).count() == 1  # nothing made by the reload


def test_the_code_waits_in_the_session_encrypted(client, student):
    client.force_login(student)
    client.post(MAKE_OWN)
    from django.contrib.sessions.models import Session

    stored = Session.objects.get().session_data
    code = shown_code(client.get(MAKE_OWN))
    assert code not in stored
    assert code not in Session.objects.get().get_decoded().__repr__()


def test_a_code_made_for_one_student_is_not_shown_on_anothers_page(client, course, student, admin):
    classmate = EnrollmentFactory(course=course).user
    client.force_login(admin)
    client.post(code_url(course, student))
    response = client.get(code_url(course, classmate))
    assert "was shown already" in response.content.decode()
    assert 'id="pairing-code"' not in response.content.decode()
    # ... and the student's own page still shows it, once.
    assert shown_code(client.get(code_url(course, student)))


def test_the_code_page_refuses_on_get_whoever_may_not_make_codes(client, observer):
    client.force_login(observer)
    assert client.get(MAKE_OWN).status_code == 403


@pytest.mark.parametrize("persona", ["teacher", "observer", "admin"])
def test_people_without_a_student_enrollment_see_no_button_and_get_403(client, persona, request):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    assert "Pair with Observer" not in client.get(SETTINGS).content.decode()  # nor a note why
    response = client.post(MAKE_OWN)
    assert response.status_code == 403
    assert "Pairing codes can only be made for students." in response.content.decode()
    assert not PairingCode.objects.exists()


def test_no_button_while_self_registration_is_off_but_the_student_is_told_why(client, student):
    student.institution.self_registration = SelfRegistration.NONE
    student.institution.save()
    client.force_login(student)
    response = client.get(SETTINGS)
    assert not offers_the_button(response)
    assert (
        "Pair with Observer is not offered: your school has not turned on pairing codes (self "
        "registration). To link a parent or mentor to your account, ask the school office."
    ) in response.content.decode()
    assert client.post(MAKE_OWN).status_code == 403


def test_a_teacher_is_told_why_there_is_no_button_when_self_registration_is_off(
    client, course, student, teacher, teachers_may_generate
):
    course.institution.self_registration = SelfRegistration.NONE
    course.institution.save()
    client.force_login(teacher)
    response = client.get(details_url(course, student))
    assert not offers_the_button(response)
    assert "your school has not turned on pairing codes" in response.content.decode()
    assert "Ask an administrator to turn it on" in response.content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    assert client.post(MAKE_OWN).url.startswith(reverse("login"))


# --- Instructor, People → User Details --------------------------------------------------------------


def test_people_lead_to_user_details(client, course, student, teacher):
    client.force_login(teacher)
    page = client.get(reverse("course_people", args=[course.pk])).content.decode()
    assert f'href="{details_url(course, student)}">' in page
    assert "User Details</a>" in page
    # The options icon names the student it is for (seed 000: "Click the student's Options icon").
    assert '<span class="visually-hidden">Options for Sam Student</span>' in page


def test_a_teacher_with_both_permissions_pairs_from_user_details(
    client, course, student, teacher, teachers_may_generate
):
    client.force_login(teacher)
    assert offers_the_button(client.get(details_url(course, student)))

    response = client.get(client.post(code_url(course, student)).url)
    assert response.status_code == 200
    assert "<strong>Sam Student</strong>" in response.content.decode()
    record = PairingCode.objects.get(student=student)
    assert record.created_by == teacher
    assert record.code_hash == code_hash(shown_code(response))


def test_a_teacher_without_the_generate_permission_sees_no_button_and_gets_403(
    client, course, student, teacher
):
    client.force_login(teacher)
    response = client.get(details_url(course, student))
    assert not offers_the_button(response)
    assert "your role may not make pairing codes for students here" in response.content.decode()
    assert client.post(code_url(course, student)).status_code == 403
    assert client.get(code_url(course, student)).status_code == 403


def test_generating_also_needs_course_admin_actions(
    client, course, student, teacher, admin, teachers_may_generate
):
    role_permission_set(
        institution=course.institution,
        role=Role.TEACHER,
        permission=Permission.ALLOW_COURSE_ADMIN_ACTIONS,
        enabled=False,
        by=admin,
    )
    client.force_login(teacher)
    assert not offers_the_button(client.get(details_url(course, student)))
    assert client.post(code_url(course, student)).status_code == 403


def test_an_admin_pairs_from_user_details_by_default(client, course, student, admin):
    client.force_login(admin)
    response = client.post(code_url(course, student), follow=True)
    assert response.status_code == 200
    assert shown_code(response)


def test_no_button_on_a_teachers_own_details(client, course, teacher, admin):
    client.force_login(admin)
    assert "Pair with Observer" not in client.get(details_url(course, teacher)).content.decode()
    assert client.post(code_url(course, teacher)).status_code == 403


def test_a_student_cannot_make_a_code_for_a_classmate(client, course, student):
    classmate = EnrollmentFactory(course=course).user
    client.force_login(student)
    assert client.get(details_url(course, classmate)).status_code == 200
    # Nor a note: a classmate has no business with it.
    assert "Pair with Observer" not in client.get(details_url(course, classmate)).content.decode()
    assert client.post(code_url(course, classmate)).status_code == 403


def test_outsiders_get_404(client, course, student, other_admin, observer):
    for outsider in (other_admin, observer):
        client.force_login(outsider)
        assert client.get(details_url(course, student)).status_code == 404
        assert client.post(code_url(course, student)).status_code == 404


def test_someone_not_in_the_course_has_no_details_page_here(client, course, teacher, observer):
    client.force_login(teacher)
    assert client.get(details_url(course, observer)).status_code == 404
