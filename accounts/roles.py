"""Roles, permissions and Canvas's defaults for which role holds which permission.

Pure data: the permission table in the database (``RolePermission``) stores only an institution's
departures from these defaults, as Canvas's role overrides do, and ``accounts.permissions`` is the one
place that combines the two.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ACCOUNT_ADMIN = "AccountAdmin", _("Account Admin")
    TEACHER = "TeacherEnrollment", _("Teacher")
    TA = "TaEnrollment", _("TA")
    DESIGNER = "DesignerEnrollment", _("Designer")
    STUDENT = "StudentEnrollment", _("Student")
    OBSERVER = "ObserverEnrollment", _("Observer")


# The roles a course enrollment can have (Canvas's enrollment types), in roster order.
COURSE_ROLES = (Role.TEACHER, Role.TA, Role.DESIGNER, Role.STUDENT, Role.OBSERVER)
# Canvas's short names of those roles: an SIS file's role column, the API's enrollment_type[].
COURSE_ROLES_BY_NAME = {
    "student": Role.STUDENT,
    "teacher": Role.TEACHER,
    "ta": Role.TA,
    "designer": Role.DESIGNER,
    "observer": Role.OBSERVER,
}


class Permission(models.TextChoices):
    GENERATE_OBSERVER_PAIRING_CODE = (
        "generate_observer_pairing_code",
        _("Users - generate observer pairing codes for students"),
    )
    ALLOW_COURSE_ADMIN_ACTIONS = (
        "allow_course_admin_actions",
        _("Users - allow administrative actions in courses"),
    )
    MANAGE_USER_OBSERVERS = "manage_user_observers", _("Users - manage observers")
    ADD_OBSERVER_TO_COURSE = "add_observer_to_course", _("Observers - add")
    REMOVE_OBSERVER_FROM_COURSE = "remove_observer_from_course", _("Observers - remove")
    ACT_AS_USER = "act_as_user", _("Users - act as")


@dataclass(frozen=True)
class PermissionRule:
    default_roles: frozenset[Role]
    # Roles an institution may switch this permission on or off for. Students never appear: what a
    # student may do for themself (make their own pairing code) needs no role setting.
    configurable_roles: frozenset[Role]


_COURSE_STAFF = frozenset({Role.TEACHER, Role.TA, Role.DESIGNER})
_ADMIN = frozenset({Role.ACCOUNT_ADMIN})

# Defaults and switchable roles from Canvas (shared/spec/canvas-behaviour.md §9).
PERMISSION_RULES: dict[Permission, PermissionRule] = {
    # Canvas lets an institution give this to observers too; the portal never does: an observer
    # asking for a code for the student they observe is exactly what the code is meant to prevent.
    Permission.GENERATE_OBSERVER_PAIRING_CODE: PermissionRule(
        default_roles=_ADMIN,
        configurable_roles=_ADMIN | _COURSE_STAFF,
    ),
    Permission.ALLOW_COURSE_ADMIN_ACTIONS: PermissionRule(
        default_roles=_ADMIN | {Role.TEACHER},
        configurable_roles=_ADMIN | _COURSE_STAFF,
    ),
    Permission.MANAGE_USER_OBSERVERS: PermissionRule(
        default_roles=_ADMIN,
        configurable_roles=_ADMIN,
    ),
    Permission.ADD_OBSERVER_TO_COURSE: PermissionRule(
        default_roles=_ADMIN | _COURSE_STAFF,
        configurable_roles=_ADMIN | _COURSE_STAFF,
    ),
    Permission.REMOVE_OBSERVER_FROM_COURSE: PermissionRule(
        default_roles=_ADMIN | _COURSE_STAFF,
        configurable_roles=_ADMIN | _COURSE_STAFF,
    ),
    Permission.ACT_AS_USER: PermissionRule(
        default_roles=_ADMIN,
        configurable_roles=_ADMIN,
    ),
}


def configurable_pairs_q() -> models.Q:
    """Q matching every (permission, role) pair an institution may change; used by a DB constraint."""
    condition = models.Q()
    for permission, rule in PERMISSION_RULES.items():
        roles = sorted(role.value for role in rule.configurable_roles)
        condition |= models.Q(permission=permission.value, role__in=roles)
    return condition
