"""courses.csv: courses, matched by SIS id, made or brought up to date."""

from django.db import transaction
from django.utils.translation import gettext

from courses.models import Course, CourseState
from courses.services import course_create, course_update
from rostering.appliers.base import CHANGED, UNCHANGED, ImportRun, courses_by_sis_id
from rostering.sis_csv import SisFile

COURSE_STATUSES = {
    "active": CourseState.AVAILABLE,
    "unpublished": CourseState.UNPUBLISHED,
    "completed": CourseState.COMPLETED,
    "deleted": CourseState.DELETED,
}


def apply_courses(run: ImportRun, sis_file: SisFile) -> None:
    run.start(sis_file)
    rows = run.good_rows(sis_file)
    known = courses_by_sis_id(run.institution, (r.values.get("course_id") for r in rows))
    run.apply_each(
        sis_file, rows, lambda values: _apply_course(run, values, known), report_every=None
    )


def _apply_course(run: ImportRun, values: dict[str, str], known: dict[str, Course]) -> str:
    """CHANGED, UNCHANGED, or why the row was skipped."""
    sis_id = values.get("course_id", "")
    status = (values.get("status") or "active").lower()
    course = {"course": sis_id}
    if not sis_id:
        return gettext("No course_id given for a course")
    if not values.get("short_name"):
        return gettext("No short_name given for course %(course)s") % course
    if not values.get("long_name"):
        return gettext("No long_name given for course %(course)s") % course
    if status not in COURSE_STATUSES:
        return gettext('Improper status "%(status)s" for course %(course)s') % {
            "status": values.get("status"),
            "course": sis_id,
        }
    if sis_id not in known:
        with transaction.atomic():
            known[sis_id] = course_create(
                institution=run.institution,
                name=values["long_name"],
                course_code=values["short_name"],
                sis_course_id=sis_id,
                state=COURSE_STATUSES[status],
            )
        return CHANGED
    changed = course_update(
        course=known[sis_id],
        name=values["long_name"],
        course_code=values["short_name"],
        state=COURSE_STATUSES[status],
    )
    return CHANGED if changed else UNCHANGED
