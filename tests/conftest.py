"""Personas: one institution with a course, its teacher, a student, an observer and an admin,
plus an admin of another institution who must never see any of it."""

import pytest
from django.core.cache import cache
from django.utils import timezone, translation

from accounts.roles import Permission, Role
from accounts.services import role_permission_set
from tests import personas


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Attempt counters live in the cache when it is Redis (as in CI); each test starts clean."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _english_and_utc_after_each_test():
    """A request in Spanish leaves Spanish active in the thread (LocaleMiddleware does not undo
    it); the next test starts in English and the default time zone again."""
    yield
    translation.deactivate()
    timezone.deactivate()


@pytest.fixture
def institution(db):
    return personas.make_institution()


@pytest.fixture
def course(institution):
    return personas.make_course(institution)


@pytest.fixture
def teacher(course):
    return personas.make_teacher(course)


@pytest.fixture
def student(course):
    return personas.make_student(course)


@pytest.fixture
def observer(institution):
    """A parent with an account and no enrollments or links yet."""
    return personas.make_observer(institution)


@pytest.fixture
def admin(institution):
    return personas.make_admin(institution)


@pytest.fixture
def other_admin(db):
    return personas.make_other_admin()


@pytest.fixture
def teachers_may_generate(course, admin):
    """The institution lets teachers make pairing codes (Canvas leaves it off by default)."""
    role_permission_set(
        institution=course.institution,
        role=Role.TEACHER,
        permission=Permission.GENERATE_OBSERVER_PAIRING_CODE,
        enabled=True,
        by=admin,
    )
