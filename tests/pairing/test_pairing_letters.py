"""People → Print Pairing Letters: one printable page per student, with a new code, link and QR."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import SelfRegistration
from pairing.code_format import code_hash
from pairing.models import PairingCode
from pairing.services import pairing_code_redeem
from tests.factories import CourseFactory, EnrollmentFactory, UserFactory

CODE = re.compile(r'<p class="pairing-code">([A-Za-z0-9]{6})</p>')


def letters_url(course):
    return reverse("course_pairing_letters", args=[course.pk])


def test_each_student_gets_a_letter_with_a_working_code_link_and_qr(
    client, course, student, admin, observer
):
    classmate = EnrollmentFactory(course=course).user
    client.force_login(admin)

    response = client.post(letters_url(course), {"paper": "a4"})

    assert response.status_code == 200
    html = response.content.decode()
    codes = CODE.findall(html)
    assert len(codes) == 2
    assert html.count('<article class="letter"') == 2
    for person in (student, classmate):
        assert person.name in html
    assert "Springfield Schools" in html
    assert html.count('<svg role="img"') == 2  # the QR codes (icons are aria-hidden)
    assert "css/letters-a4.css" in html
    assert "/register/observer" in html  # self-registration is on: parents may sign up
    assert all(PairingCode.objects.filter(code_hash=code_hash(c)).exists() for c in codes)
    assert "no-store" in response["Cache-Control"]

    by_name = {person.name: person for person in (student, classmate)}
    first_letter = html.split('<article class="letter"')[1]
    owner = next(name for name in by_name if name in first_letter)
    redemption = pairing_code_redeem(code=CODE.findall(first_letter)[0], observer=observer)
    assert redemption.link.student == by_name[owner]


def test_each_qr_code_is_the_link_with_the_code_in_its_fragment(client, course, student, admin):
    from pairing.pairing_link import qr_svg

    client.force_login(admin)
    html = client.post(letters_url(course), {"paper": "letter"}).content.decode()
    [code] = CODE.findall(html)
    [svg] = re.findall(r"<svg role=\"img\" .*?</svg>", html, re.S)
    expected = qr_svg(
        f"http://testserver/profile/observees#code={code}",
        title="QR code: the pairing link for Sam Student",
    )
    assert svg == expected  # the same modules: the QR code encodes exactly that address
    assert "http://testserver/profile/observees<" in html.replace("</strong>", "<")  # typed form
    assert "css/letters-letter.css" in html


def test_letters_follow_the_export_rules(client, course, student, teacher):
    for person, status in ((teacher, 403), (student, 403)):
        client.force_login(person)
        assert client.post(letters_url(course)).status_code == status
    assert not PairingCode.objects.exists()


def test_outsiders_get_404_and_anonymous_visitors_the_log_in_page(client, course, other_admin):
    client.force_login(other_admin)
    assert client.post(letters_url(course)).status_code == 404
    client.logout()
    response = client.post(letters_url(course))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_get_is_not_allowed(client, course, admin):
    client.force_login(admin)
    assert client.get(letters_url(course)).status_code == 405


def test_no_letters_while_self_registration_is_off(client, course, student, admin):
    course.institution.self_registration = SelfRegistration.NONE
    course.institution.save()
    client.force_login(admin)
    assert client.post(letters_url(course)).status_code == 403


def test_letters_for_many_students_take_as_many_queries_as_for_few(client, admin):
    def queries_for(size: int) -> int:
        course = CourseFactory(institution=admin.institution)
        for user in UserFactory.create_batch(size, institution=admin.institution):
            EnrollmentFactory(course=course, user=user)
        client.force_login(admin)
        with CaptureQueriesContext(connection) as captured:
            assert client.post(letters_url(course)).status_code == 200
        return len(captured.captured_queries)

    assert queries_for(3) == queries_for(60)


@pytest.mark.parametrize("language", ["es", "en"])
def test_letters_are_in_the_readers_language(client, course, student, admin, language):
    client.force_login(admin)
    html = client.post(letters_url(course), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    expected = "Código de vinculación" if language == "es" else "Student Pairing Code"
    assert expected in html
