"""/profile/observees (User Settings → Observing) and what a linked observer sees."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from courses.models import Enrollment, EnrollmentState
from pairing.models import ObserverLink, ObserverLinkState
from pairing.services import pairing_code_redeem
from tests.factories import CourseFactory, EnrollmentFactory, UserFactory
from tests.pairing.helpers import new_code

URL = reverse("observees")


def remove_url(link):
    return reverse("observee_remove", args=[link.pk])


def test_the_page_has_the_student_pairing_code_field(client, observer):
    client.force_login(observer)
    page = client.get(URL).content.decode()
    assert '<label for="id_code">Student Pairing Code' in page
    assert 'autocapitalize="off"' in page
    assert "You are not observing any students yet." in page


def test_an_observer_links_a_student_with_a_code(client, course, student, observer):
    client.force_login(observer)
    response = client.post(URL, {"code": f" {new_code(student)} "})
    assert response.url == URL
    page = client.get(URL).content.decode()
    assert "You are now observing Sam Student." in page
    assert "Stop observing Sam Student?" in page  # asked once before the link goes
    assert ObserverLink.objects.filter(observer=observer, student=student, state="active").exists()


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("", "This field is required."),
        ("zzzzzz", "Invalid pairing code"),
        ("<b>x</b>", "Invalid pairing code"),
    ],
)
def test_a_bad_code_gets_one_clear_error_and_links_nothing(client, observer, typed, error):
    client.force_login(observer)
    response = client.post(URL, {"code": typed})
    page = response.content.decode()
    assert response.status_code == 200
    assert error in page
    assert 'aria-invalid="true"' in page
    assert "<b>x</b>" not in page
    assert not ObserverLink.objects.exists()


def test_a_used_code_says_the_same_as_an_unknown_one(client, student, observer):
    code = new_code(student)
    pairing_code_redeem(code=code, observer=UserFactory(institution=student.institution))
    client.force_login(observer)
    assert "Invalid pairing code" in client.post(URL, {"code": code}).content.decode()


def test_an_observer_removes_a_link(client, course, student, observer):
    link = pairing_code_redeem(code=new_code(student), observer=observer).link
    client.force_login(observer)
    response = client.post(remove_url(link))
    assert response.url == URL
    assert "You are no longer observing Sam Student." in client.get(URL).content.decode()
    link.refresh_from_db()
    assert link.state == ObserverLinkState.DELETED
    assert Enrollment.objects.get(user=observer).state == EnrollmentState.DELETED


def test_removing_needs_post(client, student, observer):
    link = pairing_code_redeem(code=new_code(student), observer=observer).link
    client.force_login(observer)
    assert client.get(remove_url(link)).status_code == 405


def test_the_student_may_see_but_not_remove_the_link(client, student, observer):
    link = pairing_code_redeem(code=new_code(student), observer=observer).link
    client.force_login(student)
    assert client.post(remove_url(link)).status_code == 403
    assert ObserverLink.objects.get().state == ObserverLinkState.ACTIVE


def test_strangers_get_404_for_someone_elses_link(
    client, course, student, observer, teacher, other_admin
):
    link = pairing_code_redeem(code=new_code(student), observer=observer).link
    for stranger in (teacher, other_admin):
        client.force_login(stranger)
        assert client.post(remove_url(link)).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    assert client.get(URL).url.startswith(reverse("login"))


def test_the_observer_home_shows_one_student_at_a_time_and_remembers_the_last(
    client, course, student, observer
):
    sibling_course = CourseFactory(institution=course.institution, name="Art")
    sibling = EnrollmentFactory(course=sibling_course, user__name="Zed Zimmer").user
    pairing_code_redeem(code=new_code(student), observer=observer)
    pairing_code_redeem(code=new_code(sibling), observer=observer)
    client.force_login(observer)

    page = client.get(reverse("home")).content.decode()
    assert "Students you observe" in page
    assert "Sam Student" in page
    assert "Zed Zimmer" in page  # in the switcher (after Sam: by family name)
    assert "Biology 101" in page
    assert "Art" not in page
    assert "Add Student" in page

    page = client.get(reverse("home"), {"student": sibling.pk}).content.decode()
    assert "Art" in page
    assert "Biology 101" not in page
    page = client.get(reverse("home")).content.decode()  # next visit: the last one looked at
    assert "Art" in page
    observer.refresh_from_db()
    assert observer.last_observed_student == sibling


def test_the_switcher_never_shows_a_student_the_observer_does_not_follow(
    client, course, student, observer
):
    stranger = EnrollmentFactory(course=CourseFactory(institution=course.institution)).user
    pairing_code_redeem(code=new_code(student), observer=observer)
    client.force_login(observer)
    page = client.get(reverse("home"), {"student": stranger.pk}).content.decode()
    assert stranger.name not in page
    assert "Biology 101" in page
    observer.refresh_from_db()
    assert observer.last_observed_student is None  # one student: nothing to remember


def test_the_observer_opens_the_course_but_not_its_roster(
    client, course, student, teacher, observer
):
    pairing_code_redeem(code=new_code(student), observer=observer)
    client.force_login(observer)
    page = client.get(reverse("course_detail", args=[course.pk])).content.decode()
    assert "Biology 101" in page
    assert "Terry Teacher" in page
    assert "<strong>Sam Student</strong></span> <span>Student · Active" in page
    assert reverse("course_people", args=[course.pk]) not in page
    assert client.get(reverse("course_people", args=[course.pk])).status_code == 403


def test_after_unlinking_the_course_is_gone(client, course, student, observer):
    link = pairing_code_redeem(code=new_code(student), observer=observer).link
    client.force_login(observer)
    client.post(remove_url(link))
    assert client.get(reverse("course_detail", args=[course.pk])).status_code == 404
    assert "Biology 101" not in client.get(reverse("home")).content.decode()


def test_observer_pages_keep_a_flat_query_count(client, course, observer):
    def queries(path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured.captured_queries)

    def link_students(count: int) -> None:
        for _ in range(count):
            kid = EnrollmentFactory(course=CourseFactory(institution=course.institution)).user
            pairing_code_redeem(code=new_code(kid), observer=observer)

    client.force_login(observer)
    link_students(2)
    few = (queries(URL), queries(reverse("home")))
    link_students(15)
    assert (queries(URL), queries(reverse("home"))) == few


def test_a_course_only_observer_sees_that_course_on_home(client, course, student, observer):
    EnrollmentFactory(course=course, user=observer, type=Role.OBSERVER, associated_user=student)
    client.force_login(observer)
    page = client.get(reverse("home")).content.decode()
    assert "Biology 101" in page
    assert client.get(URL).context["links"].count() == 0


@pytest.mark.parametrize("value", ["²", "9" * 5000, "-1", "x"])
def test_a_strange_student_number_in_the_address_is_ignored(client, student, observer, value):
    pairing_code_redeem(code=new_code(student), observer=observer)
    client.force_login(observer)
    response = client.get(reverse("home"), {"student": value})
    assert response.status_code == 200
    assert "Biology 101" in response.content.decode()
