"""A person's right to see what the portal holds about them and to be forgotten (FERPA, GDPR):
the account's share, and the deletion itself.

Deleting a person removes their account and, with it, everything that exists only because of
them (the database's cascades): enrollments, observer links either way, pairing codes, API tokens,
"act as" sessions, notices owed. Audit events about them stay, for the institution's record: they
keep the person's id only, shown as "deleted user #id", and their e-mail address is taken out of
the events' details. pairing.services.people assembles the whole export from each app's share.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q, QuerySet

from accounts.audit import audit_record
from accounts.errors import AccountError
from accounts.models import ActAsSession, ApiToken, AuditAction, AuditEvent, User
from accounts.permissions import is_institution_admin
from accounts.services import user_change_refusal


def deleted_user_label(user_id: int) -> str:
    return f"deleted user #{user_id}"


def person_data_refusal(*, person: User, by: User | None) -> str | None:
    """Who may download everything about ``person``: their institution's admins, platform
    operators, and a command (``by=None``, an operator at the shell)."""
    if by is None or by.is_superuser or is_institution_admin(by, person.institution_id):
        return None
    return AccountError.PERSONAL_DATA_NOT_ALLOWED


def person_delete_refusal(*, person: User, by: User | None) -> str | None:
    """As for any change of a person (accounts.services.user_change_refusal): an admin deletes the
    other people of their institution; admins and operators only a platform operator deletes, in
    the Django admin. Nobody deletes themself here."""
    if by is not None and by.pk == person.pk:
        return AccountError.DELETE_SELF
    return user_change_refusal(actor=by, subject=person)


def person_audit_events(*, person: User) -> QuerySet[AuditEvent]:
    """Events about ``person``: done by them or to them, links that made them an observer, and
    failed log-ins with their e-mail address."""
    return AuditEvent.objects.filter(
        Q(actor_id=person.pk)
        | Q(subject_id=person.pk)
        | Q(details__observer=person.pk)
        | Q(details__login=person.email.lower())
    ).order_by("at", "id")


def account_data(*, person: User) -> dict:
    """The account's share of a person's export: profile, API tokens (never the token, which is
    not kept), who acted as them, and the audit events about them."""
    return {
        "profile": {
            "id": person.pk,
            "name": person.name,
            "sortable_name": person.sortable_name,
            "short_name": person.short_name,
            "email": person.email,
            "sis_user_id": person.sis_user_id,
            "institution": {"id": person.institution_id, "name": str(person.institution or "")},
            "is_active": person.is_active,
            "is_account_admin": person.is_account_admin,
            "time_zone": person.time_zone,
            "created_at": person.created_at,
            "last_login": person.last_login,
        },
        "api_tokens": list(
            ApiToken.objects.filter(user=person)
            .order_by("created_at", "id")
            .values("purpose", "hint", "created_at", "expires_at", "last_used_at", "revoked_at")
        ),
        "acted_as_by": list(
            ActAsSession.objects.filter(subject=person)
            .order_by("started_at", "id")
            .values("actor_id", "started_at", "ended_at", "client_address")
        ),
        "audit_events": list(
            person_audit_events(person=person).values(
                "at", "action", "actor_id", "subject_id", "source", "client_address", "details"
            )
        ),
    }


def _forget_address(value: object, *, address: str, label: str) -> object:
    if isinstance(value, str) and value.lower() == address:
        return label
    if isinstance(value, dict):
        return {
            key: _forget_address(item, address=address, label=label) for key, item in value.items()
        }
    return value


@transaction.atomic
def person_delete(*, person: User, by: User | None) -> dict[str, int]:
    """Delete ``person`` and what exists only because of them; returns what went, by kind.

    Refused (AccountError) as person_delete_refusal says. Recorded in the audit trail.
    """
    refusal = person_delete_refusal(person=person, by=by)
    if refusal is not None:
        raise AccountError(refusal)
    person_id, institution_id = person.pk, person.institution_id
    address, label = person.email.lower(), deleted_user_label(person_id)
    events = list(person_audit_events(person=person).exclude(details={}))
    for event in events:
        event.details = _forget_address(event.details, address=address, label=label)
    AuditEvent.objects.bulk_update(events, ["details"], batch_size=500)
    _total, deleted = person.delete()
    deleted.pop(User._meta.label, None)
    audit_record(
        action=AuditAction.PERSON_DELETED,
        institution=institution_id,
        actor=by,
        subject=person_id,
        details={"deleted": dict(sorted(deleted.items()))},
    )
    return deleted
