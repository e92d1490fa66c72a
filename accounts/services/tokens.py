"""API tokens: made, revoked, and checked on each call."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from accounts.errors import AccountError
from accounts.models import ApiToken, Institution, User
from accounts.tokens import token_generate, token_hash
from pairing_portal.sql import columns_of, model_from_row


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


_TOKEN_LOOKUP = f"""
    SELECT {columns_of(ApiToken, "token")}, {columns_of(User, "person")},
        {columns_of(Institution, "institution")}
    FROM {ApiToken._meta.db_table} token
    JOIN {User._meta.db_table} person ON person.id = token.user_id
    LEFT JOIN {Institution._meta.db_table} institution ON institution.id = person.institution_id
    WHERE token.token_hash = %s AND token.revoked_at IS NULL
        AND (token.expires_at IS NULL OR token.expires_at > %s::timestamptz)
        AND person.is_active
"""  # noqa: S608 - table names are ours; every value is a parameter
_WIDTHS = (len(ApiToken._meta.concrete_fields), len(User._meta.concrete_fields))


def api_token_authenticate(raw: str) -> ApiToken | None:
    """The usable token ``raw`` names, with its active user and their institution, or None
    (unknown, revoked, expired, or its user deactivated).

    Every API call asks, so it is one statement, written once here rather than built by the ORM
    each time, and never cached: a token revoked, or a user deactivated, is refused at the very
    next call.
    """
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_TOKEN_LOOKUP, [token_hash(raw.strip()), now])
        row = cursor.fetchone()
    if row is None:
        return None
    tokens, users = _WIDTHS
    record = model_from_row(ApiToken, row[:tokens])
    user = model_from_row(User, row[tokens : tokens + users])
    institution_row = row[tokens + users :]
    user.institution = (
        model_from_row(Institution, institution_row) if institution_row[0] is not None else None
    )
    record.user = user
    # Record use at most once a minute, so a busy integration does not write on every call.
    if record.last_used_at is None or now - record.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
        record.last_used_at = now
    return record
