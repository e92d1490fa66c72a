"""Enrolling students (linked observers follow) and course-only observers (People page, API)."""

from django.db import transaction

from accounts.models import User
from accounts.permissions import user_has_permission
from accounts.roles import Permission, Role
from courses.models import CURRENT_ENROLLMENT_STATES, Course, Enrollment, EnrollmentState
from courses.services import (
    enrollment_row_upsert,
)
from pairing.errors import PairingError
from pairing.models import (
    ObserverLink,
    ObserverLinkState,
)
from pairing.services.locks import students_lock


@transaction.atomic
def enrollment_upsert(
    *,
    course: Course,
    user: User,
    type: Role,
    state: EnrollmentState = EnrollmentState.ACTIVE,
    associated_user: User | None = None,
) -> Enrollment:
    """Enroll someone in a course, or change their enrollment's state. Linked observers follow.

    As in Canvas: a new or restored student enrollment gives each linked observer an active
    Observer enrollment there; a later change of state is mirrored onto them. An observer removed
    from the course by hand stays removed unless the student's own enrollment is being restored
    (from inactive, completed or deleted) or made anew. Writing the same state again changes nothing.
    """
    if type == Role.STUDENT:
        students_lock(student_ids=[user.pk])  # a link being made now sees this enrollment
    previous = (
        Enrollment.objects.select_for_update()
        .filter(course=course, user=user, type=type, associated_user=associated_user)
        .values_list("state", flat=True)
        .first()
    )
    enrollment = enrollment_row_upsert(
        course=course, user=user, type=type, state=state, associated_user=associated_user
    )
    if type != Role.STUDENT or previous == state:
        return enrollment
    current = state in CURRENT_ENROLLMENT_STATES
    restoring = current and (previous is None or previous not in CURRENT_ENROLLMENT_STATES)
    observer_state = EnrollmentState.ACTIVE if current else EnrollmentState(state)
    links = ObserverLink.objects.filter(
        student=user, institution_id=course.institution_id, state=ObserverLinkState.ACTIVE
    ).select_related("observer")
    observer_rows = {
        row.user_id: row.state
        for row in Enrollment.objects.filter(
            course=course, type=Role.OBSERVER, associated_user=user
        ).only("user_id", "state")
    }
    for link in links:
        removed_by_hand = observer_rows.get(link.observer_id) in (
            EnrollmentState.DELETED,
            EnrollmentState.INACTIVE,
        )
        if current and removed_by_hand and not restoring:
            continue
        enrollment_row_upsert(
            course=course,
            user=link.observer,
            type=Role.OBSERVER,
            associated_user=user,
            state=observer_state,
        )
    return enrollment


# --- Course-only observers (People page, API) -----------------------------------------------------


@transaction.atomic
def course_observer_add(
    *,
    course: Course,
    observer: User,
    student: User,
    by: User | None,
    state: EnrollmentState = EnrollmentState.ACTIVE,
) -> Enrollment:
    """Let ``observer`` observe ``student`` in this one course, without an institution-wide link.

    ``by=None`` is a SIS import or command run by an operator, bound by every rule but the
    permission.
    """
    if by is not None and not user_has_permission(
        by, Permission.ADD_OBSERVER_TO_COURSE, course=course
    ):
        raise PairingError(PairingError.NOT_ALLOWED_TO_LINK)
    if observer.pk == student.pk:
        raise PairingError(PairingError.CANNOT_OBSERVE_SELF)
    if observer.institution_id != course.institution_id:
        raise PairingError(PairingError.OTHER_INSTITUTION)
    enrolled = Enrollment.objects.current().filter(course=course, user=student)
    if not enrolled.filter(type=Role.STUDENT).exists():
        raise PairingError(PairingError.STUDENT_NOT_IN_COURSE)
    if enrolled.filter(type=Role.OBSERVER, associated_user=observer).exists():
        raise PairingError(PairingError.OBSERVING_EACH_OTHER)
    if state not in CURRENT_ENROLLMENT_STATES:
        raise ValueError(
            "course_observer_add gives a current enrollment; end one with course_observer_remove"
        )
    return enrollment_row_upsert(
        course=course, user=observer, type=Role.OBSERVER, associated_user=student, state=state
    )


@transaction.atomic
def course_observer_remove(
    *, enrollment: Enrollment, by: User, state: EnrollmentState = EnrollmentState.DELETED
) -> Enrollment:
    """End an observer's enrollment in one course (deleted, or inactive or completed on request)."""
    if not user_has_permission(
        by, Permission.REMOVE_OBSERVER_FROM_COURSE, course=enrollment.course
    ):
        raise PairingError(PairingError.NOT_ALLOWED_TO_UNLINK)
    if enrollment.type != Role.OBSERVER:
        raise PairingError(PairingError.NOT_AN_OBSERVER_ENROLLMENT)
    return enrollment_row_upsert(
        course=enrollment.course,
        user=enrollment.user,
        type=Role.OBSERVER,
        associated_user=enrollment.associated_user,
        state=state,
    )
