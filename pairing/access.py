"""Access helpers for pairing pages: 404 where the user may not see a thing, 403 where they may
see it but not change it."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext

from accounts.access import get_institution_for_user
from accounts.models import User
from accounts.permissions import permissions_for, user_has_permission
from accounts.roles import Permission
from courses.access import get_course_for_user, sees_all_observers, visible_enrollments
from courses.models import Course, Enrollment
from pairing.errors import PairingError
from pairing.models import CodeExport, ObserverLink, ObserverLinkState
from pairing.services import may_remove_observer_link


def get_course_member_for_user(user: User, course_id: int, member_id: int) -> tuple[Course, User]:
    """A person enrolled in a course, for those who may see its roster (User Details). Someone
    there only as an observer is found only by those who see that enrollment (an observer of the
    user, or anyone for those who manage the course's observers): 404 otherwise."""
    course = get_course_for_user(user, course_id, roster=True)
    return course, get_member_of_course(user, course, member_id)


def get_member_of_course(user: User, course: Course, member_id: int) -> User:
    """A person enrolled in ``course``, which ``user`` may already open, as ``user`` may see
    them (``get_course_member_for_user``): 404 otherwise. The API asks it once it has the course."""
    all_observers = sees_all_observers(permissions_for(user, course=course))
    seen = (
        Enrollment.objects.undeleted()
        .filter(course=course)
        .filter(visible_enrollments(user, all_observers=all_observers))
    )
    member = User.objects.filter(pk=member_id, pk__in=seen.values("user_id")).first()
    if member is None:
        raise Http404("No such person in this course.")
    return member


def get_course_member_for_staff_action(
    user: User, course_id: int, member_id: int
) -> tuple[Course, User]:
    """As ``get_course_member_for_user``, for User Details' actions (Pair with Observer, Revoke
    all codes): they also need course admin actions (403 without), as in Canvas."""
    course, member = get_course_member_for_user(user, course_id, member_id)
    if Permission.ALLOW_COURSE_ADMIN_ACTIONS not in permissions_for(user, course=course):
        raise PermissionDenied(gettext(PairingError.NOT_ALLOWED))
    return course, member


def get_course_enrollment_for_user(user: User, course_id: int, enrollment_id: int) -> Enrollment:
    course = get_course_for_user(user, course_id, roster=True)
    enrollment = (
        Enrollment.objects.undeleted()
        .select_related("course", "user", "associated_user")
        .filter(pk=enrollment_id, course=course)
        .first()
    )
    if enrollment is None:
        raise Http404("No such enrollment in this course.")
    return enrollment


def get_observer_link_for_user(
    user: User,
    link_id: int | None = None,
    *,
    pair: tuple[int, int] | None = None,
    write: bool = False,
) -> ObserverLink:
    """An active link, by its id or its (observer id, student id) ``pair``, seen by its observer,
    its student and the institution's observer admins."""
    wanted = {"pk": link_id} if pair is None else {"observer_id": pair[0], "student_id": pair[1]}
    link = (
        ObserverLink.objects.select_related("student", "observer")
        .filter(state=ObserverLinkState.ACTIVE, **wanted)
        .first()
    )
    if link is None:
        raise Http404("No such link.")
    visible = user.pk in (link.observer_id, link.student_id) or (
        user.institution_id == link.institution_id
        and user_has_permission(user, Permission.MANAGE_USER_OBSERVERS)
    )
    if not visible:
        raise Http404("No such link.")
    if write and not may_remove_observer_link(link=link, by=user):
        raise PermissionDenied(gettext(PairingError.NOT_ALLOWED_TO_REMOVE_LINK))
    return link


def get_institution_user_for_admin(user: User, institution_id: int, member_id: int | None = None):
    """For observer admins: the institution (404 unless the user's own; 403 without
    manage_user_observers; platform operators open any) and, when asked, one of its users (404
    otherwise)."""
    institution = get_institution_for_user(
        user,
        institution_id,
        permission=Permission.MANAGE_USER_OBSERVERS,
        refused=gettext("Only admins who manage observers can open this page."),
    )
    if member_id is None:
        return institution, None
    member = User.objects.filter(pk=member_id, institution_id=institution_id).first()
    if member is None:
        raise Http404("No such user.")
    return institution, member


def get_institution_for_code_exports(user: User, institution_id: int):
    """District-wide exports: the user's own institution (404 otherwise; platform operators open
    any), for those holding the generating permission there (403 otherwise)."""
    return get_institution_for_user(
        user,
        institution_id,
        permission=Permission.GENERATE_OBSERVER_PAIRING_CODE,
        refused=gettext(PairingError.NOT_ALLOWED_TO_EXPORT),
    )


def get_code_export_for_user(user: User, institution_id: int, export_id: int) -> CodeExport:
    institution = get_institution_for_code_exports(user, institution_id)
    export = (
        CodeExport.objects.filter(pk=export_id, institution=institution)
        .defer("result")  # megabytes; only the download reads it
        .select_related("requested_by")
        .first()
    )
    if export is None:
        raise Http404("No such export.")
    return export
