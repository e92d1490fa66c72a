"""The one answer to "may this user do P (in this course)?". Nothing else decides permissions."""

from typing import Protocol

from django.db.models import BooleanField, CharField, QuerySet, Value

from accounts.models import RolePermission, User
from accounts.roles import PERMISSION_RULES, Permission, Role


class CourseLike(Protocol):
    """What the permission check needs from a course (courses.Course), without importing it."""

    institution_id: int

    @property
    def is_read_only(self) -> bool: ...

    def active_enrollment_types(self, user: User) -> QuerySet: ...


def is_platform_operator(user: User) -> bool:
    """A superuser: whoever runs the portal, who may open every institution's admin pages."""
    return bool(user.is_authenticated and user.is_active and user.is_superuser)


def may_administer(user: User, institution_id: int | None) -> bool:
    """Whether ``user`` may change the institution's settings and people: its account admins,
    and platform operators (for every institution)."""
    return is_platform_operator(user) or is_institution_admin(user, institution_id)


def is_institution_admin(user: User, institution_id: int | None) -> bool:
    """Whether ``user`` is an account admin of that institution (the role, not a permission)."""
    return (
        bool(user.is_account_admin)
        and institution_id is not None
        and user.institution_id == institution_id
    )


def permissions_for(user: User, *, course: CourseLike | None = None) -> frozenset[Permission]:
    """Every permission ``user`` holds in ``course``, or at the institution level when it is None.

    A user's roles are: account admin of the institution (which reaches into all its courses), plus
    the types of their *active* enrollments in the course, unless the course is concluded or
    deleted: there enrollments grant nothing (Canvas: a concluded course is read-only), and only an
    admin's rights, which come from the institution, remain. Each role's setting comes from the
    institution's permission table where it has a row, and from Canvas's default where it does not.
    One query, however many permissions are asked about.
    """
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    institution_id = course.institution_id if course is not None else user.institution_id
    if institution_id is None:
        return frozenset()

    roles: set[str] = set()
    enrollments_grant = course is not None and not course.is_read_only
    if is_institution_admin(user, institution_id):
        roles.add(Role.ACCOUNT_ADMIN)
    elif not enrollments_grant:
        return frozenset()
    overrides = RolePermission.objects.filter(institution_id=institution_id).values_list(
        "role", "permission", "enabled"
    )
    if enrollments_grant:
        # One round trip: the user's roles in the course (rows with no permission) beside the
        # institution's departures from the defaults.
        enrolled_as = course.active_enrollment_types(user).values_list(
            "type", Value("", output_field=CharField()), Value(None, output_field=BooleanField())
        )
        overrides = overrides.union(enrolled_as, all=True)
    table: dict[tuple[str, str], bool] = {}
    for role, permission, enabled in overrides:
        if permission:
            table[(role, permission)] = enabled
        else:
            roles.add(role)
    return frozenset(
        permission
        for permission in PERMISSION_RULES
        if any(_holds(role, permission, table) for role in roles)
    )


def user_has_permission(
    user: User, permission: Permission, *, course: CourseLike | None = None
) -> bool:
    return permission in permissions_for(user, course=course)


def permission_table(*, institution_id: int) -> dict[tuple[Role, Permission], bool]:
    """Whether each role holds each permission at an institution (the Permissions page)."""
    overrides = {
        (role, permission): enabled
        for role, permission, enabled in RolePermission.objects.filter(
            institution_id=institution_id
        ).values_list("role", "permission", "enabled")
    }
    return {
        (Role(role), permission): _holds(role, permission, overrides)
        for permission in PERMISSION_RULES
        for role in Role.values
    }


def _holds(role: str, permission: Permission, overrides: dict[tuple[str, str], bool]) -> bool:
    """The institution's own row where it has one, else Canvas's default."""
    return overrides.get((role, permission), role in PERMISSION_RULES[permission].default_roles)
