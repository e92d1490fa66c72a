import pytest
from django.urls import reverse

from accounts.roles import Role
from tests.factories import CourseFactory, EnrollmentFactory


def test_home_lists_the_users_courses_and_settings(client, course, student):
    client.force_login(student)
    page = client.get(reverse("home")).content.decode()
    assert "Welcome, Sam Student" in page
    assert f'href="{reverse("course_detail", args=[course.pk])}"' in page
    assert f'href="{reverse("profile_settings")}"' in page
    assert "Administration" not in page


def test_home_shows_an_admin_the_institution(client, admin):
    client.force_login(admin)
    page = client.get(reverse("home")).content.decode()
    assert "Administration" in page
    assert "All courses of Springfield Schools" in page


def test_home_tells_someone_with_no_courses_so(client, observer):
    client.force_login(observer)
    assert "You are not enrolled in any course yet." in client.get(reverse("home")).content.decode()


def test_home_shows_twenty_courses_and_links_to_the_rest(client, course, student):
    for _ in range(20):
        EnrollmentFactory(
            course=CourseFactory(institution=course.institution), user=student, type=Role.STUDENT
        )
    client.force_login(student)
    response = client.get(reverse("home"))
    assert len(response.context["enrollments"]) == 20
    assert response.context["has_more"]


@pytest.mark.django_db
def test_home_sends_anonymous_visitors_to_log_in(client):
    assert client.get(reverse("home")).url == reverse("login") + "?next=/"
