"""courses.csv: courses, matched by SIS id, made or brought up to date a chunk at a time through
courses.services.courses_upsert_many."""

from django.utils.translation import gettext

from courses.errors import CourseError
from courses.models import CourseState
from courses.services import CourseWanted, courses_upsert_many
from rostering.appliers.base import ImportRun
from rostering.models import RosterRecordKind
from rostering.provenance import Noted
from rostering.rows import COURSES, BadRow, Row

COURSE_STATUSES = {
    "active": CourseState.AVAILABLE,
    "unpublished": CourseState.UNPUBLISHED,
    "completed": CourseState.COMPLETED,
    "deleted": CourseState.DELETED,
}


def apply_courses(run: ImportRun, name: str, rows: list[Row | BadRow]) -> None:
    run.file(name, COURSES, len(rows))
    wanted: list[tuple[Row, CourseWanted]] = []
    for row in run.good_rows(name, rows):
        course = _wanted(row.values)
        if isinstance(course, str):
            run.skip(name, row.number, course)
        else:
            wanted.append((row, course))
    outcomes = courses_upsert_many(
        institution=run.institution, rows=[course for _row, course in wanted]
    )
    noted = []
    for (row, course), outcome in zip(wanted, outcomes, strict=True):
        if isinstance(outcome, CourseError):
            outcome = gettext("Course %(course)s: %(problem)s") % {
                "course": course.sis_course_id,
                "problem": outcome.translated,
            }
        else:  # a roster source's record of the course's school (courses are never removed)
            noted.append(
                Noted(
                    key=course.sis_course_id,
                    made=False,
                    org_sourced_id=row.values.get("org_id", ""),
                    org_name=row.values.get("org_name", ""),
                )
            )
        run.count_outcome(name, row.number, outcome)
    run.note(RosterRecordKind.COURSE, noted)


def _wanted(values: dict[str, str]) -> CourseWanted | str:
    """The course the row asks for, or why the row is skipped."""
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
    return CourseWanted(
        sis_course_id=sis_id,
        name=values["long_name"],
        course_code=values["short_name"],
        state=COURSE_STATUSES[status],
    )
