"""The audit trail: who did what to whom, from where. Written by services, read by admins.

Where a request or a command runs (page, API, SIS import, command) and the client's address come
from a context that the middleware or the command sets, so that services need not carry them.
Nothing here ever stores a pairing code or a token.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from accounts.models import AuditEvent, AuditSource, Institution, User


@dataclass(frozen=True)
class AuditContext:
    source: str
    client_address: str | None = None
    # While an admin acts as someone: (the admin's id, the acted-as user's id). What the portal
    # does "as" that user is then written down as done by the admin, for them.
    acting: tuple[int, int] | None = None


# Outside a request (a command, a shell), the source is "command" with no address.
_COMMAND = AuditContext(source=AuditSource.COMMAND)
_context: ContextVar[AuditContext | None] = ContextVar("audit_context", default=None)


@contextmanager
def audit_context(
    *, source: str, client_address: str | None = None, acting: tuple[int, int] | None = None
) -> Iterator[AuditContext]:
    token = _context.set(AuditContext(source=source, client_address=client_address, acting=acting))
    try:
        yield current_context()
    finally:
        _context.reset(token)


def current_context() -> AuditContext:
    return _context.get() or _COMMAND


def _who(context: AuditContext, actor: User | None, details: dict) -> tuple[int | None, dict]:
    """The actor's id to record, and the details, naming the admin who acted as ``actor``."""
    actor_id = actor.pk if actor is not None and actor.pk else None
    if context.acting is not None and actor_id == context.acting[1]:
        return context.acting[0], {**details, "acting_as": actor_id}
    return actor_id, details


def audit_columns(*, actor: User | None, details: dict | None = None) -> dict:
    """What a statement of a service's own that writes an audit row (a redemption's) needs besides
    the action, subject and institution: ``actor_id``, ``details`` (JSON text), ``source`` and
    ``client_address``, as ``audit_record`` would write them (the admin acting as ``actor``
    named)."""
    context = current_context()
    actor_id, entry = _who(context, actor, details or {})
    return {
        "actor_id": actor_id,
        "details": json.dumps(entry),
        "source": context.source,
        "client_address": context.client_address,
    }


def audit_record(
    *,
    action: str,
    institution: Institution | int | None,
    actor: User | None,
    subject: User | int | None = None,
    details: dict | None = None,
) -> AuditEvent:
    """One event; ``subject`` may be the id of someone no longer there (a deleted person)."""
    context = current_context()
    institution_id = institution.pk if isinstance(institution, Institution) else institution
    subject_id = subject.pk if isinstance(subject, User) else subject
    actor_id, details = _who(context, actor, details or {})
    return AuditEvent.objects.create(
        institution_id=institution_id,
        action=action,
        actor_id=actor_id,
        subject_id=subject_id,
        source=context.source,
        client_address=context.client_address,
        details=details,
    )


def audit_record_many(
    *, action: str, institution_id: int, actor: User | None, entries: list[tuple[int | None, dict]]
) -> None:
    """One event per (subject id, details) entry, in a single statement (exports, SIS imports)."""
    if not entries:
        return
    context = current_context()
    events = []
    for subject_id, entry_details in entries:
        actor_id, entry = _who(context, actor, entry_details)
        events.append({"actor_id": actor_id, "subject_id": subject_id, "details": entry})
    table = AuditEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table}
                (institution_id, at, action, actor_id, subject_id, source, client_address, details)
            SELECT %s, %s, %s, event.actor_id, event.subject_id, %s, %s::inet, event.details
            FROM json_to_recordset(%s::json) AS event(actor_id bigint, subject_id bigint,
                details jsonb)
            """,  # noqa: S608 - the table name is ours; every value is a parameter
            [
                institution_id,
                timezone.now(),
                action,
                context.source,
                context.client_address,
                # One JSON document: PostgreSQL reads it faster than psycopg writes arrays.
                json.dumps(events),
            ],
        )
