"""The audit trail: who did what to whom, from where. Written by services, read by admins.

Where a request or a command runs (page, API, SIS import, command) and the client's address come
from a context that the middleware or the command sets, so that services need not carry them.
Nothing here ever stores a pairing code or a token.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from accounts.models import AuditEvent, AuditSource, Institution, User


@dataclass(frozen=True)
class AuditContext:
    source: str
    client_address: str | None = None


# Outside a request (a command, a shell), the source is "command" with no address.
_COMMAND = AuditContext(source=AuditSource.COMMAND)
_context: ContextVar[AuditContext | None] = ContextVar("audit_context", default=None)


@contextmanager
def audit_context(*, source: str, client_address: str | None = None) -> Iterator[AuditContext]:
    token = _context.set(AuditContext(source=source, client_address=client_address))
    try:
        yield current_context()
    finally:
        _context.reset(token)


def current_context() -> AuditContext:
    return _context.get() or _COMMAND


def audit_record(
    *,
    action: str,
    institution: Institution | int | None,
    actor: User | None,
    subject: User | None = None,
    details: dict | None = None,
) -> AuditEvent:
    context = current_context()
    institution_id = institution.pk if isinstance(institution, Institution) else institution
    return AuditEvent.objects.create(
        institution_id=institution_id,
        action=action,
        actor=actor if actor is not None and actor.pk else None,
        subject=subject,
        source=context.source,
        client_address=context.client_address,
        details=details or {},
    )


def audit_record_many(
    *, action: str, institution_id: int, actor: User | None, entries: list[tuple[int | None, dict]]
) -> None:
    """One event per (subject id, details) entry, in a single INSERT (exports, SIS imports)."""
    context = current_context()
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                institution_id=institution_id,
                action=action,
                actor=actor if actor is not None and actor.pk else None,
                subject_id=subject_id,
                source=context.source,
                client_address=context.client_address,
                details=details,
            )
            for subject_id, details in entries
        ]
    )
