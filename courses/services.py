"""Writes to courses and enrollments."""

from django.db import transaction
from django.utils import timezone

from accounts.models import Institution, User
from accounts.roles import Role
from courses.errors import CourseError
from courses.models import Course, CourseState, Enrollment, EnrollmentState


def course_create(
    *,
    institution: Institution,
    name: str,
    course_code: str,
    sis_course_id: str | None = None,
    state: CourseState = CourseState.UNPUBLISHED,
) -> Course:
    return Course.objects.create(
        institution=institution,
        name=name.strip(),
        course_code=course_code.strip(),
        sis_course_id=(sis_course_id or "").strip() or None,
        state=state,
    )


@transaction.atomic
def enrollment_row_upsert(
    *,
    course: Course,
    user: User,
    type: Role,
    state: EnrollmentState = EnrollmentState.ACTIVE,
    associated_user: User | None = None,
) -> Enrollment:
    """Write one enrollment row: enroll ``user``, or bring their existing row of that kind to ``state``.

    It does not touch observers. Enroll students through ``pairing.services.enrollment_upsert``,
    which also gives linked observers their enrollments.

    Canvas keeps one row per user, course, role and observed student, and restores it rather than
    adding another; the database's unique constraint holds that, this function reuses the row.
    """
    if user.institution_id != course.institution_id:
        raise CourseError(CourseError.OTHER_INSTITUTION)
    if associated_user is not None and associated_user.institution_id != course.institution_id:
        raise CourseError(CourseError.OTHER_INSTITUTION)
    enrollment, created = Enrollment.objects.select_for_update().get_or_create(
        course=course,
        user=user,
        type=type,
        associated_user=associated_user,
        defaults={"state": state},
    )
    if not created and enrollment.state != state:
        enrollment.state = state
        enrollment.updated_at = timezone.now()
        enrollment.save(update_fields=["state", "updated_at"])
    return enrollment
