"""The course's front page, with its Course Navigation; for an observer of two students, each
student's enrollment, the teachers and how to reach them, the dates and state, and what an
observer can expect to see."""

from datetime import datetime, timedelta

from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from pairing.models import ObserverLinkSource
from pairing.services import observer_link_create
from tests.factories import EnrollmentFactory, UserFactory


def test_an_observer_of_two_students_sees_both_the_teachers_and_what_to_expect(
    client, course, student, teacher, observer
):
    sibling = UserFactory(institution=course.institution, name="Sal Sibling")
    EnrollmentFactory(course=course, user=sibling, type=Role.STUDENT)
    for child in (student, sibling):
        observer_link_create(
            observer=observer, student=child, by=None, source=ObserverLinkSource.ADMIN
        )
    course.start_at = timezone.make_aware(datetime(2026, 9, 1))
    course.end_at = course.start_at + timedelta(days=270)
    course.save()
    client.force_login(observer)

    page = client.get(reverse("course_detail", args=[course.pk])).content.decode()

    assert "The students you observe" in page
    assert "The student you observe<" not in page
    for child in (student, sibling):
        assert f"<strong>{child.name}</strong></span> <span>Student · Active" in page
    assert f'<a href="mailto:{teacher.email}">' in page
    assert "Sept. 1, 2026 to May 29, 2027" in page
    assert "What you can see as an observer" in page
    assert "Not the class list" in page
    # Home is all the observer's Course Navigation holds: no People.
    assert 'aria-label="Course Navigation"' in page
    assert reverse("course_people", args=[course.pk]) not in page


def test_a_teachers_course_navigation_leads_to_people(client, course, teacher):
    client.force_login(teacher)
    page = client.get(reverse("course_detail", args=[course.pk])).content.decode()
    nav = page.split('aria-label="Course Navigation"')[1].split("</nav>")[0]
    assert f'href="{reverse("course_detail", args=[course.pk])}" aria-current="page"' in nav
    assert f'href="{reverse("course_people", args=[course.pk])}"' in nav
    assert "No dates set" in page
    assert "What you can see as an observer" not in page
