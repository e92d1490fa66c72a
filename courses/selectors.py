"""Reads of courses and enrollments, shaped for the pages that show them."""

from django.db.models import Count, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import Institution, User
from accounts.navigation import NavItem, SideNav
from accounts.permissions import is_institution_admin, permissions_for
from accounts.roles import Permission, Role
from courses.access import visible_enrollments
from courses.models import (
    CURRENT_ENROLLMENT_STATES,
    Course,
    CourseState,
    Enrollment,
    EnrollmentState,
)


def course_roster(
    *, course: Course, viewer: User, include_inactive: bool, all_observers: bool
) -> QuerySet[Enrollment]:
    """The People page's rows, one per enrollment, by sortable name. Staff also see ended ones;
    observers are shown as ``courses.access.visible_enrollments`` says."""
    states = list(CURRENT_ENROLLMENT_STATES)
    if include_inactive:
        states += [EnrollmentState.INACTIVE, EnrollmentState.COMPLETED]
    return (
        Enrollment.objects.filter(course=course, state__in=states)
        .filter(visible_enrollments(viewer, all_observers=all_observers))
        .select_related("user", "associated_user")
        .order_by("user__sortable_name", "user_id", "type", "associated_user_id")
    )


def enrollments_for_user(*, user: User) -> QuerySet[Enrollment]:
    """The user's own enrollments in courses they can open, for the course list."""
    return (
        Enrollment.objects.visible()
        .filter(user=user)
        .exclude(course__state=CourseState.DELETED)
        .select_related("course", "associated_user")
        .order_by("course__name", "course_id", "type")
    )


def institution_courses(*, institution: Institution) -> QuerySet[Course]:
    """Every live course of an institution with its number of current students (for admins)."""
    return (
        Course.objects.filter(institution=institution)
        .exclude(state=CourseState.DELETED)
        .annotate(
            student_count=Count(
                "enrollments",
                filter=Q(
                    enrollments__type=Role.STUDENT,
                    enrollments__state__in=CURRENT_ENROLLMENT_STATES,
                ),
            )
        )
        .order_by("name", "id")
    )


def course_teachers(*, course: Course) -> QuerySet[User]:
    return (
        User.objects.filter(
            enrollments__course=course,
            enrollments__type=Role.TEACHER,
            enrollments__state__in=CURRENT_ENROLLMENT_STATES,
        )
        .distinct()
        .order_by("sortable_name", "id")
    )


def own_enrollments_in(*, course: Course, user: User) -> QuerySet[Enrollment]:
    """What the viewer is in this course; for an observer, whom they observe."""
    return (
        Enrollment.objects.visible()
        .filter(course=course, user=user)
        .select_related("associated_user")
        .order_by("type", "associated_user__sortable_name")
    )


def current_courses_of(*, user: User) -> QuerySet[Course]:
    """Courses where ``user`` is actively or invitedly enrolled in any role, each once, by id,
    carrying the user's own enrollments there as ``listed_enrollments``."""
    mine = Enrollment.objects.current().filter(user=user)
    return (
        Course.objects.filter(pk__in=mine.values("course_id"))
        .exclude(state=CourseState.DELETED)
        .prefetch_related(
            Prefetch("enrollments", queryset=mine.order_by("id"), to_attr="listed_enrollments")
        )
        .order_by("id")
    )


def course_navigation(
    *,
    course: Course,
    user: User,
    current: str,
    roster: bool | None = None,
    permissions: frozenset[Permission] | None = None,
) -> SideNav:
    """Course Navigation: Home for everyone who may open the course, People for those who may read
    its roster (not observers: they follow one student), Settings for those who may change it.
    ``current`` is "home", "people" or "settings". Up to two queries, none when the page already
    knows whether the roster is open to the user (``roster``) and their ``permissions`` there."""
    if roster is None:
        roster = is_institution_admin(user, course.institution_id) or (
            Enrollment.objects.visible()
            .filter(course=course, user=user)
            .exclude(type=Role.OBSERVER)
            .exists()
        )
    if permissions is None:
        permissions = permissions_for(user, course=course)
    pages = [("home", _("Home"), "course_detail", "house")]
    if roster:
        pages.append(("people", _("People"), "course_people", "users"))
    if Permission.ALLOW_COURSE_ADMIN_ACTIONS in permissions:
        pages.append(("settings", _("Settings"), "course_settings", "settings"))
    return SideNav(
        label=_("Course Navigation"),
        title=course.course_code,
        items=[
            NavItem(label, reverse(name, args=[course.pk]), icon, current=key == current)
            for key, label, name, icon in pages
        ],
    )
