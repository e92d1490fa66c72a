"""Reads for the pairing pages, each in a fixed number of queries."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q, QuerySet

from accounts.models import User
from accounts.roles import Role
from courses.access import visible_enrollments
from courses.models import Course, Enrollment
from pairing.models import ObserverLink, ObserverLinkState


def observer_links_for(*, observer: User) -> QuerySet[ObserverLink]:
    return (
        ObserverLink.objects.filter(observer=observer, state=ObserverLinkState.ACTIVE)
        .select_related("student")
        .order_by("student__sortable_name", "student_id")
    )


@dataclass
class ObservedStudent:
    student: User
    linked: bool  # an institution-wide link, rather than only course-by-course enrollments
    enrollments: list[Enrollment] = field(default_factory=list)


def observed_students(*, observer: User) -> list[ObservedStudent]:
    """Each student the observer follows, with the courses they observe them in (two queries)."""
    by_student: dict[int, ObservedStudent] = {
        link.student_id: ObservedStudent(student=link.student, linked=True)
        for link in observer_links_for(observer=observer)
    }
    observer_enrollments = (
        Enrollment.objects.current()
        .filter(user=observer, type=Role.OBSERVER, associated_user__isnull=False)
        .select_related("course", "associated_user")
        .order_by("course__name", "course_id")
    )
    for enrollment in observer_enrollments:
        entry = by_student.setdefault(
            enrollment.associated_user_id,
            ObservedStudent(student=enrollment.associated_user, linked=False),
        )
        entry.enrollments.append(enrollment)
    return sorted(by_student.values(), key=lambda e: (e.student.sortable_name, e.student.pk))


def observed_student_in_focus(
    observed: list[ObservedStudent], *, wanted: int | None, last: int | None
) -> ObservedStudent | None:
    """The student an observer of several sees on their home page: the one asked for, else the
    one they looked at last, else the first. Only students they observe are ever chosen."""
    by_id = {entry.student.pk: entry for entry in observed}
    for choice in (wanted, last):
        if choice in by_id:
            return by_id[choice]
    return observed[0] if observed else None


@dataclass
class StudentObserver:
    observer: User
    since: datetime
    link: ObserverLink | None  # None: observing in some courses only, added by a teacher or admin


def observers_of(*, student: User) -> list[StudentObserver]:
    """Everyone who observes ``student``, linked or in some courses only, and since when (two
    queries)."""
    found: dict[int, StudentObserver] = {
        link.observer_id: StudentObserver(observer=link.observer, since=link.created_at, link=link)
        for link in ObserverLink.objects.filter(student=student, state=ObserverLinkState.ACTIVE)
        .select_related("observer")
        .order_by("created_at", "id")
    }
    course_only = (
        Enrollment.objects.current()
        .filter(associated_user=student, type=Role.OBSERVER)
        .exclude(user_id__in=found)
        .select_related("user")
        .order_by("created_at", "id")
    )
    for enrollment in course_only:
        found.setdefault(
            enrollment.user_id,
            StudentObserver(observer=enrollment.user, since=enrollment.created_at, link=None),
        )
    return sorted(found.values(), key=lambda entry: (entry.since, entry.observer.pk))


def member_enrollments(
    *, course: Course, user: User, viewer: User, all_observers: bool
) -> QuerySet[Enrollment]:
    """A person's own enrollments in a course, for User Details, as ``viewer`` may see them
    (courses.access.visible_enrollments)."""
    return (
        Enrollment.objects.undeleted()
        .filter(course=course, user=user)
        .filter(visible_enrollments(viewer, all_observers=all_observers))
    )


def course_observers_of(
    *, course: Course, student: User, viewer: User, all_observers: bool
) -> QuerySet[Enrollment]:
    """Who observes ``student`` in ``course``, through a link or a course-only enrollment, as
    ``viewer`` may see them: a student sees their own observers only."""
    return (
        Enrollment.objects.current()
        .filter(
            course=course,
            type=Role.OBSERVER,
            associated_user=student,
        )
        .filter(visible_enrollments(viewer, all_observers=all_observers))
        .select_related("user")
        .order_by("user__sortable_name", "user_id")
    )


def institution_users_matching(*, institution_id: int, query: str) -> QuerySet[User]:
    users = User.objects.filter(institution_id=institution_id)
    if query:
        users = users.filter(
            Q(name__icontains=query) | Q(email__icontains=query) | Q(sis_user_id__iexact=query)
        )
    return users.order_by("sortable_name", "id")


def institution_user_by_login_or_sis_id(*, institution_id: int, reference: str) -> User | None:
    reference = reference.strip()
    if not reference:
        return None
    return (
        User.objects.filter(institution_id=institution_id, is_active=True)
        .filter(Q(email__iexact=reference) | Q(sis_user_id=reference))
        .first()
    )


def linked_students_of(*, observer: User) -> QuerySet[User]:
    """The students ``observer`` observes through an active link, by name (the API's observees)."""
    return User.objects.filter(
        observer_links__observer=observer, observer_links__state=ObserverLinkState.ACTIVE
    ).order_by("sortable_name", "id")


def linked_observers_of(*, student: User) -> QuerySet[User]:
    """Who observes ``student`` through an active link, by name (the API's observers)."""
    return User.objects.filter(
        observee_links__student=student, observee_links__state=ObserverLinkState.ACTIVE
    ).order_by("sortable_name", "id")


def links_of(*, user: User) -> tuple[QuerySet[ObserverLink], QuerySet[ObserverLink]]:
    """(links where the user observes, links where the user is observed), active ones."""
    active = ObserverLink.objects.filter(state=ObserverLinkState.ACTIVE)
    return (
        active.filter(observer=user).select_related("student").order_by("student__sortable_name"),
        active.filter(student=user).select_related("observer").order_by("observer__sortable_name"),
    )
