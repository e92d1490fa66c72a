"""API tokens: made, revoked, and checked on each call."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from accounts.errors import AccountError
from accounts.models import (
    ApiToken,
    User,
)
from accounts.tokens import token_generate, token_hash


@dataclass(frozen=True)
class IssuedToken:
    """A token just made: ``token`` exists only here and in the response that shows it once."""

    token: str
    record: ApiToken


def api_token_create(
    *, user: User, purpose: str, expires_at: datetime | None = None
) -> IssuedToken:
    purpose = purpose.strip()
    if not purpose:
        raise AccountError(AccountError.TOKEN_PURPOSE_REQUIRED)
    if expires_at is not None and expires_at <= timezone.now():
        raise AccountError(AccountError.TOKEN_EXPIRY_IN_PAST)
    token = token_generate()
    record = ApiToken.objects.create(
        user=user,
        purpose=purpose,
        token_hash=token_hash(token),
        hint=token[-4:],
        expires_at=expires_at,
    )
    return IssuedToken(token=token, record=record)


def api_token_revoke(*, token: ApiToken, by: User) -> ApiToken:
    if by.pk != token.user_id:
        raise AccountError(AccountError.NOT_YOUR_TOKEN)
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db()
    return token


def api_token_authenticate(raw: str) -> ApiToken | None:
    """The usable token ``raw`` names, with its active user, or None (unknown, revoked, expired)."""
    record = (
        ApiToken.objects.select_related("user", "user__institution")
        .filter(token_hash=token_hash(raw.strip()), revoked_at__isnull=True)
        .first()
    )
    if record is None or not record.is_usable or not record.user.is_active:
        return None
    now = timezone.now()
    # Record use at most once a minute, so a busy integration does not write on every call.
    if record.last_used_at is None or now - record.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
    return record
