"""Who the API lets see what. Outsiders get 404; insiders without the right get 401 (Canvas)."""

from django.http import Http404

from accounts.models import User
from accounts.permissions import is_institution_admin
from api.errors import Unauthorized
from courses.access import get_course_for_user
from courses.models import Course, CourseState
from pairing.models import ObserverLink, ObserverLinkState
from pairing.services import may_manage_observers_of


def get_user_for_caller(caller: User, user_ref: str) -> User:
    """``self`` or a numeric id of an active user of the caller's institution; else 404."""
    if user_ref == "self":
        return caller
    user = User.objects.filter(pk=int(user_ref), is_active=True).first()
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


def get_course_for_caller(caller: User, course_id: int, *, roster: bool = False) -> Course:
    """A course of the caller's institution (404 otherwise) that they may open (401 otherwise)."""
    course = (
        Course.objects.exclude(state=CourseState.DELETED)
        .filter(pk=course_id)
        .only("institution_id")
        .first()
    )
    if course is None or course.institution_id != caller.institution_id:
        raise Http404
    try:
        return get_course_for_user(caller, course_id, roster=roster)
    except Http404:
        raise Unauthorized() from None
