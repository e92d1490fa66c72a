"""enrollments.csv: who is in which course in which role; an observer row may name its student."""

from django.db import transaction
from django.utils.translation import gettext

from accounts.roles import COURSE_ROLES_BY_NAME, Role
from courses.errors import CourseError
from courses.models import CURRENT_ENROLLMENT_STATES, Enrollment, EnrollmentState
from courses.services import enrollment_row_upsert
from pairing.errors import PairingError
from pairing.services import course_observer_add, enrollment_upsert
from rostering.appliers.base import (
    CHANGED,
    UNCHANGED,
    ImportRun,
    courses_by_sis_id,
    users_by_sis_id,
)
from rostering.sis_csv import SisFile

ENROLLMENT_STATUSES = {
    "active": EnrollmentState.ACTIVE,
    "invited": EnrollmentState.INVITED,
    "inactive": EnrollmentState.INACTIVE,
    "completed": EnrollmentState.COMPLETED,
    "deleted": EnrollmentState.DELETED,
}


def apply_enrollments(run: ImportRun, sis_file: SisFile) -> None:
    run.start(sis_file)
    rows = run.good_rows(sis_file)
    courses = courses_by_sis_id(run.institution, (r.values.get("course_id") for r in rows))
    users = users_by_sis_id(
        run.institution,
        [r.values.get("user_id") for r in rows]
        + [r.values.get("associated_user_id") for r in rows],
    )
    run.apply_each(sis_file, rows, lambda values: _apply_enrollment(values, courses, users))


def _apply_enrollment(values: dict[str, str], courses, users) -> str:
    """CHANGED, UNCHANGED, or why the row was skipped."""
    course_id, user_id = values.get("course_id", ""), values.get("user_id", "")
    if not course_id:
        return gettext("No course_id given for an enrollment")
    if not user_id:
        return gettext("No user_id given for an enrollment")
    role = COURSE_ROLES_BY_NAME.get((values.get("role") or "").lower())
    if role is None:
        return gettext('Improper role "%(role)s" for an enrollment') % {"role": values.get("role")}
    state = ENROLLMENT_STATUSES.get((values.get("status") or "").lower())
    if state is None:
        return gettext('Improper status "%(status)s" for an enrollment') % {
            "status": values.get("status")
        }
    course, user = courses.get(course_id), users.get(user_id)
    if course is None:
        return gettext("An enrollment referenced a non-existent course %(course)s") % {
            "course": course_id
        }
    if user is None:
        return gettext("An enrollment referenced a non-existent user %(user)s") % {"user": user_id}
    student = None
    associated_id = values.get("associated_user_id", "") if role == Role.OBSERVER else ""
    if associated_id:
        student = users.get(associated_id)
        if student is None:
            return gettext("An observer enrollment referenced a non-existent user %(user)s") % {
                "user": associated_id
            }
        if student.pk == user.pk:
            return gettext("Can't observe yourself user %(user)s") % {"user": user_id}
    previous = (
        Enrollment.objects.filter(course=course, user=user, type=role, associated_user=student)
        .values_list("state", flat=True)
        .first()
    )
    if previous == state:
        return UNCHANGED
    try:
        with transaction.atomic():
            if student is not None and state in CURRENT_ENROLLMENT_STATES:
                # A course-only link, under the same rules as a teacher's on the People page.
                course_observer_add(
                    course=course, observer=user, student=student, by=None, state=state
                )
            elif student is not None:
                enrollment_row_upsert(
                    course=course, user=user, type=role, state=state, associated_user=student
                )
            else:
                enrollment_upsert(course=course, user=user, type=role, state=state)
    except (PairingError, CourseError) as error:
        return gettext("Enrollment of user %(user)s in course %(course)s: %(problem)s") % {
            "user": user_id,
            "course": course_id,
            "problem": error.translated,
        }
    return CHANGED
