"""The course pages answer a course the visitor may not open (an observer's, of a student they do
not observe) exactly as a course that does not exist: 404, so ids cannot be tried to learn which
courses exist. The API does the same: tests/api/test_course_probing.py."""

import re

import pytest
from django.urls import reverse

from tests.factories import CourseFactory, EnrollmentFactory

pytestmark = pytest.mark.django_db
MISSING = 987654321
# What differs from one request to the next whatever the course: the CSRF token, the page's own
# address (the language form returns to it).
PER_REQUEST = re.compile(r'name="(csrfmiddlewaretoken|next)" value="[^"]*"')


@pytest.mark.parametrize(
    "page", ["course_detail", "course_people", "course_settings", "course_user_details"]
)
def test_an_observer_gets_the_same_404_for_a_course_it_does_not_observe_as_for_none(
    client, institution, observer, student, course, page
):
    from pairing.services import observer_link_create

    observer_link_create(observer=observer, student=student, by=observer, source="pairing_code")
    elsewhere = EnrollmentFactory(course=CourseFactory(institution=institution))
    client.force_login(observer)

    def status(course_id: int) -> tuple[int, str]:
        args = [course_id, elsewhere.user_id] if page == "course_user_details" else [course_id]
        response = client.get(reverse(page, args=args))
        return response.status_code, PER_REQUEST.sub("", response.content.decode())

    theirs, missing = status(elsewhere.course_id), status(MISSING)
    assert theirs[0] == missing[0] == 404
    assert theirs[1] == missing[1]
    assert client.get(reverse("course_detail", args=[course.pk])).status_code == 200
