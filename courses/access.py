"""Who may open a course, and its roster: 404 for outsiders, 403 for those who may not go further."""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.permissions import is_institution_admin
from accounts.roles import Permission, Role
from courses.models import Course, CourseState, Enrollment

ROSTER_NOT_FOR_OBSERVERS = _("Observers can see a course, but not the list of its people.")


def get_course_for_user(user: User, course_id: int, *, roster: bool = False) -> Course:
    """The course, if ``user`` may see it: an admin of its institution, or someone enrolled in it.

    With ``roster=True`` the user must also be allowed the People page, which observers are not:
    they follow one student and have no business reading the class list.
    """
    course = (
        Course.objects.select_related("institution")
        .exclude(state=CourseState.DELETED)
        .filter(pk=course_id)
        .first()
    )
    if course is None:
        raise Http404("No such course.")
    if is_institution_admin(user, course.institution_id):
        return course
    roles = set(
        Enrollment.objects.visible().filter(course=course, user=user).values_list("type", flat=True)
    )
    if not roles:
        raise Http404("No such course.")
    if roster and roles == {Role.OBSERVER}:
        raise PermissionDenied(ROSTER_NOT_FOR_OBSERVERS)
    return course


# Who observes whom is for those who manage the course's people: teachers, TAs and designers with
# the permission, and admins. Everyone else sees only observers of themself (a student, their own
# parents), so a class list never tells which parent watches which classmate.
_MANAGING_OBSERVERS = frozenset(
    {
        Permission.ALLOW_COURSE_ADMIN_ACTIONS,
        Permission.ADD_OBSERVER_TO_COURSE,
        Permission.REMOVE_OBSERVER_FROM_COURSE,
    }
)


def sees_all_observers(permissions: frozenset[Permission]) -> bool:
    """Whether someone with ``permissions`` in a course (accounts.permissions.permissions_for)
    sees all its observers."""
    return bool(permissions & _MANAGING_OBSERVERS)


def visible_enrollments(viewer: User, *, all_observers: bool) -> Q:
    """The enrollments of a course ``viewer`` may see: all of them when ``all_observers``, else
    every one but Observer enrollments, except those observing the viewer or held by them."""
    if all_observers:
        return Q()
    return ~Q(type=Role.OBSERVER) | Q(associated_user=viewer) | Q(user=viewer)
