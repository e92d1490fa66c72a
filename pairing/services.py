"""Every pairing rule, once: codes, observer links, linked enrollments and observer sign-up.

Pages, the API, the SIS import and commands all call these functions; none of them repeats a rule.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.audit import audit_record, audit_record_many, current_context
from accounts.errors import AccountError
from accounts.models import AuditAction, Institution, SelfRegistration, User
from accounts.permissions import user_has_permission
from accounts.roles import Permission, Role
from accounts.services import user_create
from accounts.throttle import Attempt, Check, limit_from_settings, wait_in_words
from courses.models import CURRENT_ENROLLMENT_STATES, Course, Enrollment, EnrollmentState
from courses.services import (
    enrollment_row_upsert,
    observer_enrollments_fan_out,
    observer_enrollments_remove,
)
from pairing.codes import code_generate, code_hash, code_normalize
from pairing.errors import PairingError
from pairing.models import (
    ObserverLink,
    ObserverLinkSource,
    ObserverLinkState,
    PairingCode,
    PairingCodeState,
)
from pairing.notices import new_observer_notices_after_commit

MAX_ACTIVE_CODES = 5

# A student enrollment that makes its holder "a student" for pairing (Canvas: anything but
# rejected, inactive or deleted).
STUDENT_STATES_FOR_PAIRING = (
    EnrollmentState.ACTIVE,
    EnrollmentState.INVITED,
    EnrollmentState.COMPLETED,
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
    student_course_ids = list(
        Enrollment.objects.filter(
            user=student, type=Role.STUDENT, state__in=STUDENT_STATES_FOR_PAIRING
        ).values_list("course_id", flat=True)
    )
    if not student_course_ids:
        return PairingError.NOT_A_STUDENT
    if by is None or by.pk == student.pk:
        return None
    return _code_keeper_refusal(student=student, by=by, student_course_ids=student_course_ids)


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
        student_course_ids = list(
            Enrollment.objects.filter(
                user=student, type=Role.STUDENT, state__in=STUDENT_STATES_FOR_PAIRING
            ).values_list("course_id", flat=True)
        )
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
    return PairingCode.objects.filter(
        student=student, state=PairingCodeState.ACTIVE, expires_at__gt=timezone.now()
    ).count()


@transaction.atomic
def pairing_codes_revoke_all(*, student: User, by: User) -> int:
    """Revoke every active code of ``student`` at once (a code was shared with the wrong person).
    Returns how many were revoked; links already made stay."""
    refusal = pairing_codes_revoke_refusal(student=student, by=by)
    if refusal is not None:
        raise PairingError(refusal)
    _students_lock(student_ids=[student.pk])
    now = timezone.now()
    revoked = PairingCode.objects.filter(
        student=student, state=PairingCodeState.ACTIVE, expires_at__gt=now
    ).update(state=PairingCodeState.REVOKED, ended_at=now)
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


# --- Making codes ---------------------------------------------------------------------------------


@transaction.atomic
def pairing_code_create(*, student: User, by: User | None) -> IssuedCode:
    """Make a code for ``student``. A sixth active code retires the student's oldest."""
    refusal = pairing_code_refusal(student=student, by=by)
    if refusal is not None:
        raise PairingError(refusal)
    _students_lock(student_ids=[student.pk])
    return _issue_codes(student_ids=[student.pk], institution=student.institution, by=by)[
        student.pk
    ]


def _students_lock(*, student_ids: Iterable[int] | QuerySet) -> None:
    """Lock the students' rows, in id order, until the transaction ends.

    Everything that writes a student's codes, observer links or linked enrollments takes this lock
    first, so those writes happen one at a time per student: generations (a double click, ten tabs,
    an export at once) count and retire codes in turn and nobody ever holds more than five; a link
    made while the student is enrolled somewhere new sees that enrollment, or the enrollment sees
    the link (otherwise each could miss the other's uncommitted row). Id order, and the student's
    row before any code, link or enrollment row, keep two writers from ever waiting on each other.
    """
    ids = student_ids if isinstance(student_ids, QuerySet) else sorted(set(student_ids))
    list(User.objects.filter(pk__in=ids).order_by("pk").select_for_update().values_list("pk"))


def _course_students_locked(*, course: Course) -> list[User]:
    """Each current student of the course once, in the export's order, their rows locked.

    One statement: the inner query takes the locks in id order (as ``_students_lock`` does, so an
    export and a single code never deadlock), the outer one sorts by name.
    """
    user_table, enrollment_table = User._meta.db_table, Enrollment._meta.db_table
    return list(
        User.objects.raw(
            f"""
            SELECT id, name, sortable_name, sis_user_id FROM (
                SELECT id, name, sortable_name, sis_user_id FROM {user_table}
                WHERE id IN (
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
    students = _course_students_locked(course=course)
    issued = _issue_codes(
        student_ids=[s.pk for s in students], institution=course.institution, by=by
    )
    return [(student, issued[student.pk]) for student in students]


def _issue_codes(
    *, student_ids: list[int], institution: Institution, by: User | None
) -> dict[int, IssuedCode]:
    """New codes for students whose rows the caller has locked (``_students_lock``)."""
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
                by.pk if by is not None else None,
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
                created_by=by,
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


# --- Redeeming codes ------------------------------------------------------------------------------


# Lazy: formatted (PairingPaused) in the language of the request, English on the API.
SIGN_UPS_PAUSED = _(
    "Many accounts were made from your network today, so sign-up is paused here for now. "
    "Please try again {wait}, or ask the school office to make your account."
)
WRONG_CODES_PAUSED = _(
    "For the students' safety, entering pairing codes is paused after too many wrong codes. "
    "Please try again {wait}."
)


class PairingPaused(PairingError):
    """Too many attempts: every attempt, right or wrong, waits until ``until``."""

    def __init__(self, until, *, reason: str | None = None) -> None:
        super().__init__((reason or WRONG_CODES_PAUSED).format(wait=wait_in_words(until)))
        self.until = until


def _code_is_live(*, code: str, institution_id: int) -> bool:
    """Whether ``code`` is an active, unexpired code of a student of the institution (no lock)."""
    normalized = code_normalize(code)
    return (
        normalized is not None
        and PairingCode.objects.filter(
            code_hash=code_hash(normalized),
            state=PairingCodeState.ACTIVE,
            expires_at__gt=timezone.now(),
            student__institution_id=institution_id,
        ).exists()
    )


def _redemption_limits(*, observer: User | None, institution_id: int | None) -> Check:
    """The account, the client's address and the institution, each with its own limit."""
    rules = []
    if observer is not None and observer.pk:
        rules += [
            (
                f"redeem:account:{observer.pk}:pause",
                limit_from_settings("PAIRING_FAILURES_PER_ACCOUNT_PAUSE", pause=True),
            ),
            (
                f"redeem:account:{observer.pk}:day",
                limit_from_settings("PAIRING_FAILURES_PER_ACCOUNT_PER_DAY"),
            ),
        ]
    address = current_context().client_address
    if address:
        rules.append(
            (
                f"redeem:address:{address}:day",
                limit_from_settings("PAIRING_FAILURES_PER_ADDRESS_PER_DAY"),
            )
        )
    if institution_id is not None:
        rules.append(
            (
                f"redeem:institution:{institution_id}:day",
                limit_from_settings("PAIRING_FAILURES_PER_INSTITUTION_PER_DAY"),
            )
        )
    return Check(rules=tuple(rules))


def _count_failed_redemption(
    attempt: Attempt, *, observer: User | None, institution_id: int | None
) -> None:
    """Keep a wrong code's count (made up front), outside any transaction the failure rolls back."""
    audit_record(action=AuditAction.CODE_FAILED, institution=institution_id, actor=observer)
    until = attempt.failed()
    if until is not None:
        audit_record(
            action=AuditAction.PAUSED,
            institution=institution_id,
            actor=observer,
            details={"what": "pairing codes", "until": until.isoformat()},
        )


@dataclass(frozen=True)
class Redemption:
    link: ObserverLink
    already_linked: bool  # the observer already observed the student; the code was kept


def pairing_code_redeem(
    *,
    code: str,
    observer: User,
    source: ObserverLinkSource = ObserverLinkSource.PAIRING_CODE,
    keep_code_if_linked: bool = True,
) -> Redemption:
    """Link ``observer`` to the student whose code this is, and spend the code.

    Unknown, expired, used, malformed and other institutions' codes all fail alike, and each such
    failure counts against the observer, their address (from the request) and their institution;
    past a limit every attempt is refused with ``PairingPaused`` until the time it names. For a
    student the observer already observes, the existing link is returned and, as Canvas's pages do,
    the code is kept for someone else; Canvas's observees API spends it all the same
    (``keep_code_if_linked=False``).
    """
    attempt = _redemption_limits(observer=observer, institution_id=observer.institution_id).begin()
    if attempt.refused_until is not None:
        raise PairingPaused(attempt.refused_until)
    try:
        redemption = _redeem(
            code=code, observer=observer, source=source, keep_code_if_linked=keep_code_if_linked
        )
    except PairingError as error:
        if error.message == PairingError.INVALID_CODE:
            _count_failed_redemption(
                attempt, observer=observer, institution_id=observer.institution_id
            )
        else:
            attempt.succeeded()  # refused for another reason: not a guess
        raise
    attempt.succeeded()
    return redemption


@transaction.atomic
def _redeem(
    *, code: str, observer: User, source: ObserverLinkSource, keep_code_if_linked: bool
) -> Redemption:
    normalized = code_normalize(code)
    if normalized is None:
        raise PairingError(PairingError.INVALID_CODE)
    now = timezone.now()
    live = PairingCode.objects.filter(
        code_hash=code_hash(normalized), state=PairingCodeState.ACTIVE, expires_at__gt=now
    )
    # Locks in the order every writer of a student's codes, links and enrollments takes them: the
    # student's row first (see _students_lock), then the code's. Of twenty observers racing with
    # one code, one spends it; the others wait, and PostgreSQL then re-checks the WHERE on the
    # updated row, finds it no longer active, and returns nothing. Exactly one link comes of it.
    _students_lock(student_ids=live.values("student_id"))
    record = live.select_for_update(of=("self",)).select_related("student").first()
    if record is None:
        raise PairingError(PairingError.INVALID_CODE)
    student = record.student
    if student.institution_id != observer.institution_id or not student.is_active:
        raise PairingError(PairingError.INVALID_CODE)
    if student.pk == observer.pk:
        raise PairingError(PairingError.CANNOT_OBSERVE_SELF)
    existing = ObserverLink.objects.filter(
        observer=observer, student=student, state=ObserverLinkState.ACTIVE
    ).first()
    if existing is not None and keep_code_if_linked:
        return Redemption(link=existing, already_linked=True)
    record.state = PairingCodeState.USED
    record.used_by = observer
    record.ended_at = now
    record.save(update_fields=["state", "used_by", "ended_at"])
    audit_record(
        action=AuditAction.CODE_REDEEMED,
        institution=student.institution_id,
        actor=observer,
        subject=student,
        details={"pairing_code": record.pk},
    )
    if existing is not None:
        return Redemption(link=existing, already_linked=True)
    link = observer_link_create(observer=observer, student=student, by=observer, source=source)
    return Redemption(link=link, already_linked=False)


def observer_sign_up(
    *, institution: Institution | None, name: str, email: str, password: str, code: str
) -> User:
    """A parent makes an account and links to one student, in one transaction or not at all.

    Sign-ups count against the client's address (a few a day), and a wrong code counts against
    the address and the institution like any other.
    """
    if institution is None or institution.self_registration not in (
        SelfRegistration.OBSERVER,
        SelfRegistration.ALL,
    ):
        raise PairingError(PairingError.SELF_REGISTRATION_OFF)
    limits = _redemption_limits(observer=None, institution_id=institution.pk)
    address = current_context().client_address
    sign_ups = Check(
        rules=(
            (f"signup:address:{address}:day", limit_from_settings("SIGN_UPS_PER_ADDRESS_PER_DAY")),
        )
        if address
        else ()
    )
    until = sign_ups.blocked_until()
    if until is not None:
        raise PairingPaused(until, reason=SIGN_UPS_PAUSED)
    attempt = limits.begin()
    if attempt.refused_until is not None:
        raise PairingPaused(attempt.refused_until)
    if not _code_is_live(code=code, institution_id=institution.pk):
        # The code first: without a real code nobody learns whether an e-mail has an account.
        _count_failed_redemption(attempt, observer=None, institution_id=institution.pk)
        raise PairingError(PairingError.INVALID_CODE)
    try:
        with transaction.atomic():
            observer = user_create(
                institution=institution, email=email, name=name, password=password
            )
            _redeem(
                code=code,
                observer=observer,
                source=ObserverLinkSource.SIGN_UP,
                keep_code_if_linked=True,
            )
    except PairingError as error:
        if error.message == PairingError.INVALID_CODE:
            _count_failed_redemption(attempt, observer=None, institution_id=institution.pk)
        else:
            attempt.succeeded()
        raise
    except AccountError as error:
        # Probing which e-mails have accounts costs attempts too; other form mistakes do not.
        if error.message != AccountError.EMAIL_TAKEN:
            attempt.succeeded()
        raise
    attempt.succeeded()
    sign_ups.record_failure()  # counts sign-ups, which are limited like failures
    return observer


# --- Observer links and the enrollments they make -------------------------------------------------


# No savepoint of its own: a failure here fails the caller's transaction as a whole.
def observer_link_create(
    *, observer: User, student: User, by: User | None, source: ObserverLinkSource
) -> ObserverLink:
    """Link ``observer`` to ``student`` across the student's institution, or restore a removed link.

    The observer gets an active Observer enrollment for the student in every course where the
    student is actively or invitedly enrolled (Canvas turns "invited" into "active" for observers).
    Linking again while linked changes nothing.
    """
    if observer.pk == student.pk:
        raise PairingError(PairingError.CANNOT_OBSERVE_SELF)
    if observer.institution_id != student.institution_id:
        raise PairingError(PairingError.OTHER_INSTITUTION)
    with transaction.atomic(savepoint=False):
        observer_links_create_many(
            institution_id=student.institution_id,
            pairs=[(observer.pk, student.pk)],
            by=by,
            source=source,
        )
        return ObserverLink.objects.select_related("observer", "student").get(
            observer=observer, student=student, institution_id=student.institution_id
        )


def observer_links_create_many(
    *,
    institution_id: int,
    pairs: list[tuple[int, int]],
    by: User | None,
    source: ObserverLinkSource,
) -> set[tuple[int, int]]:
    """Make or restore the links for (observer id, student id) pairs, with their enrollments.

    The set-wise form of ``observer_link_create`` (which calls it), for the SIS import: a fixed
    number of statements however many pairs. Returns the pairs that changed (new or restored);
    links already active are left exactly as they are. Concurrent calls meet in the unique
    constraint, so a pair never gets two rows.
    """
    if not pairs:
        return set()
    if any(observer == student for observer, student in pairs):
        raise PairingError(PairingError.CANNOT_OBSERVE_SELF)
    user_ids = {user for pair in pairs for user in pair}
    if User.objects.filter(pk__in=user_ids).exclude(institution_id=institution_id).exists():
        raise PairingError(PairingError.OTHER_INSTITUTION)
    # The checks above raise before anything is written. The writes make no savepoint of their
    # own (this is the hot path of every redemption): a database error fails the caller's whole
    # transaction, as it should.
    with transaction.atomic(savepoint=False):
        _students_lock(student_ids=[student for _observer, student in pairs])
        return _links_upsert(institution_id=institution_id, pairs=pairs, by=by, source=source)


def _links_upsert(
    *,
    institution_id: int,
    pairs: list[tuple[int, int]],
    by: User | None,
    source: ObserverLinkSource,
) -> set[tuple[int, int]]:
    now = timezone.now()
    table = ObserverLink._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table}
                (observer_id, student_id, institution_id, state, source, created_at, created_by_id)
            SELECT pair.observer_id, pair.student_id, %s, %s, %s, %s, %s
            FROM unnest(%s::bigint[], %s::bigint[]) AS pair(observer_id, student_id)
            ON CONFLICT ON CONSTRAINT observer_link_unique DO UPDATE SET
                state = EXCLUDED.state, source = EXCLUDED.source, created_at = EXCLUDED.created_at,
                created_by_id = EXCLUDED.created_by_id, removed_at = NULL, removed_by_id = NULL
            WHERE {table}.state <> EXCLUDED.state
            RETURNING observer_id, student_id
            """,  # noqa: S608 - the table name is ours; every value is a parameter
            [
                institution_id,
                ObserverLinkState.ACTIVE,
                source,
                now,
                by.pk if by is not None else None,
                [observer for observer, _student in pairs],
                [student for _observer, student in pairs],
            ],
        )
        changed = {(observer, student) for observer, student in cursor.fetchall()}
    observer_enrollments_fan_out(institution_id=institution_id, pairs=sorted(changed), now=now)
    new_observer_notices_after_commit(pairs=sorted(changed))
    audit_record_many(
        action=AuditAction.LINK_CREATED,
        institution_id=institution_id,
        actor=by,
        entries=[
            (student, {"observer": observer, "source": str(source)})
            for observer, student in sorted(changed)
        ],
    )
    return changed


@transaction.atomic(savepoint=False)
def observer_links_remove_many(
    *, institution_id: int, pairs: list[tuple[int, int]], by: User | None
) -> set[tuple[int, int]]:
    """Remove the active links among the pairs, and every Observer enrollment each observer has
    for that student in the institution (course-only ones too). Returns the pairs removed."""
    if not pairs:
        return set()
    now = timezone.now()
    table = ObserverLink._meta.db_table
    _students_lock(student_ids=[student for _observer, student in pairs])
    with connection.cursor() as cursor:
        # A conditional UPDATE: of two removals racing, only one finds the link still active.
        cursor.execute(
            f"""
            UPDATE {table} AS link SET state = %s, removed_at = %s, removed_by_id = %s
            FROM unnest(%s::bigint[], %s::bigint[]) AS pair(observer_id, student_id)
            WHERE link.observer_id = pair.observer_id AND link.student_id = pair.student_id
              AND link.institution_id = %s AND link.state = %s
            RETURNING link.observer_id, link.student_id
            """,  # noqa: S608 - the table name is ours; every value is a parameter
            [
                ObserverLinkState.DELETED,
                now,
                by.pk if by is not None else None,
                [observer for observer, _student in pairs],
                [student for _observer, student in pairs],
                institution_id,
                ObserverLinkState.ACTIVE,
            ],
        )
        removed = {(observer, student) for observer, student in cursor.fetchall()}
    observer_enrollments_remove(institution_id=institution_id, pairs=sorted(removed), now=now)
    audit_record_many(
        action=AuditAction.LINK_REMOVED,
        institution_id=institution_id,
        actor=by,
        entries=[(student, {"observer": observer}) for observer, student in sorted(removed)],
    )
    return removed


def observer_link_create_by_admin(
    *, observer: User, student: User, by: User, source: ObserverLinkSource
) -> ObserverLink:
    """Link by id, without a code: only an admin holding manage_user_observers at the
    institution, and never an observer for themself (Canvas). The admin pages and R7 use this."""
    if (
        by.pk == observer.pk
        or by.institution_id != student.institution_id
        or not user_has_permission(by, Permission.MANAGE_USER_OBSERVERS)
    ):
        raise PairingError(PairingError.NOT_ALLOWED_TO_LINK_BY_ID)
    return observer_link_create(observer=observer, student=student, by=by, source=source)


def observer_focus_remember(*, observer: User, student: User) -> None:
    """Remember which student an observer of several looked at last (their home page opens on
    that student next time, on any device)."""
    if observer.last_observed_student_id != student.pk:
        observer.last_observed_student = student
        observer.save(update_fields=["last_observed_student"])


def may_manage_observers_of(*, subject: User, by: User) -> bool:
    """Whether ``by`` may act on ``subject``'s observer links: their own, or as an admin holding
    manage_user_observers at the subject's institution."""
    if by.pk == subject.pk:
        return True
    return by.institution_id == subject.institution_id and user_has_permission(
        by, Permission.MANAGE_USER_OBSERVERS
    )


def may_remove_observer_link(*, link: ObserverLink, by: User) -> bool:
    """The observer may stop observing; an observer admin may unlink anyone at the institution;
    the student may remove their observers only where the institution allows it (off by default,
    as in Canvas)."""
    if link.student_id == by.pk:
        return students_may_remove_observers(institution_id=link.institution_id)
    return may_manage_observers_of(subject=link.observer, by=by)


def students_may_remove_observers(*, institution_id: int | None) -> bool:
    return Institution.objects.filter(
        pk=institution_id, students_may_remove_observers=True
    ).exists()


def may_clear_observers_of(*, student: User, by: User) -> bool:
    """Remove all observers of a student in one step ("Clear Parents"): observer admins only."""
    return by.pk != student.pk and may_manage_observers_of(subject=student, by=by)


@transaction.atomic
def observers_clear(*, student: User, by: User) -> int:
    """End every observer link of ``student`` and every Observer enrollment for them, course-only
    ones included, so that nobody observes the student afterwards. Returns how many observers
    were removed."""
    if not may_clear_observers_of(student=student, by=by):
        raise PairingError(PairingError.NOT_ALLOWED_TO_REMOVE_LINK)
    _students_lock(student_ids=[student.pk])
    linked = list(
        ObserverLink.objects.filter(student=student, state=ObserverLinkState.ACTIVE).values_list(
            "observer_id", "student_id"
        )
    )
    course_only = set(
        Enrollment.objects.filter(type=Role.OBSERVER, associated_user=student)
        .exclude(state=EnrollmentState.DELETED)
        .values_list("user_id", "associated_user_id")
    ) - set(linked)
    observer_links_remove_many(institution_id=student.institution_id, pairs=linked, by=by)
    observer_enrollments_remove(
        institution_id=student.institution_id, pairs=sorted(course_only), now=timezone.now()
    )
    return len(set(linked) | course_only)


@transaction.atomic
def observer_link_remove(*, link: ObserverLink, by: User | None) -> ObserverLink:
    """Remove the link and every Observer enrollment of that observer for that student.

    That includes course-only ones a teacher made: the observer chose to stop observing the
    student, as Canvas reads it.
    """
    if by is not None and not may_remove_observer_link(link=link, by=by):
        raise PairingError(PairingError.NOT_ALLOWED_TO_REMOVE_LINK)
    removed = observer_links_remove_many(
        institution_id=link.institution_id, pairs=[(link.observer_id, link.student_id)], by=by
    )
    if not removed:
        # A second click, or an admin at the same moment, got there first.
        raise PairingError(PairingError.LINK_NOT_FOUND)
    link.refresh_from_db()
    return link


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
        _students_lock(student_ids=[user.pk])  # a link being made now sees this enrollment
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
    if not Enrollment.objects.filter(
        course=course, user=student, type=Role.STUDENT, state__in=CURRENT_ENROLLMENT_STATES
    ).exists():
        raise PairingError(PairingError.STUDENT_NOT_IN_COURSE)
    if Enrollment.objects.filter(
        course=course,
        user=student,
        type=Role.OBSERVER,
        associated_user=observer,
        state__in=CURRENT_ENROLLMENT_STATES,
    ).exists():
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
