"""enrollments.csv: who is in which course in which role; an observer row may name its student.
Applied a chunk at a time through pairing.services.enrollments_upsert_many."""

from django.db import connection
from django.utils.translation import gettext

from accounts.errors import DomainError
from accounts.models import User
from accounts.roles import COURSE_ROLES_BY_NAME, Role
from courses.models import Enrollment, EnrollmentState
from pairing.services import EnrollmentWanted, enrollments_upsert_many
from pairing_portal.sql import one_of
from rostering.appliers.base import ImportRun, courses_by_sis_id
from rostering.models import RosterRecordKind
from rostering.provenance import Noted, record_key
from rostering.rows import ENROLLMENTS, BadRow, Row

ENROLLMENT_STATUSES = {
    "active": EnrollmentState.ACTIVE,
    "invited": EnrollmentState.INVITED,
    "inactive": EnrollmentState.INACTIVE,
    "completed": EnrollmentState.COMPLETED,
    "deleted": EnrollmentState.DELETED,
}


def apply_enrollments(run: ImportRun, name: str, rows: list[Row | BadRow]) -> None:
    run.file(name, ENROLLMENTS, len(rows))
    good = run.good_rows(name, rows)
    courses = courses_by_sis_id(run.institution, (r.values.get("course_id") for r in good))
    # Enrollments name only active people (Canvas: active logins), by SIS id.
    users = dict(
        User.objects.filter(
            institution=run.institution,
            is_active=True,
            sis_user_id__in=one_of(
                {
                    sis_id
                    for r in good
                    for sis_id in (r.values.get("user_id"), r.values.get("associated_user_id"))
                    if sis_id
                }
            ),
        )
        .order_by()
        .values_list("sis_user_id", "pk")
    )
    wanted: list[tuple[Row, EnrollmentWanted]] = []
    for row in good:
        enrollment = _wanted(row.values, courses, users)
        if isinstance(enrollment, str):
            run.skip(name, row.number, enrollment)
        else:
            wanted.append((row, enrollment))
    live = _live(wanted) if run.source is not None else set()
    outcomes = enrollments_upsert_many(
        institution_id=run.institution.pk, rows=[e for _row, e in wanted], by=None
    )
    noted = []
    for (row, enrollment), outcome in zip(wanted, outcomes, strict=True):
        if isinstance(outcome, DomainError):
            outcome = gettext("Enrollment of user %(user)s in course %(course)s: %(problem)s") % {
                "user": row.values["user_id"],
                "course": row.values["course_id"],
                "problem": outcome.translated,
            }
        elif enrollment.state != EnrollmentState.DELETED:
            key = record_key(row.values["course_id"], row.values["user_id"], row.values["role"])
            noted.append(Noted(key=key, made=outcome is True and enrollment.key not in live))
        run.count_outcome(name, row.number, outcome)
    run.note(RosterRecordKind.ENROLLMENT, noted)


def _live(wanted: list[tuple[Row, EnrollmentWanted]]) -> set[tuple]:
    """The keys (EnrollmentWanted.key) of the rows' enrollments that exist undeleted already: a
    row that brings one about made it (rostering.provenance). Looked up pair by pair, by index."""
    pairs = sorted({(e.course.pk, e.user_id) for _row, e in wanted})
    if not pairs:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT held.course_id, held.user_id, held.type, held.associated_user_id
            FROM unnest(%s::bigint[], %s::bigint[]) AS pair(course_id, user_id)
            JOIN {Enrollment._meta.db_table} held
                ON held.course_id = pair.course_id AND held.user_id = pair.user_id
            WHERE held.state <> %s
            """,  # noqa: S608 - the table name is ours; every value is a parameter
            [
                [course for course, _user in pairs],
                [user for _course, user in pairs],
                EnrollmentState.DELETED,
            ],
        )
        return set(cursor.fetchall())


def _wanted(values: dict[str, str], courses, users: dict[str, int]) -> EnrollmentWanted | str:
    """The enrollment the row asks for, or why the row is skipped."""
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
        if student == user:
            return gettext("Can't observe yourself user %(user)s") % {"user": user_id}
    return EnrollmentWanted(
        course=course, user_id=user, type=role, state=state, associated_user_id=student
    )
