"""Spending a pairing code: a redemption's every write in two statements (the portal's hot path).

``code_spend`` runs inside the caller's transaction (``pairing.services.redemption``, which also
holds the limits on guessing):

1. The student's row is locked, found through the code: the lock every writer of a student's
   codes, links and enrollments takes first (``pairing.services.locks``). Of twenty observers
   racing with one code, one spends it and the others wait here.
2. One statement, with a snapshot taken after the lock, so that it sees whatever the lock's last
   holder committed (a code spent, an enrollment made): it re-checks the code, spends it, makes or
   restores the link, gives the observer the student's courses, owes the student the e-mail
   notice (its row and its job) and writes both audit rows. Each part is the same SQL the
   set-wise services run (``link_upsert_sql``, ``observer_enrollments_fan_out_sql``,
   ``jobs_defer_sql``), so the rules stay written once.
"""

from dataclasses import dataclass
from functools import cache

from django.db import connection
from django.utils import timezone

from accounts.audit import audit_columns
from accounts.models import AuditAction, AuditEvent, User
from courses.services import FAN_OUT_PARAMETERS, observer_enrollments_fan_out_sql
from pairing.errors import PairingError
from pairing.models import (
    ObserverLink,
    ObserverLinkSource,
    ObserverLinkState,
    ObserverNotice,
    PairingCode,
    PairingCodeState,
)
from pairing.notices import NOTICE_TASK
from pairing.services.links import link_upsert_sql
from pairing_portal.jobs import jobs_defer_sql
from pairing_portal.sql import columns_of, compact, model_from_row


@dataclass(frozen=True)
class Redemption:
    link: ObserverLink
    already_linked: bool  # the observer already observed the student; the code was kept


_CODES, _USERS = PairingCode._meta.db_table, User._meta.db_table
_LINKS, _NOTICES = ObserverLink._meta.db_table, ObserverNotice._meta.db_table
_EVENTS = AuditEvent._meta.db_table

# 1. The lock. A code names at most one student (its hash is unique); the student's whole row
# comes back, for the checks below and the answer.
STUDENT_LOCK = f"""
    SELECT {columns_of(User, "student")} FROM {_USERS} student
    WHERE student.id IN (
        SELECT code.student_id FROM {_CODES} code
        WHERE code.code_hash = %(code_hash)s AND code.state = %(code_active)s
            AND code.expires_at > %(now)s::timestamptz
    )
    FOR UPDATE OF student
"""  # noqa: S608 - table names are ours; every value is a parameter

# 2. The redemption. PostgreSQL runs every data-modifying part to completion, each at most once,
# whether or not the final SELECT reads it; a part reading another's RETURNING runs after it.
_SPEND = f"""
    WITH live AS (
        -- The code again, now that the student is ours: still active and unexpired?
        SELECT code.id FROM {_CODES} code
        WHERE code.code_hash = %(code_hash)s AND code.student_id = %(student_id)s
            AND code.state = %(code_active)s AND code.expires_at > %(now)s::timestamptz
    ), existing AS (
        SELECT {columns_of(ObserverLink, "link")} FROM {_LINKS} link
        WHERE link.observer_id = %(observer_id)s AND link.student_id = %(student_id)s
            AND link.state = %(link_active)s
    ), spent AS (
        -- Spent, unless the pages keep a code for someone else when the link exists already.
        -- The UPDATE re-checks the row as it is now, not as the snapshot saw it.
        UPDATE {_CODES} code SET state = %(code_used)s, used_by_id = %(observer_id)s,
            ended_at = %(now)s::timestamptz
        FROM live
        WHERE code.id = live.id AND code.state = %(code_active)s
            AND NOT (%(keep_code_if_linked)s::boolean AND EXISTS (SELECT FROM existing))
        RETURNING code.id
    ), linked AS (
        -- New or restored (an active link is left as it is, and not returned).
        {
    link_upsert_sql(
        "(SELECT %(observer_id)s::bigint AS observer_id, %(student_id)s::bigint AS student_id"
        " FROM spent) AS pair"
    )
}
    ), enrolled AS (
        {observer_enrollments_fan_out_sql("linked AS pair")}
    ), noticed AS (
        INSERT INTO {_NOTICES} (observer_id, student_id, created_at)
        SELECT linked.observer_id, linked.student_id, %(now)s::timestamptz FROM linked
        RETURNING id
    ), audited AS (
        INSERT INTO {_EVENTS}
            (institution_id, at, action, actor_id, subject_id, source, client_address, details)
        SELECT %(institution_id)s::bigint, %(now)s::timestamptz, %(code_redeemed)s,
            %(actor_id)s::bigint, %(student_id)s::bigint, %(audit_source)s,
            %(client_address)s::inet,
            jsonb_build_object('pairing_code', spent.id) || %(redeemed_details)s::jsonb
        FROM spent
        UNION ALL
        SELECT %(institution_id)s::bigint, %(now)s::timestamptz, %(link_created)s,
            %(actor_id)s::bigint, linked.student_id, %(audit_source)s, %(client_address)s::inet,
            %(link_details)s::jsonb
        FROM linked
    ), queued AS (
        -- The notice's job, with the notice (pairing.notices: one job per notice).
        SELECT {{queue_notice_jobs}} AS ids
    )
    SELECT EXISTS (SELECT FROM live), EXISTS (SELECT FROM spent), (SELECT ids FROM queued),
        link.*
    FROM (SELECT) AS one
    LEFT JOIN LATERAL (
        SELECT linked.*, false AS already_linked FROM linked
        UNION ALL
        SELECT existing.*, true FROM existing
        LIMIT 1
    ) AS link ON true
"""  # noqa: S608 - table names are ours; every value is a parameter


@cache
def _spend() -> tuple[str, dict]:
    """The redemption's statement and the parameters every redemption gives it alike: the
    fan-out's, the notice job's, the states' and actions' (made on first use: the task's settings
    are known once the tasks are registered)."""
    queue, job_parameters = jobs_defer_sql(
        NOTICE_TASK, arguments="jsonb_build_object('notice_id', noticed.id)", rows="noticed"
    )
    constants = {
        **FAN_OUT_PARAMETERS,
        **job_parameters,
        "code_active": PairingCodeState.ACTIVE.value,
        "code_used": PairingCodeState.USED.value,
        "link_active": ObserverLinkState.ACTIVE.value,
        "code_redeemed": AuditAction.CODE_REDEEMED.value,
        "link_created": AuditAction.LINK_CREATED.value,
    }
    return compact(_SPEND.replace("{queue_notice_jobs}", queue)), constants


def code_spend(
    *,
    code_hash: str,
    observer: User,
    source: ObserverLinkSource,
    keep_code_if_linked: bool,
) -> Redemption:
    """Link ``observer`` to the student whose code this is and spend it, in the caller's
    transaction; every refusal (``PairingError``) is raised before anything is written."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            STUDENT_LOCK,
            {"code_hash": code_hash, "code_active": PairingCodeState.ACTIVE.value, "now": now},
        )
        row = cursor.fetchone()
        if row is None:
            raise PairingError(PairingError.INVALID_CODE)
        student = model_from_row(User, row)
        if student.institution_id != observer.institution_id or not student.is_active:
            raise PairingError(PairingError.INVALID_CODE)
        if student.pk == observer.pk:
            raise PairingError(PairingError.CANNOT_OBSERVE_SELF)
        redeemed = audit_columns(actor=observer)
        statement, constants = _spend()
        cursor.execute(
            statement,
            {
                **constants,
                "code_hash": code_hash,
                "now": now,
                "observer_id": observer.pk,
                "student_id": student.pk,
                "institution_id": student.institution_id,
                "by_id": observer.pk,
                "source": str(source),
                "keep_code_if_linked": keep_code_if_linked,
                "actor_id": redeemed["actor_id"],
                "audit_source": redeemed["source"],
                "client_address": redeemed["client_address"],
                "redeemed_details": redeemed["details"],
                "link_details": audit_columns(
                    actor=observer, details={"observer": observer.pk, "source": str(source)}
                )["details"],
            },
        )
        live, spent, _job_ids, *link_row = cursor.fetchone()
    already_linked = link_row[-1]
    if not live or not (spent or (keep_code_if_linked and already_linked)):
        raise PairingError(PairingError.INVALID_CODE)
    link = model_from_row(ObserverLink, tuple(link_row[:-1]))
    link.observer, link.student = observer, student
    return Redemption(link=link, already_linked=bool(already_linked))
