"""An admin acting as someone else: who may, and the session that records it."""

from django.utils import timezone

from accounts.audit import audit_record
from accounts.errors import AccountError
from accounts.models import (
    ActAsSession,
    AuditAction,
    User,
)
from accounts.permissions import user_has_permission
from accounts.roles import Permission


def act_as_refusal(*, actor: User, subject: User) -> str | None:
    """Why ``actor`` may not act as ``subject``, or None. Checked at the start and on every request."""
    if not user_has_permission(actor, Permission.ACT_AS_USER):
        return AccountError.ACT_AS_NOT_ALLOWED
    if subject.pk == actor.pk:
        return AccountError.ACT_AS_SELF
    if subject.institution_id != actor.institution_id or not subject.is_active:
        return AccountError.ACT_AS_NOT_ALLOWED
    # Acting as another admin (equal rights) or a platform operator (higher) is never allowed.
    if subject.is_account_admin or subject.is_superuser or subject.is_staff:
        return AccountError.ACT_AS_ADMIN
    return None


def act_as_start(*, actor: User, subject: User, client_address: str | None) -> ActAsSession:
    refusal = act_as_refusal(actor=actor, subject=subject)
    if refusal is not None:
        raise AccountError(refusal)
    session = ActAsSession.objects.create(
        actor=actor, subject=subject, client_address=client_address
    )
    audit_record(
        action=AuditAction.ACT_AS_STARTED,
        institution=actor.institution_id,
        actor=actor,
        subject=subject,
        details={"session": session.pk},
    )
    return session


def act_as_stop(*, session: ActAsSession) -> ActAsSession:
    stopped = ActAsSession.objects.filter(pk=session.pk, ended_at__isnull=True).update(
        ended_at=timezone.now()
    )
    session.refresh_from_db()
    if stopped:
        audit_record(
            action=AuditAction.ACT_AS_STOPPED,
            institution=session.actor.institution_id,
            actor=session.actor,
            subject=session.subject,
            details={"session": session.pk},
        )
    return session
