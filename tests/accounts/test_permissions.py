"""The permission table: Canvas's defaults, an admin's changes, and the one function that decides."""

import pytest

from accounts.errors import AccountError
from accounts.permissions import permission_table, permissions_for, user_has_permission
from accounts.roles import PERMISSION_RULES, Permission, Role
from accounts.services import role_permission_set
from courses.models import EnrollmentState
from tests.factories import CourseFactory, EnrollmentFactory, InstitutionFactory, UserFactory

# Canvas's defaults, written out once more by hand so that a change to the rules must be deliberate.
EXPECTED_DEFAULTS = {
    Permission.GENERATE_OBSERVER_PAIRING_CODE: {Role.ACCOUNT_ADMIN},
    Permission.ALLOW_COURSE_ADMIN_ACTIONS: {Role.ACCOUNT_ADMIN, Role.TEACHER},
    Permission.MANAGE_USER_OBSERVERS: {Role.ACCOUNT_ADMIN},
    Permission.ADD_OBSERVER_TO_COURSE: {Role.ACCOUNT_ADMIN, Role.TEACHER, Role.TA, Role.DESIGNER},
    Permission.REMOVE_OBSERVER_FROM_COURSE: {
        Role.ACCOUNT_ADMIN,
        Role.TEACHER,
        Role.TA,
        Role.DESIGNER,
    },
    Permission.ACT_AS_USER: {Role.ACCOUNT_ADMIN},
}


def test_every_permission_has_a_default():
    assert set(EXPECTED_DEFAULTS) == set(Permission) == set(PERMISSION_RULES)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("permission", list(Permission))
def test_a_new_institution_starts_with_canvas_defaults(institution, role, permission):
    table = permission_table(institution_id=institution.pk)
    assert table[(role, permission)] == (role in EXPECTED_DEFAULTS[permission])


@pytest.mark.parametrize(
    ("role", "expected"),
    [(role, {p for p, roles in EXPECTED_DEFAULTS.items() if role in roles}) for role in Role],
)
def test_enrolled_roles_hold_their_default_permissions_in_the_course(course, role, expected):
    user = UserFactory(institution=course.institution, is_account_admin=role == Role.ACCOUNT_ADMIN)
    if role != Role.ACCOUNT_ADMIN:
        EnrollmentFactory(course=course, user=user, type=role)
    assert permissions_for(user, course=course) == expected


def test_an_admin_lets_teachers_generate_pairing_codes(course, teacher, admin):
    permission = Permission.GENERATE_OBSERVER_PAIRING_CODE
    assert not user_has_permission(teacher, permission, course=course)

    role_permission_set(
        institution=course.institution,
        role=Role.TEACHER,
        permission=permission,
        enabled=True,
        by=admin,
    )

    assert user_has_permission(teacher, permission, course=course)
    assert permission_table(institution_id=course.institution_id)[(Role.TEACHER, permission)]


def test_an_admin_can_switch_a_default_off_and_on_again(course, teacher, admin):
    permission = Permission.ADD_OBSERVER_TO_COURSE
    switch = {"institution": course.institution, "role": Role.TEACHER, "permission": permission}

    role_permission_set(**switch, enabled=False, by=admin)
    assert not user_has_permission(teacher, permission, course=course)

    role_permission_set(**switch, enabled=True, by=admin)
    assert user_has_permission(teacher, permission, course=course)


def test_a_change_at_one_institution_leaves_others_alone(course, teacher, admin):
    role_permission_set(
        institution=course.institution,
        role=Role.TEACHER,
        permission=Permission.GENERATE_OBSERVER_PAIRING_CODE,
        enabled=True,
        by=admin,
    )
    elsewhere = CourseFactory(institution=InstitutionFactory())
    other_teacher = EnrollmentFactory(course=elsewhere, type=Role.TEACHER).user
    assert not user_has_permission(
        other_teacher, Permission.GENERATE_OBSERVER_PAIRING_CODE, course=elsewhere
    )


def test_only_an_admin_of_the_institution_changes_its_permissions(course, teacher, other_admin):
    for person in (teacher, other_admin):
        with pytest.raises(AccountError, match=AccountError.NOT_AN_ADMIN):
            role_permission_set(
                institution=course.institution,
                role=Role.TEACHER,
                permission=Permission.GENERATE_OBSERVER_PAIRING_CODE,
                enabled=True,
                by=person,
            )


def test_a_permission_cannot_be_given_to_students(institution, admin):
    with pytest.raises(AccountError, match=AccountError.PERMISSION_NOT_CONFIGURABLE):
        role_permission_set(
            institution=institution,
            role=Role.STUDENT,
            permission=Permission.GENERATE_OBSERVER_PAIRING_CODE,
            enabled=True,
            by=admin,
        )


def test_an_admin_holds_permissions_in_every_course_of_the_institution(course, admin):
    assert user_has_permission(admin, Permission.GENERATE_OBSERVER_PAIRING_CODE, course=course)
    assert user_has_permission(admin, Permission.MANAGE_USER_OBSERVERS)


def test_an_admin_of_another_institution_holds_nothing_here(course, other_admin):
    assert permissions_for(other_admin, course=course) == frozenset()


@pytest.mark.parametrize(
    "state",
    [
        EnrollmentState.INVITED,
        EnrollmentState.INACTIVE,
        EnrollmentState.COMPLETED,
        EnrollmentState.DELETED,
    ],
)
def test_only_an_active_enrollment_grants_its_role(course, state):
    teacher = EnrollmentFactory(course=course, type=Role.TEACHER, state=state).user
    assert permissions_for(teacher, course=course) == frozenset()


def test_a_teacher_holds_nothing_outside_their_courses(course, teacher):
    other_course = CourseFactory(institution=course.institution)
    assert permissions_for(teacher, course=other_course) == frozenset()
    assert permissions_for(teacher) == frozenset()


def test_a_deactivated_admin_holds_nothing(course, admin):
    admin.is_active = False
    admin.save()
    assert permissions_for(admin, course=course) == frozenset()


def test_a_user_with_two_roles_holds_the_union(course, teacher):
    # A teacher who is also a TA in the same course: TA settings cannot take teacher rights away.
    EnrollmentFactory(course=course, user=teacher, type=Role.TA)
    assert Permission.ALLOW_COURSE_ADMIN_ACTIONS in permissions_for(teacher, course=course)


def test_deciding_takes_a_fixed_number_of_queries(course, teacher, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        permissions_for(teacher, course=course)
