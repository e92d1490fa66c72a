"""Observer links across an institution, and the Observer enrollments they make and remove."""

from django.db import connection, transaction
from django.utils import timezone

from accounts.audit import audit_record_many
from accounts.models import AuditAction, Institution, User
from accounts.permissions import user_has_permission
from accounts.roles import Permission, Role
from courses.models import Enrollment
from courses.services import (
    observer_enrollments_fan_out,
    observer_enrollments_remove,
)
from pairing.errors import PairingError
from pairing.models import (
    ObserverLink,
    ObserverLinkSource,
    ObserverLinkState,
)
from pairing.notices import new_observer_notices_owe
from pairing.services.locks import students_lock
from pairing_portal.sql import columns_of, one_of

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
    strangers = User.objects.filter(pk__in=one_of(user_ids, "bigint")).exclude(
        institution_id=institution_id
    )
    if strangers.exists():
        raise PairingError(PairingError.OTHER_INSTITUTION)
    # The checks above raise before anything is written. The writes make no savepoint of their
    # own (this is the hot path of every redemption): a database error fails the caller's whole
    # transaction, as it should.
    with transaction.atomic(savepoint=False):
        students_lock(student_ids=[student for _observer, student in pairs])
        return _links_upsert(institution_id=institution_id, pairs=pairs, by=by, source=source)


def link_upsert_sql(pairs: str) -> str:
    """The one statement that makes or restores links, for the (observer_id, student_id) rows of
    ``pairs`` (a FROM item named ``pair``): links already active are left exactly as they are, and
    only the links that changed are returned (every column: ``columns_of``). Named parameters: %(institution_id)s,
    %(link_active)s, %(source)s, %(now)s, %(by_id)s. Concurrent statements meet in the unique
    constraint, so a pair never gets two rows."""
    table = ObserverLink._meta.db_table
    return f"""
        INSERT INTO {table}
            (observer_id, student_id, institution_id, state, source, created_at, created_by_id)
        SELECT pair.observer_id, pair.student_id, %(institution_id)s::bigint, %(link_active)s,
            %(source)s, %(now)s::timestamptz, %(by_id)s::bigint
        FROM {pairs}
        ON CONFLICT ON CONSTRAINT observer_link_unique DO UPDATE SET
            state = EXCLUDED.state, source = EXCLUDED.source, created_at = EXCLUDED.created_at,
            created_by_id = EXCLUDED.created_by_id, removed_at = NULL, removed_by_id = NULL
        WHERE {table}.state <> EXCLUDED.state
        RETURNING {columns_of(ObserverLink)}
    """  # noqa: S608 - the table name is ours; every value is a parameter


def _links_upsert(
    *,
    institution_id: int,
    pairs: list[tuple[int, int]],
    by: User | None,
    source: ObserverLinkSource,
) -> set[tuple[int, int]]:
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH changed AS ({
                link_upsert_sql(
                    "unnest(%(observers)s::bigint[], %(students)s::bigint[])"
                    " AS pair(observer_id, student_id)"
                )
            })
            SELECT observer_id, student_id FROM changed
            """,  # noqa: S608 - our own SQL; every value is a parameter
            {
                "institution_id": institution_id,
                "link_active": ObserverLinkState.ACTIVE.value,
                "source": str(source),
                "now": now,
                "by_id": by.pk if by is not None else None,
                "observers": [observer for observer, _student in pairs],
                "students": [student for _observer, student in pairs],
            },
        )
        changed = {(observer, student) for observer, student in cursor.fetchall()}
    observer_enrollments_fan_out(institution_id=institution_id, pairs=sorted(changed), now=now)
    new_observer_notices_owe(pairs=sorted(changed))
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
    students_lock(student_ids=[student for _observer, student in pairs])
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
    students_lock(student_ids=[student.pk])
    linked = list(
        ObserverLink.objects.filter(student=student, state=ObserverLinkState.ACTIVE).values_list(
            "observer_id", "student_id"
        )
    )
    course_only = set(
        Enrollment.objects.undeleted()
        .filter(type=Role.OBSERVER, associated_user=student)
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
