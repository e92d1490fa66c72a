"""Who the API lets see what. Outsiders get 404; insiders without the right get 401 (Canvas).

Every route that takes a user, course or account takes it as Canvas does: an id, ``self`` (users
and accounts), or an SIS id (``sis_user_id:S1001``, ``sis_course_id:BIO-2026``), always looked up
within the caller's institution (api.urls's converters).
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts.models import User
from accounts.permissions import is_institution_admin
from api.errors import Unauthorized
from courses.access import get_course_for_user
from courses.models import Course
from pairing.models import ObserverLink, ObserverLinkState
from pairing.services import may_manage_observers_of

SIS_USER = "sis_user_id:"
SIS_COURSE = "sis_course_id:"


def user_id_for_ref(caller: User, user_ref: str | int) -> int:
    """The id a user reference names: ``self``, an id, or ``sis_user_id:`` and an SIS id of the
    caller's institution (404 when there is none)."""
    user_ref = str(user_ref)
    if user_ref == "self":
        return caller.pk
    if user_ref.startswith(SIS_USER):
        found = (
            User.objects.filter(
                institution_id=caller.institution_id,
                sis_user_id=user_ref.removeprefix(SIS_USER),
                institution_id__isnull=False,
            )
            .values_list("pk", flat=True)
            .first()
        )
        if found is None:
            raise Http404
        return found
    return int(user_ref)


def course_id_for_ref(caller: User, course_ref: str | int) -> int:
    """The id a course reference names: an id, or ``sis_course_id:`` and an SIS id of the
    caller's institution (404 when there is none)."""
    course_ref = str(course_ref)
    if course_ref.startswith(SIS_COURSE):
        found = (
            Course.objects.filter(
                institution_id=caller.institution_id,
                sis_course_id=course_ref.removeprefix(SIS_COURSE),
            )
            .values_list("pk", flat=True)
            .first()
        )
        if found is None:
            raise Http404
        return found
    return int(course_ref)


def account_id_for_ref(caller: User, account_ref: str | int) -> int:
    """The institution an account reference names: an id, or ``self`` (the caller's own)."""
    if str(account_ref) == "self":
        if caller.institution_id is None:
            raise Http404
        return caller.institution_id
    return int(account_ref)


def get_user_for_caller(caller: User, user_ref: str) -> User:
    """An active user of the caller's institution, by any reference (``user_id_for_ref``); else
    404."""
    user_id = user_id_for_ref(caller, user_ref)
    if user_id == caller.pk:
        return caller
    # With the institution: the services asked next (pairing codes, observer links) read it.
    user = User.objects.select_related("institution").filter(pk=user_id, is_active=True).first()
    if user is None or user.institution_id != caller.institution_id:
        raise Http404
    return user


def get_observed_party_for_caller(caller: User, user_ref: str) -> User:
    """A user whose observer links the caller may act on (the user, or an observer admin of their
    institution: pairing.services.may_manage_observers_of); 404 outside, 401 otherwise."""
    user = get_user_for_caller(caller, user_ref)
    if not may_manage_observers_of(subject=user, by=caller):
        raise Unauthorized()
    return user


def is_admin_of(caller: User, user: User) -> bool:
    return is_institution_admin(caller, user.institution_id)


def require_self_or_admin(caller: User, user: User) -> None:
    if caller.pk != user.pk and not is_admin_of(caller, user):
        raise Unauthorized()


def require_may_read_courses_of(caller: User, user: User) -> None:
    """The user, an admin, or someone observing them through an active link (R11)."""
    if caller.pk == user.pk or is_admin_of(caller, user):
        return
    if not ObserverLink.objects.filter(
        observer=caller, student=user, state=ObserverLinkState.ACTIVE
    ).exists():
        raise Unauthorized()


def get_course_for_caller(caller: User, course_ref: str, *, roster: bool = False) -> Course:
    """A course the caller may open, by any reference (``course_id_for_ref``): the portal's own
    rule (courses.access.get_course_for_user). One they may not open is a 404, exactly as one
    that does not exist, so that nobody learns by trying which courses there are; one they may
    open but not list (an observer and the roster) is a 401."""
    course_id = course_id_for_ref(caller, course_ref)
    try:
        course = get_course_for_user(caller, course_id, roster=roster)
    except PermissionDenied:
        raise Unauthorized() from None
    if course.institution_id != caller.institution_id:
        raise Http404
    return course
