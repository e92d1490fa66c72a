"""Enrollments by the thousand (a roster import), under the same rules as one.

``enrollments_upsert_many`` is the set-wise form of what an import did row by row: a course-only
observer (an Observer enrollment naming its student, in a current state) goes through the rules of
``course_observer_add``; any other row is written as ``enrollment_upsert`` writes it, students'
linked observers following them into the course. Rows apply in order: a run of rows that share no
(course, person) is checked in a few queries and written in two statements (the rows, then the
observers who follow); where that cannot come out as applying the rows in turn would, the run is
applied row by row through those functions.
"""

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.errors import DomainError
from accounts.models import User
from accounts.permissions import user_has_permission
from accounts.roles import Permission, Role
from courses.errors import CourseError
from courses.models import CURRENT_ENROLLMENT_STATES, Course, Enrollment, EnrollmentState
from courses.services import enrollment_row_upsert
from pairing.errors import PairingError
from pairing.models import ObserverLink, ObserverLinkState
from pairing.services.enrollments import course_observer_add, enrollment_upsert
from pairing.services.locks import students_lock
from pairing_portal.sql import one_of

# True: the row changed something; False: nothing needed changing; or the error that refused it.
Outcome = bool | DomainError


@dataclass(frozen=True)
class EnrollmentWanted:
    course: Course
    user_id: int
    type: Role
    state: EnrollmentState
    # The observed student, for an Observer enrollment that names one (a course-only observer).
    associated_user_id: int | None = None

    @property
    def key(self) -> tuple:
        return (self.course.pk, self.user_id, self.type, self.associated_user_id)

    @property
    def is_course_observer(self) -> bool:
        return self.associated_user_id is not None and self.state in CURRENT_ENROLLMENT_STATES


def enrollments_upsert_many(
    *, institution_id: int, rows: Sequence[EnrollmentWanted], by: User | None
) -> list[Outcome]:
    """Enroll each row's person, or bring their enrollment of that kind to the row's state, as
    if the rows were applied in turn; returns what became of each. ``by=None`` is an import an
    operator runs: bound by every rule but the permission to add observers. Runs inside the
    caller's transaction."""
    outcomes: list[Outcome | None] = [None] * len(rows)
    homes = dict(
        User.objects.filter(
            pk__in=one_of(
                {p for row in rows for p in (row.user_id, row.associated_user_id) if p}, "bigint"
            )
        )
        .order_by()
        .values_list("pk", "institution_id")
    )
    for index, row in enumerate(rows):
        if row.course.institution_id != institution_id or any(
            homes.get(person) != institution_id
            for person in (row.user_id, row.associated_user_id)
            if person is not None
        ):
            outcomes[index] = (
                PairingError(PairingError.OTHER_INSTITUTION)
                if row.is_course_observer
                else CourseError(CourseError.OTHER_INSTITUTION)
            )
    for run in _runs(rows, outcomes):
        try:
            with transaction.atomic():
                _upsert_run(institution_id, rows, run, outcomes, by=by)
        except IntegrityError:
            for index in run:  # rolled back to the run's start: one by one, in file order
                outcomes[index] = _upsert_one(rows[index], by=by)
    return outcomes  # type: ignore[return-value]


def _runs(rows: Sequence[EnrollmentWanted], outcomes: list) -> Iterator[list[int]]:
    """Consecutive rows (not refused already) that share no (course, person): none of them can
    read what another writes, so each comes out as it would in turn."""
    run: list[int] = []
    seen: set[tuple[int, int]] = set()
    for index, row in enumerate(rows):
        if outcomes[index] is not None:
            continue
        keys = {(row.course.pk, person) for person in (row.user_id, row.associated_user_id)}
        keys.discard((row.course.pk, None))
        if seen & keys:
            yield run
            run, seen = [], set()
        run.append(index)
        seen |= keys
    if run:
        yield run


def _upsert_run(
    institution_id: int,
    rows: Sequence[EnrollmentWanted],
    run: list[int],
    outcomes: list[Outcome | None],
    *,
    by: User | None,
) -> None:
    students = sorted({rows[i].user_id for i in run if rows[i].type == Role.STUDENT})
    if students:
        students_lock(student_ids=students)  # a link being made now sees these enrollments
    # Every enrollment the run's people hold in its courses (the associated students' too).
    held = _enrollments_of(
        {
            (rows[i].course.pk, person)
            for i in run
            for person in (rows[i].user_id, rows[i].associated_user_id)
            if person is not None
        }
    )
    previous = {
        (course, user, kind, associated): state for course, user, kind, associated, state in held
    }
    writes = []
    for index in run:
        if previous.get(rows[index].key) == rows[index].state:
            outcomes[index] = False
        else:
            writes.append(index)
    writes = _course_observer_rules(rows, writes, held, outcomes, by=by)
    if not writes:
        return
    now = timezone.now()
    _write(rows, writes, now)
    _students_observers_follow(institution_id, rows, writes, previous, now)
    for index in writes:
        outcomes[index] = True


def _enrollments_of(pairs: set[tuple[int, int]]) -> list[tuple]:
    """(course, user, type, associated user, state) of every enrollment of each (course, user).

    Looked up pair by pair, by index: a district's first import fills the tables faster than
    PostgreSQL's statistics follow, and a plan chosen on stale ones could read whole courses."""
    if not pairs:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT held.course_id, held.user_id, held.type, held.associated_user_id, held.state
            FROM unnest(%s::bigint[], %s::bigint[]) AS pair(course_id, user_id)
            CROSS JOIN LATERAL (
                SELECT * FROM {Enrollment._meta.db_table} enrollment
                WHERE enrollment.user_id = pair.user_id AND enrollment.course_id = pair.course_id
                OFFSET 0
            ) AS held
            """,  # noqa: S608 - the table name is ours; every value is a parameter
            [[course for course, _user in pairs], [user for _course, user in pairs]],
        )
        return cursor.fetchall()


def _course_observer_rules(
    rows: Sequence[EnrollmentWanted],
    writes: list[int],
    held: list[tuple],
    outcomes: list,
    *,
    by: User | None,
) -> list[int]:
    """The rows of ``writes`` that may be written: course-only observers as course_observer_add
    allows them (the permission, the student enrolled in the course, nobody observing each
    other); every other row. ``held`` holds the enrollments of the rows' people."""
    asked = [i for i in writes if rows[i].is_course_observer]
    if not asked:
        return writes
    current = [row for row in held if row[4] in CURRENT_ENROLLMENT_STATES]
    enrolled = {(course, user) for course, user, kind, _a, _s in current if kind == Role.STUDENT}
    observing = {
        (course, user, associated)
        for course, user, kind, associated, _state in current
        if kind == Role.OBSERVER
    }
    permitted: dict[int, bool] = {}
    refused = set()
    for index in asked:
        row = rows[index]
        course, student = row.course, row.associated_user_id
        if by is not None and course.pk not in permitted:
            permitted[course.pk] = user_has_permission(
                by, Permission.ADD_OBSERVER_TO_COURSE, course=course
            )
        if by is not None and not permitted[course.pk]:
            refusal = PairingError.NOT_ALLOWED_TO_LINK
        elif row.user_id == student:
            refusal = PairingError.CANNOT_OBSERVE_SELF
        elif (course.pk, student) not in enrolled:
            refusal = PairingError.STUDENT_NOT_IN_COURSE
        elif (course.pk, student, row.user_id) in observing:
            refusal = PairingError.OBSERVING_EACH_OTHER
        else:
            continue
        outcomes[index] = PairingError(refusal)
        refused.add(index)
    return [index for index in writes if index not in refused]


def _write(rows: Sequence[EnrollmentWanted], writes: list[int], now) -> None:
    table = Enrollment._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (user_id, course_id, type, state, associated_user_id, created_at,
                updated_at)
            SELECT row.user_id, row.course_id, row.type, row.state, row.associated_user_id, %s, %s
            FROM json_to_recordset(%s::json) AS row(user_id bigint, course_id bigint, type text,
                state text, associated_user_id bigint)
            ON CONFLICT ON CONSTRAINT enrollment_unique
            DO UPDATE SET state = EXCLUDED.state, updated_at = EXCLUDED.updated_at
            WHERE {table}.state <> EXCLUDED.state
            """,  # noqa: S608 - the table name is ours; every value is a parameter
            [
                now,
                now,
                json.dumps(
                    [
                        {
                            "user_id": rows[i].user_id,
                            "course_id": rows[i].course.pk,
                            "type": rows[i].type,
                            "state": rows[i].state,
                            "associated_user_id": rows[i].associated_user_id,
                        }
                        for i in writes
                    ]
                ),
            ],
        )


def _students_observers_follow(
    institution_id: int, rows: Sequence[EnrollmentWanted], writes: list[int], previous, now
) -> None:
    """What enrollment_upsert does for each student whose enrollment changed, in one statement:
    each linked observer gets an Observer enrollment in that state (active while the student's
    is current), except one removed from the course by hand while the student stays enrolled (a
    new or restored student enrollment brings them back)."""
    students = [i for i in writes if rows[i].type == Role.STUDENT]
    if not students:
        return
    observer_states, keep_removed = [], []
    for index in students:
        row = rows[index]
        before = previous.get(row.key)
        current = row.state in CURRENT_ENROLLMENT_STATES
        restoring = current and (before is None or before not in CURRENT_ENROLLMENT_STATES)
        observer_states.append(str(EnrollmentState.ACTIVE if current else row.state))
        keep_removed.append(current and not restoring)
    table, links = Enrollment._meta.db_table, ObserverLink._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (user_id, course_id, type, state, associated_user_id, created_at,
                updated_at)
            SELECT link.observer_id, student.course_id, %s, student.observer_state,
                student.user_id, %s, %s
            FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::boolean[])
                AS student(course_id, user_id, observer_state, keep_removed)
            CROSS JOIN LATERAL (
                SELECT link.observer_id FROM {links} link
                WHERE link.student_id = student.user_id AND link.institution_id = %s
                    AND link.state = %s
                OFFSET 0
            ) AS link
            LEFT JOIN LATERAL (
                SELECT observer.state FROM {table} observer
                WHERE observer.course_id = student.course_id AND observer.user_id = link.observer_id
                    AND observer.type = %s AND observer.associated_user_id = student.user_id
                OFFSET 0
            ) AS observer ON true
            -- (Each lookup above by index, pair by pair, whatever the statistics say.)
            WHERE NOT (student.keep_removed AND COALESCE(observer.state = ANY(%s), false))
            ON CONFLICT ON CONSTRAINT enrollment_unique
            DO UPDATE SET state = EXCLUDED.state, updated_at = EXCLUDED.updated_at
            WHERE {table}.state <> EXCLUDED.state
            """,  # noqa: S608 - table names are ours; every value is a parameter
            [
                Role.OBSERVER,
                now,
                now,
                [rows[i].course.pk for i in students],
                [rows[i].user_id for i in students],
                observer_states,
                keep_removed,
                institution_id,
                ObserverLinkState.ACTIVE,
                Role.OBSERVER,
                [EnrollmentState.DELETED, EnrollmentState.INACTIVE],
            ],
        )


def _upsert_one(row: EnrollmentWanted, *, by: User | None) -> Outcome:
    """One row alone, through the one-row services, in a savepoint of its own."""
    user = User.objects.get(pk=row.user_id)
    student = User.objects.get(pk=row.associated_user_id) if row.associated_user_id else None
    previous = (
        Enrollment.objects.filter(
            course=row.course, user=user, type=row.type, associated_user=student
        )
        .values_list("state", flat=True)
        .first()
    )
    if previous == row.state:
        return False
    try:
        with transaction.atomic():
            if row.is_course_observer:
                course_observer_add(
                    course=row.course, observer=user, student=student, by=by, state=row.state
                )
            elif student is not None:
                enrollment_row_upsert(
                    course=row.course,
                    user=user,
                    type=row.type,
                    state=row.state,
                    associated_user=student,
                )
            else:
                enrollment_upsert(course=row.course, user=user, type=row.type, state=row.state)
    except (PairingError, CourseError) as error:
        return error
    return True
