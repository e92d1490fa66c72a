"""Pairing codes: who may make, see and revoke them, and making them (one or a course's worth).

Making codes is limited (settings ``PAIRING_CODES_PER_…`` and ``PAIRING_CODE_EXPORTS_PER_…``):
single codes per student and per maker, exports per maker. An export counts once, whatever its
size: its size is the roster's, not the caller's choice, and a limit on its codes would have to be
large enough for a district's 10,000 students, which would leave single codes unlimited in effect.
Its students' own budgets stay untouched, so exporting a class twice never stops a student from
making a code. Operators' commands (``by=None``) are not limited.
"""

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.audit import audit_record, audit_record_many
from accounts.models import AuditAction, Institution, User
from accounts.permissions import user_has_permission
from accounts.roles import Permission, Role
from accounts.throttle import Check, Limit, every_attempt, limit_from_settings, limited_attempt
from courses.models import CURRENT_ENROLLMENT_STATES, Course, Enrollment, EnrollmentState
from pairing.code_format import code_generate, code_hash
from pairing.errors import PairingError
from pairing.models import (
    PairingCode,
    PairingCodeState,
)
from pairing.services.locks import students_lock
from pairing.services.redemption import PairingPaused

MAX_ACTIVE_CODES = 5

# Lazy: formatted (PairingPaused) in the language of the request, English on the API.
CODES_PAUSED = _(
    "Many pairing codes were made in a short time, so making more is paused for now. "
    "Please try again {wait}."
)
EXPORTS_PAUSED = _(
    "Pairing codes were exported many times in a short time, so exports are paused for now. "
    "Please try again {wait}."
)


@dataclass(frozen=True)
class IssuedCode:
    """A code just made. ``code`` exists only here and in the response that shows it."""

    code: str
    record: PairingCode

    @property
    def lifetime_days(self) -> int:
        """The institution's code lifetime when the code was made (what the dialog tells)."""
        return round((self.record.expires_at - self.record.created_at).total_seconds() / 86400)


# --- Who may make codes ---------------------------------------------------------------------------


def pairing_code_refusal(*, student: User, by: User | None) -> str | None:
    """Why ``by`` may not make a pairing code for ``student``, or None when they may.

    In Canvas's order: pairing must be on at the student's institution; the student must hold a
    student enrollment; then the maker is the student themself, an admin of the institution with
    the permission, or someone holding it in a course the student is enrolled in. Observer
    enrollments never count (see accounts.roles). ``by=None`` is a set-up command run by an
    operator, bound by the first two rules only.
    """
    institution = student.institution
    if institution is None or not institution.pairing_enabled:
        return PairingError.SELF_REGISTRATION_OFF
    student_course_ids = _student_course_ids(student)
    if not student_course_ids:
        return PairingError.NOT_A_STUDENT
    if by is None or by.pk == student.pk:
        return None
    return _code_keeper_refusal(student=student, by=by, student_course_ids=student_course_ids)


# Where Pair with Observer would be, why it is not (seed 001: "If the Pair with Observer button
# doesn't display ... self registration has not been enabled ... contact your institution").
PAIRING_OFF_FOR_STUDENT = _(
    "Pair with Observer is not offered: your school has not turned on pairing codes (self "
    "registration). To link a parent or mentor to your account, ask the school office."
)
PAIRING_OFF_FOR_STAFF = _(
    "Pair with Observer is not offered: your school has not turned on pairing codes (self "
    "registration). Ask an administrator to turn it on, or to link the observer for you "
    "(Users and observers)."
)
NOT_ALLOWED_FOR_STAFF = _(
    "Pair with Observer is not offered: your role may not make pairing codes for students "
    "here. Ask an administrator to allow it (Permissions: generate observer pairing codes, "
    "and course admin actions), or to make a code for you."
)


def pair_with_observer_note(*, student: User, by: User, may_act_for_student: bool) -> str | None:
    """Why ``by`` is not offered Pair with Observer for ``student`` (a student themself, or
    someone on the student's User Details page), or None where the button is shown or would make
    no sense (someone with no student enrollment). ``may_act_for_student`` is False when User
    Details' own condition (course admin actions) is missing."""
    refusal = pairing_code_refusal(student=student, by=by)
    if refusal == PairingError.NOT_A_STUDENT:
        return None
    if refusal is None and may_act_for_student:
        return None
    if refusal == PairingError.SELF_REGISTRATION_OFF:
        if not _student_course_ids(student):
            return None
        return PAIRING_OFF_FOR_STUDENT if by.pk == student.pk else PAIRING_OFF_FOR_STAFF
    return NOT_ALLOWED_FOR_STAFF


def _student_course_ids(student: User) -> list[int]:
    """The courses where ``student`` holds a student enrollment that counts for pairing."""
    return list(
        Enrollment.objects.visible()
        .filter(user=student, type=Role.STUDENT)
        .values_list("course_id", flat=True)
    )


def _code_keeper_refusal(
    *, student: User, by: User, student_course_ids: list[int] | None = None
) -> str | None:
    """Whether ``by``, someone other than the student, holds the generating permission for
    ``student``: at the institution, or in a course the student is enrolled in."""
    if by.institution_id != student.institution_id:
        return PairingError.NOT_ALLOWED
    if user_has_permission(by, Permission.GENERATE_OBSERVER_PAIRING_CODE):
        return None
    if student_course_ids is None:
        student_course_ids = _student_course_ids(student)
    shared_courses = Course.objects.filter(
        pk__in=student_course_ids,
        enrollments__user=by,
        enrollments__state=EnrollmentState.ACTIVE,
    ).distinct()
    for course in shared_courses:
        if user_has_permission(by, Permission.GENERATE_OBSERVER_PAIRING_CODE, course=course):
            return None
    return PairingError.NOT_ALLOWED


def pairing_codes_revoke_refusal(*, student: User, by: User) -> str | None:
    """Why ``by`` may not see or revoke ``student``'s active codes, or None.

    The student, and whoever may make codes for them. Unlike making codes, this stays possible when
    self-registration is off or the student has left their courses: a leaked code must be
    stoppable whatever else has changed.
    """
    if by.pk == student.pk:
        return None
    return _code_keeper_refusal(student=student, by=by)


def pairing_codes_active_count(*, student: User) -> int:
    return PairingCode.objects.live().filter(student=student).count()


@transaction.atomic
def pairing_codes_revoke_all(*, student: User, by: User) -> int:
    """Revoke every active code of ``student`` at once (a code was shared with the wrong person).
    Returns how many were revoked; links already made stay."""
    refusal = pairing_codes_revoke_refusal(student=student, by=by)
    if refusal is not None:
        raise PairingError(refusal)
    students_lock(student_ids=[student.pk])
    now = timezone.now()
    revoked = (
        PairingCode.objects.live()
        .filter(student=student)
        .update(state=PairingCodeState.REVOKED, ended_at=now)
    )
    if revoked:
        audit_record(
            action=AuditAction.CODES_REVOKED,
            institution=student.institution_id,
            actor=by,
            subject=student,
            details={"count": revoked},
        )
    return revoked


def pairing_codes_export_refusal(*, course: Course, by: User) -> str | None:
    """Why ``by`` may not export codes for ``course`` (People → Export Pairing Codes), or None."""
    if not course.institution.pairing_enabled:
        return PairingError.SELF_REGISTRATION_OFF
    if not user_has_permission(by, Permission.GENERATE_OBSERVER_PAIRING_CODE, course=course):
        return PairingError.NOT_ALLOWED
    return None


def may_export_pairing_codes(*, course: Course, by: User) -> bool:
    return pairing_codes_export_refusal(course=course, by=by) is None


# --- Limits on making codes -----------------------------------------------------------------------


def _making(rules: tuple[tuple[str, Limit], ...], *, reason: str) -> AbstractContextManager:
    """One making of codes, counted before it happens (a burst cannot slip past the limit) and
    kept whatever comes of it; past a limit nothing is made and ``PairingPaused`` says when to
    try again."""
    return limited_attempt(
        Check(rules=rules),
        refused=lambda until: PairingPaused(until, reason=reason),
        counts=every_attempt,
    )


def _single_code_making(*, student: User, by: User | None) -> AbstractContextManager:
    """One code made by ``by`` (an operator's command, ``by=None``, is not limited)."""
    if by is None:
        return _making((), reason=CODES_PAUSED)
    return _making(
        (
            (
                f"codes:student:{student.pk}",
                limit_from_settings("PAIRING_CODES_PER_STUDENT_PER_DAY"),
            ),
            (f"codes:maker:{by.pk}", limit_from_settings("PAIRING_CODES_PER_MAKER_PER_HOUR")),
        ),
        reason=CODES_PAUSED,
    )


def pairing_code_export_making(*, by: User) -> AbstractContextManager:
    """One export (a course's CSV or letters, or a school-wide export) by ``by``, whatever its
    size, around the export's making."""
    return _making(
        (
            (
                f"codes:exports:{by.pk}",
                limit_from_settings("PAIRING_CODE_EXPORTS_PER_MAKER_PER_HOUR"),
            ),
        ),
        reason=EXPORTS_PAUSED,
    )


# --- Making codes ---------------------------------------------------------------------------------


@transaction.atomic
def pairing_code_create(*, student: User, by: User | None) -> IssuedCode:
    """Make a code for ``student``. A sixth active code retires the student's oldest. Past the
    limits on making codes, ``PairingPaused``."""
    refusal = pairing_code_refusal(student=student, by=by)
    if refusal is not None:
        raise PairingError(refusal)
    with _single_code_making(student=student, by=by):
        students_lock(student_ids=[student.pk])
        issued = _issue_codes(student_ids=[student.pk], institution=student.institution, by=by)
    return issued[student.pk]


def _course_students_locked(*, course: Course) -> list[User]:
    """Each current student of the course once, in the export's order, their rows locked.

    One statement: the inner query takes the locks in id order (as ``students_lock`` does, so an
    export and a single code never deadlock), the outer one sorts by name.
    """
    user_table, enrollment_table = User._meta.db_table, Enrollment._meta.db_table
    return list(
        User.objects.raw(
            f"""
            SELECT id, name, sortable_name, sis_user_id FROM (
                SELECT id, name, sortable_name, sis_user_id FROM {user_table}
                WHERE is_active AND id IN (
                    SELECT user_id FROM {enrollment_table}
                    WHERE course_id = %s AND type = %s AND state = ANY(%s)
                )
                ORDER BY id FOR UPDATE
            ) locked
            ORDER BY sortable_name, id
            """,  # noqa: S608 - the table names are ours; every value is a parameter
            [course.pk, Role.STUDENT, list(CURRENT_ENROLLMENT_STATES)],
        )
    )


@transaction.atomic
def pairing_codes_create_for_course(*, course: Course, by: User) -> list[tuple[User, IssuedCode]]:
    """A new code for every current student of ``course`` (Export Pairing Codes).

    The same rules as one code at a time, applied to all students in a fixed number of queries.
    """
    refusal = pairing_codes_export_refusal(course=course, by=by)
    if refusal is not None:
        raise PairingError(refusal)
    with pairing_code_export_making(by=by):
        students = _course_students_locked(course=course)
        issued = _issue_codes(
            student_ids=[s.pk for s in students], institution=course.institution, by=by
        )
    return [(student, issued[student.pk]) for student in students]


@transaction.atomic
def pairing_codes_create_for_students(
    *, student_ids: list[int], institution: Institution, by: User | None
) -> dict[int, IssuedCode]:
    """New codes for a batch of students (a district-wide export, one chunk at a time), under the
    same locks and five-code rule as any other code. The caller has checked who may ask."""
    students_lock(student_ids=student_ids)
    return _issue_codes(student_ids=student_ids, institution=institution, by=by)


def _issue_codes(
    *, student_ids: list[int], institution: Institution, by: User | None
) -> dict[int, IssuedCode]:
    """New codes for students whose rows the caller has locked (``students_lock``)."""
    if not student_ids:
        return {}
    now = timezone.now()
    _end_codes_before_issuing(student_ids=student_ids, keep=MAX_ACTIVE_CODES - 1, now=now)
    issued: dict[int, IssuedCode] = {}
    waiting = list(student_ids)
    for _attempt in range(5):
        drawn = {student_id: code_generate() for student_id in waiting}
        lifetime = timedelta(days=institution.pairing_code_lifetime_days)
        for record in _insert_codes(drawn, by=by, now=now, lifetime=lifetime):
            issued[record.student_id] = IssuedCode(code=drawn[record.student_id], record=record)
        # A code equal to one ever made before (about one in 3e10 per stored code) was skipped by
        # the database; draw again for those students only.
        waiting = [student_id for student_id in waiting if student_id not in issued]
        if not waiting:
            break
    else:
        raise RuntimeError("Could not draw unique pairing codes five times in a row.")
    audit_record_many(
        action=AuditAction.CODE_CREATED,
        institution_id=institution.pk,
        actor=by,
        entries=[
            (
                student_id,
                {"pairing_code": item.record.pk, "expires_at": item.record.expires_at.isoformat()},
            )
            for student_id, item in issued.items()
        ],
    )
    return issued


def _insert_codes(
    drawn: dict[int, str], *, by: User | None, now, lifetime: timedelta
) -> list[PairingCode]:
    """Insert one code per student in a single statement; a hash already taken is skipped."""
    expires_at = now + lifetime
    by_id = by.pk if by is not None else None  # once: ``by`` is often a lazy request.user
    table = PairingCode._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (student_id, code_hash, created_by_id, created_at, expires_at, state)
            SELECT drawn.student_id, drawn.code_hash, %s, %s, %s, %s
            FROM unnest(%s::bigint[], %s::text[]) AS drawn(student_id, code_hash)
            ON CONFLICT (code_hash) DO NOTHING
            RETURNING id, student_id, code_hash
            """,  # noqa: S608 - the table name is ours; every value is a parameter
            [
                by_id,
                now,
                expires_at,
                PairingCodeState.ACTIVE,
                list(drawn),
                [code_hash(code) for code in drawn.values()],
            ],
        )
        return [
            PairingCode(
                pk=pk,
                student_id=student_id,
                code_hash=digest,
                created_by_id=by_id,
                created_at=now,
                expires_at=expires_at,
                state=PairingCodeState.ACTIVE,
            )
            for pk, student_id, digest in cursor.fetchall()
        ]


def _end_codes_before_issuing(*, student_ids: list[int], keep: int, now) -> None:
    """In one statement: mark the students' lapsed codes expired, and of the rest, those beyond
    each student's newest ``keep`` replaced (a sixth code retires the oldest)."""
    table = PairingCode._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table} AS code
            SET state = CASE WHEN ranked.lapsed THEN %s ELSE %s END, ended_at = %s
            FROM (
                SELECT id, expires_at <= %s AS lapsed, row_number() OVER (
                    PARTITION BY student_id, expires_at <= %s ORDER BY created_at DESC, id DESC
                ) AS newest
                FROM {table}
                WHERE state = %s AND student_id = ANY(%s)
            ) ranked
            WHERE code.id = ranked.id AND (ranked.lapsed OR ranked.newest > %s)
            """,  # noqa: S608 - the table name is ours; every value is a parameter
            [
                PairingCodeState.EXPIRED,
                PairingCodeState.REPLACED,
                now,
                now,
                now,
                PairingCodeState.ACTIVE,
                list(student_ids),
                keep,
            ],
        )
