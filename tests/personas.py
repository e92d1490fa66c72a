"""The personas, as plain functions: tests/conftest.py makes them for each test, and a module that
needs them many times over (the permission matrix) makes them once."""

from accounts.roles import Role
from tests.factories import CourseFactory, EnrollmentFactory, InstitutionFactory, UserFactory


def make_institution():
    return InstitutionFactory(name="Springfield Schools")


def make_course(institution):
    return CourseFactory(institution=institution, name="Biology 101", course_code="BIO101")


def make_teacher(course):
    user = UserFactory(
        institution=course.institution, name="Terry Teacher", email="teacher@example.test"
    )
    EnrollmentFactory(course=course, user=user, type=Role.TEACHER)
    return user


def make_student(course):
    user = UserFactory(institution=course.institution, name="Sam Student", email="sam@example.test")
    EnrollmentFactory(course=course, user=user, type=Role.STUDENT)
    return user


def make_observer(institution):
    """A parent with an account and no enrollments or links yet."""
    return UserFactory(institution=institution, name="Pat Parent", email="parent@example.test")


def make_admin(institution):
    return UserFactory(
        institution=institution,
        name="Avery Admin",
        email="admin@example.test",
        is_account_admin=True,
    )


def make_other_admin():
    return UserFactory(
        institution=InstitutionFactory(name="Shelbyville Schools"),
        name="Olga Outsider",
        email="olga@shelbyville.test",
        is_account_admin=True,
    )


def make_other(institution):
    """Someone at the same institution with no enrollment, link or admin right."""
    return UserFactory(institution=institution, name="Oscar Other", email="oscar@example.test")
