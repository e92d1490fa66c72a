"""Writes to courses and enrollments, and course self-enrollment (a join code per course)."""

import json
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.audit import audit_record, current_context
from accounts.errors import AccountError, AttemptsPaused
from accounts.models import AuditAction, Institution, User
from accounts.permissions import permissions_for
from accounts.roles import Permission, Role
from accounts.services import sign_up_limited, sign_up_open_to_everyone, user_create
from accounts.throttle import Check, address_rules, limited_attempt
from courses.errors import CourseError
from courses.models import (
    CURRENT_ENROLLMENT_STATES,
    Course,
    CourseState,
    Enrollment,
    EnrollmentState,
)
from pairing_portal.sql import one_of


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


def course_update(*, course: Course, name: str, course_code: str, state: CourseState) -> bool:
    """Bring a course's names and state up to date (an SIS import); returns whether anything changed."""
    wanted = {"name": name.strip(), "course_code": course_code.strip(), "state": state}
    changed = [field for field, value in wanted.items() if getattr(course, field) != value]
    for field in changed:
        setattr(course, field, wanted[field])
    if changed:
        course.save(update_fields=changed)
    return bool(changed)


@dataclass(frozen=True)
class CourseWanted:
    """A course as a roster file gives it, matched by SIS id within the institution."""

    sis_course_id: str
    name: str
    course_code: str
    state: CourseState


def courses_upsert_many(
    *, institution: Institution, rows: Sequence[CourseWanted]
) -> list[bool | CourseError]:
    """Make the courses of ``rows`` not yet at the institution and bring the others up to date,
    as if each row were applied in turn (the set-wise form of course_create and course_update);
    returns for each row whether it changed anything, or why it was refused. One INSERT and one
    UPDATE per run of rows in which no SIS id repeats. Runs inside the caller's transaction."""
    outcomes: list[bool | CourseError | None] = [None] * len(rows)
    for run in _course_runs(rows):
        try:
            with transaction.atomic():
                _courses_upsert_run(institution, rows, run, outcomes)
        except IntegrityError:
            # Someone else made one of these courses meanwhile: each row alone says what it did.
            for index in run:
                outcomes[index] = _course_upsert_one(institution, rows[index])
    return outcomes  # type: ignore[return-value]


def _course_runs(rows: Sequence[CourseWanted]) -> Iterator[list[int]]:
    run: list[int] = []
    seen: set[str] = set()
    for index, row in enumerate(rows):
        if row.sis_course_id in seen:
            yield run
            run, seen = [], set()
        run.append(index)
        seen.add(row.sis_course_id)
    if run:
        yield run


def _course_fields(row: CourseWanted) -> dict[str, str]:
    fields = {"name": row.name.strip(), "course_code": row.course_code.strip(), "state": row.state}
    if any(len(fields[name]) > 255 for name in ("name", "course_code")):
        raise CourseError(CourseError.TOO_LONG)
    return fields


def _courses_upsert_run(institution, rows, run, outcomes) -> None:
    wanted = {}
    for index in run:
        try:
            wanted[index] = _course_fields(rows[index])
        except CourseError as error:
            outcomes[index] = error
    known = {
        course.sis_course_id: course
        for course in Course.objects.filter(
            institution=institution, sis_course_id__in=one_of(rows[i].sis_course_id for i in wanted)
        )
        .order_by()
        .only("sis_course_id", "name", "course_code", "state")
    }
    creates, updates = [], []
    for index, fields in wanted.items():
        course = known.get(rows[index].sis_course_id)
        if course is None:
            creates.append(index)
        elif any(getattr(course, name) != value for name, value in fields.items()):
            updates.append((index, course))
        else:
            outcomes[index] = False
    table = Course._meta.db_table
    with connection.cursor() as cursor:
        if creates:
            cursor.execute(
                f"""
                INSERT INTO {table} (institution_id, name, course_code, sis_course_id, state,
                    created_at)
                SELECT %s, new.name, new.course_code, new.sis_course_id, new.state, %s
                FROM json_to_recordset(%s::json)
                    AS new(name text, course_code text, sis_course_id text, state text)
                """,  # noqa: S608 - the table name is ours; every value is a parameter
                [
                    institution.pk,
                    timezone.now(),
                    json.dumps(
                        [
                            {**wanted[i], "sis_course_id": rows[i].sis_course_id.strip()}
                            for i in creates
                        ]
                    ),
                ],
            )
        if updates:
            cursor.execute(
                f"""
                UPDATE {table} AS course SET name = new.name, course_code = new.course_code,
                    state = new.state
                FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[])
                    AS new(id, name, course_code, state)
                WHERE course.id = new.id
                """,  # noqa: S608 - the table name is ours; every value is a parameter
                [
                    [course.pk for _index, course in updates],
                    *(
                        [wanted[index][name] for index, _course in updates]
                        for name in ("name", "course_code", "state")
                    ),
                ],
            )
    for index in creates + [index for index, _course in updates]:
        outcomes[index] = True


def _course_upsert_one(institution: Institution, row: CourseWanted) -> bool | CourseError:
    try:
        fields = _course_fields(row)
    except CourseError as error:
        return error
    course = Course.objects.filter(institution=institution, sis_course_id=row.sis_course_id).first()
    if course is None:
        course_create(institution=institution, sis_course_id=row.sis_course_id, **fields)
        return True
    return course_update(course=course, **fields)


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


def observer_enrollments_fan_out_sql(pairs: str) -> str:
    """The one statement that gives observers their Observer enrollments, for the
    (observer_id, student_id) rows of ``pairs``: a FROM item named ``pair`` (an ``unnest`` of
    arrays, or a relation of a larger statement such as the redemption's). Named parameters:
    %(institution_id)s and %(now)s, with ``FAN_OUT_PARAMETERS``.

    Every course of the institution where the student is actively or invitedly enrolled; existing
    rows are restored rather than duplicated (Canvas turns "invited" into "active" for the
    observer).
    """
    table, course_table = Enrollment._meta.db_table, Course._meta.db_table
    return f"""
        INSERT INTO {table} (user_id, course_id, type, state, associated_user_id, created_at, updated_at)
        SELECT pair.observer_id, student.course_id, %(fan_out_observer)s, %(fan_out_active)s,
            pair.student_id, %(now)s::timestamptz, %(now)s::timestamptz
        FROM {pairs}
        CROSS JOIN LATERAL (
            -- The student's enrollments by index, pair by pair, and each one's course by its
            -- key (a subquery, never a join the planner could turn around to read every course
            -- of the institution for each pair): a district's first import fills these tables
            -- faster than PostgreSQL's statistics follow them.
            SELECT student.course_id FROM {table} student
            WHERE student.user_id = pair.student_id
                AND student.type = %(fan_out_student)s AND student.state = ANY(%(fan_out_current)s::text[])
                AND (SELECT course.institution_id FROM {course_table} course
                    WHERE course.id = student.course_id) = %(institution_id)s::bigint
            OFFSET 0
        ) AS student
        ON CONFLICT ON CONSTRAINT enrollment_unique
        DO UPDATE SET state = EXCLUDED.state, updated_at = EXCLUDED.updated_at
        WHERE {table}.state <> EXCLUDED.state
    """  # noqa: S608 - table names are ours; every value is a parameter


FAN_OUT_PARAMETERS = {
    "fan_out_observer": Role.OBSERVER.value,
    "fan_out_active": EnrollmentState.ACTIVE.value,
    "fan_out_student": Role.STUDENT.value,
    "fan_out_current": [state.value for state in CURRENT_ENROLLMENT_STATES],
}


def observer_enrollments_fan_out(*, institution_id: int, pairs: list[tuple[int, int]], now) -> None:
    """Give each (observer, student) pair an active Observer enrollment in every course of the
    institution where the student is actively or invitedly enrolled, in one statement
    (``observer_enrollments_fan_out_sql``). Used when links are made, one or ten thousand at a
    time.
    """
    if not pairs:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            observer_enrollments_fan_out_sql(
                "unnest(%(observers)s::bigint[], %(students)s::bigint[])"
                " AS pair(observer_id, student_id)"
            ),
            {
                **FAN_OUT_PARAMETERS,
                "institution_id": institution_id,
                "now": now,
                "observers": [observer for observer, _student in pairs],
                "students": [student for _observer, student in pairs],
            },
        )


def observer_enrollments_remove(*, institution_id: int, pairs: list[tuple[int, int]], now) -> None:
    """Delete every Observer enrollment of each observer for that student in the institution's
    courses, course-only ones included (the observer stopped observing the student)."""
    if not pairs:
        return
    table, course_table = Enrollment._meta.db_table, Course._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table} AS enrollment SET state = %s, updated_at = %s
            FROM unnest(%s::bigint[], %s::bigint[]) AS pair(observer_id, student_id), {course_table} course
            WHERE enrollment.user_id = pair.observer_id
              AND enrollment.associated_user_id = pair.student_id
              AND enrollment.type = %s
              AND enrollment.state <> %s
              AND course.id = enrollment.course_id AND course.institution_id = %s
            """,  # noqa: S608 - table names are ours; every value is a parameter
            [
                EnrollmentState.DELETED,
                now,
                [observer for observer, _student in pairs],
                [student for _observer, student in pairs],
                Role.OBSERVER,
                EnrollmentState.DELETED,
                institution_id,
            ],
        )


# --- Course self-enrollment (Canvas's join code) --------------------------------------------------

# Canvas's join codes: six capitals and digits, without the look-alikes 0, O, 1 and I.
JOIN_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 6


def course_self_enrollment_refusal(*, course: Course, by: User) -> str | None:
    """Why ``by`` may not switch the course's self-enrollment, or None: those with course admin
    actions there (its teachers, the institution's admins), while the course is open."""
    if Permission.ALLOW_COURSE_ADMIN_ACTIONS not in permissions_for(by, course=course):
        return CourseError.NOT_ALLOWED_TO_CHANGE
    if course.is_read_only:
        return CourseError.COURSE_CLOSED
    return None


@transaction.atomic
def course_self_enrollment_set(*, course: Course, enabled: bool, by: User) -> Course:
    """Let students join the course with its join code (a new one each time it is switched on),
    or stop it. Students sign up with the code while the institution allows "All account types"."""
    refusal = course_self_enrollment_refusal(course=course, by=by)
    if refusal is not None:
        raise CourseError(refusal)
    course = Course.objects.select_for_update().get(pk=course.pk)
    if enabled == (course.self_enrollment_code is not None):
        return course
    while enabled:
        code = "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))
        if not Course.objects.filter(self_enrollment_code=code).exists():
            break
    course.self_enrollment_code = code if enabled else None
    course.save(update_fields=["self_enrollment_code"])
    audit_record(
        action=AuditAction.SELF_ENROLLMENT_CHANGED,
        institution=course.institution_id,
        actor=by,
        details={"course": course.pk, "enabled": enabled},
    )
    return course


def _course_for_join_code(*, institution: Institution, join_code: str) -> Course | None:
    code = join_code.strip().upper()
    if not code:
        return None
    return (
        Course.objects.filter(institution=institution, self_enrollment_code=code)
        .exclude(state__in=(CourseState.COMPLETED, CourseState.DELETED))
        .first()
    )


def _wrong_join_codes(error: Exception | None) -> bool:
    return isinstance(error, CourseError) and error.message == CourseError.INVALID_JOIN_CODE


def student_sign_up(
    *, institution: Institution | None, name: str, email: str, password: str, join_code: str
) -> tuple[User, Course]:
    """A student makes their own account and joins the course whose join code they have, in one
    transaction or not at all, while the institution allows "All account types".

    The code is checked first (without a real one, nobody learns whether an e-mail has an
    account); wrong codes count against the client's address and network like wrong pairing
    codes. The new student has no observers yet, so the enrollment needs no observer's."""
    if not sign_up_open_to_everyone(institution):
        raise AccountError(AccountError.SIGN_UP_CLOSED)
    join_codes = limited_attempt(
        Check(
            rules=tuple(
                address_rules(
                    "join",
                    current_context().client_address,
                    per_address="PAIRING_FAILURES_PER_ADDRESS_PER_DAY",
                    per_network="PAIRING_FAILURES_PER_NETWORK_PER_DAY",
                )
            )
        ),
        refused=lambda until: AttemptsPaused(AttemptsPaused.JOIN_CODES, until=until),
        counts=_wrong_join_codes,
    )
    with sign_up_limited(), join_codes:
        course = _course_for_join_code(institution=institution, join_code=join_code)
        if course is None:
            raise CourseError(CourseError.INVALID_JOIN_CODE)
        with transaction.atomic():
            student = user_create(
                institution=institution, email=email, name=name, password=password
            )
            enrollment_row_upsert(course=course, user=student, type=Role.STUDENT)
            audit_record(
                action=AuditAction.SIGNED_UP,
                institution=institution,
                actor=student,
                subject=student,
                details={"as": "student"},
            )
            audit_record(
                action=AuditAction.SELF_ENROLLED,
                institution=institution,
                actor=student,
                subject=student,
                details={"course": course.pk},
            )
    return student, course
