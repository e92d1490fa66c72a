"""Self registration for students and teachers, while an institution allows "All account types"
(parents sign up with a pairing code: pairing.services.redemption.observer_sign_up).

Sign-ups count against the client's address (SIGN_UPS_PER_ADDRESS_PER_DAY), as parents' do.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction

from accounts.audit import audit_record, current_context
from accounts.errors import AccountError, AttemptsPaused
from accounts.models import AuditAction, Institution, SelfRegistration, User
from accounts.services.users import user_create
from accounts.throttle import Check, limit_from_settings, limited_attempt, successes


def sign_up_open_to_everyone(institution: Institution | None) -> bool:
    """Whether students and teachers may make their own accounts ("All account types")."""
    return institution is not None and institution.self_registration == SelfRegistration.ALL


@contextmanager
def sign_up_limited() -> Iterator[None]:
    """One sign-up, counted against the client's address when it succeeds."""
    address = current_context().client_address
    rules = (
        ((f"signup:address:{address}:day", limit_from_settings("SIGN_UPS_PER_ADDRESS_PER_DAY")),)
        if address
        else ()
    )
    with limited_attempt(
        Check(rules=rules),
        refused=lambda until: AttemptsPaused(AttemptsPaused.SIGN_UPS, until=until),
        counts=successes,
    ):
        yield


def teacher_sign_up(
    *, institution: Institution | None, name: str, email: str, password: str
) -> User:
    """A teacher makes their own account; the school then enrols them in their courses."""
    if not sign_up_open_to_everyone(institution):
        raise AccountError(AccountError.SIGN_UP_CLOSED)
    with sign_up_limited(), transaction.atomic():
        user = user_create(institution=institution, email=email, name=name, password=password)
        audit_record(
            action=AuditAction.SIGNED_UP,
            institution=institution,
            actor=user,
            subject=user,
            details={"as": "teacher"},
        )
    return user
