"""A course the caller may not open answers exactly as a course that does not exist: 404, the
same body. Otherwise anyone with a token (an observer, most often) could try ids and SIS course
ids and learn which courses exist and what they are called elsewhere in the school. A course
the caller may open but not list (an observer and its roster) still says 401."""

import pytest

from courses.models import Enrollment
from tests.api.helpers import assert_not_found, assert_unauthorized
from tests.factories import CourseFactory, EnrollmentFactory

pytestmark = pytest.mark.django_db
MISSING = 987654321


@pytest.fixture
def elsewhere(institution):
    """A course of the institution with another student, and an observer enrollment in it that
    is not the observer's."""
    course = CourseFactory(institution=institution, sis_course_id="HIST-9")
    classmate = EnrollmentFactory(course=course)
    return course, classmate


ROUTES = [
    ("get", "courses/{course}"),
    ("get", "courses/{course}/users"),
    ("get", "courses/{course}/search_users"),
    ("get", "courses/{course}/users/{user}"),
    ("get", "courses/{course}/enrollments"),
    ("post", "courses/{course}/enrollments"),
    ("delete", "courses/{course}/enrollments/{enrollment}"),
]


@pytest.mark.parametrize(("method", "route"), ROUTES, ids=[r[1] + " " + r[0] for r in ROUTES])
def test_an_observer_gets_the_same_404_for_a_course_it_does_not_observe_as_for_none(
    api_as, link, observer, elsewhere, method, route
):
    course, classmate = elsewhere
    caller = api_as(observer)
    for ref in (course.pk, "sis_course_id:HIST-9"):
        path = route.format(course=ref, user=classmate.user_id, enrollment=classmate.pk)
        assert_not_found(getattr(caller, method)(path))
    missing = route.format(course=MISSING, user=classmate.user_id, enrollment=classmate.pk)
    assert_not_found(getattr(caller, method)(missing))
    assert Enrollment.objects.filter(pk=classmate.pk).exists()


def test_someone_of_the_school_outside_the_course_gets_404_too(api_as, other, course):
    assert_not_found(api_as(other).get(f"courses/{course.pk}"))
    assert_not_found(api_as(other).get(f"courses/{course.pk}/enrollments"))


def test_the_observers_own_course_still_answers_and_its_roster_is_refused(
    api_as, link, observer, course
):
    assert api_as(observer).get(f"courses/{course.pk}").status_code == 200
    assert_unauthorized(api_as(observer).get(f"courses/{course.pk}/users"))
