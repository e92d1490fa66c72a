"""Writes to users, institutions and the permission table. Every entry point calls these."""

import hashlib
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.audit import audit_record, current_context
from accounts.errors import AccountError, AttemptsPaused, LoginProofRequired, PasswordRefused
from accounts.models import (
    MAX_CODE_LIFETIME_DAYS,
    MIN_CODE_LIFETIME_DAYS,
    ActAsSession,
    ApiToken,
    AuditAction,
    Institution,
    RolePermission,
    SelfRegistration,
    User,
)
from accounts.names import short_name_for, sortable_name_for
from accounts.permissions import is_institution_admin, user_has_permission
from accounts.roles import PERMISSION_RULES, Permission, Role
from accounts.throttle import (
    Attempt,
    Check,
    ProofOfWork,
    address_rules,
    every_attempt,
    limit_from_settings,
    limited_attempt,
)
from accounts.time_zones import is_time_zone
from accounts.tokens import token_generate, token_hash


def institution_create(
    *, name: str, self_registration: SelfRegistration = SelfRegistration.NONE
) -> Institution:
    return Institution.objects.create(name=name.strip(), self_registration=self_registration)


def user_create(
    *,
    institution: Institution,
    email: str,
    name: str,
    password: str | None = None,
    sis_user_id: str | None = None,
    short_name: str | None = None,
    sortable_name: str | None = None,
    is_account_admin: bool = False,
) -> User:
    """Make a user who logs in with ``email``. ``password=None`` makes a login-less account; a
    password must pass the password policy (``password_policy_check``)."""
    if password is not None:
        password_policy_check(password=password, name=name, email=email)
    name = name.strip()
    if not name:
        raise AccountError(AccountError.NAME_REQUIRED)
    _check_login_and_lengths(email=email, values=[name, short_name, sortable_name, sis_user_id])
    try:
        # A savepoint, so that a caller's transaction survives the duplicate we turn into an error.
        with transaction.atomic():
            return User.objects.create_user(
                email,
                password,
                institution=institution,
                name=name,
                short_name=(short_name or "").strip() or short_name_for(name),
                sortable_name=(sortable_name or "").strip() or sortable_name_for(name),
                sis_user_id=(sis_user_id or "").strip() or None,
                is_account_admin=is_account_admin,
            )
    except IntegrityError as error:
        raise _account_error_for(error) from error


def password_policy_check(*, password: str, name: str, email: str) -> None:
    """``PasswordRefused`` where the password policy refuses ``password`` for a person of that name
    and e-mail; forms call it too, to show the problem beside the field before anything else."""
    try:
        # An unsaved user, so that a password close to the name or e-mail is refused.
        validate_password(password, user=User(name=name, email=email))
    except ValidationError as error:
        raise PasswordRefused(error.messages) from None


def _check_login_and_lengths(*, email: str, values: list[str | None]) -> None:
    try:
        validate_email(email.strip())
    except ValidationError:
        raise AccountError(AccountError.EMAIL_INVALID) from None
    _check_names(values)


def _check_names(values: list[str | None]) -> None:
    present = [value for value in values if value is not None]
    if any(len(value.strip()) > User.NAME_MAX_LENGTH for value in present):
        raise AccountError(AccountError.TOO_LONG)
    # Line breaks and other control characters: a name appears in e-mail headers and CSV files.
    if any(unicodedata.category(char) == "Cc" for value in present for char in value.strip()):
        raise AccountError(AccountError.NAME_HAS_CONTROL_CHARACTERS)


def user_profile_update(
    *,
    user: User,
    name: str,
    short_name: str,
    sortable_name: str,
    time_zone: str | None = None,
) -> User:
    """Change the names a user is shown by; blank short or sortable names are derived from name.

    ``time_zone`` is an IANA name, or "" for the portal's default; None leaves it as it is.
    """
    name = name.strip()
    if not name:
        raise AccountError(AccountError.NAME_REQUIRED)
    _check_names([name, short_name, sortable_name])
    fields = ["name", "short_name", "sortable_name"]
    if time_zone is not None:
        time_zone = time_zone.strip()
        if time_zone and not is_time_zone(time_zone):
            raise AccountError(AccountError.TIME_ZONE_INVALID)
        user.time_zone = time_zone
        fields.append("time_zone")
    user.name = name
    user.short_name = short_name.strip() or short_name_for(name)
    user.sortable_name = sortable_name.strip() or sortable_name_for(name)
    user.save(update_fields=fields)
    return user


def user_change_refusal(*, actor: User | None, subject: User) -> str | None:
    """Why ``actor`` may not change ``subject``'s login, names or active state, or None.

    ``actor=None`` is a command an operator runs (an SIS import from the shell). Account admins,
    staff and superusers are changed only by a platform operator signed in as a superuser (the
    Django admin): never by a file or a command, whoever runs it, and never by another admin, who
    could otherwise give the account's login to an address of their own. An admin may change the
    other people of their own institution, and nobody else.
    """
    if actor is not None and actor.is_superuser:
        return None
    if subject.is_account_admin or subject.is_staff or subject.is_superuser:
        return AccountError.CHANGE_ADMIN
    if actor is None or is_institution_admin(actor, subject.institution_id):
        return None
    return AccountError.CHANGE_NOT_ALLOWED


def user_update(
    *,
    user: User,
    email: str,
    name: str,
    sortable_name: str | None = None,
    short_name: str | None = None,
    is_active: bool = True,
    by: User | None,
) -> bool:
    """Bring a user's login and names up to date (an SIS import); returns whether anything changed.

    Refused (AccountError) where ``by`` may not change ``user`` (user_change_refusal); nothing is
    checked or written when nothing would change.
    """
    name = name.strip()
    if not name:
        raise AccountError(AccountError.NAME_REQUIRED)
    _check_login_and_lengths(email=email, values=[name, short_name, sortable_name])
    wanted = {
        "email": User.objects.normalize_email(email.strip()),
        "name": name,
        "sortable_name": (sortable_name or "").strip() or sortable_name_for(name),
        "short_name": (short_name or "").strip() or short_name_for(name),
        "is_active": is_active,
    }
    return _user_change(user=user, wanted=wanted, by=by)


def user_login_set(*, user: User, email: str, is_active: bool, by: User | None) -> bool:
    """Change the e-mail ``user`` logs in with and whether they may log in (the Django admin,
    commands); returns whether anything changed. Refused as user_update is."""
    _check_login_and_lengths(email=email, values=[])
    wanted = {"email": User.objects.normalize_email(email.strip()), "is_active": is_active}
    return _user_change(user=user, wanted=wanted, by=by)


def _user_change(*, user: User, wanted: dict[str, object], by: User | None) -> bool:
    """Write the fields of ``wanted`` that differ, with an audit event for a new login e-mail and
    for a deactivation or reactivation: at most three statements, none when nothing differs.

    A new e-mail also ends the user's sessions (User.get_session_auth_hash covers it) and the
    password-reset links already sent (Django's reset tokens hash the e-mail).
    """
    changed = [field for field, value in wanted.items() if getattr(user, field) != value]
    if not changed:
        return False
    refusal = user_change_refusal(actor=by, subject=user)
    if refusal is not None:
        raise AccountError(refusal)
    rows = User.objects.filter(pk=user.pk)
    if by is None or not by.is_superuser:
        # The check above saw the row as the caller read it (an import reads a whole file's users
        # first); made an admin or operator since, the user is refused by the statement that writes.
        rows = rows.filter(is_account_admin=False, is_staff=False, is_superuser=False)
    previous = {field: getattr(user, field) for field in changed}
    for field in changed:
        setattr(user, field, wanted[field])
    try:
        with transaction.atomic():
            if not rows.update(**{field: wanted[field] for field in changed}):
                raise AccountError(AccountError.CHANGE_ADMIN)
            _record_login_changes(user=user, previous=previous, by=by)
    except (IntegrityError, AccountError) as error:
        for field, value in previous.items():  # the caller's object still shows the stored row
            setattr(user, field, value)
        if isinstance(error, AccountError):
            raise
        raise _account_error_for(error) from error
    return True


def _record_login_changes(*, user: User, previous: dict[str, object], by: User | None) -> None:
    events = []
    if "email" in previous:
        events.append((AuditAction.EMAIL_CHANGED, {"from": previous["email"], "to": user.email}))
    if "is_active" in previous:
        action = AuditAction.USER_REACTIVATED if user.is_active else AuditAction.USER_DEACTIVATED
        events.append((action, {"from": previous["is_active"], "to": user.is_active}))
    for action, details in events:
        audit_record(
            action=action,
            institution=user.institution_id,
            actor=by,
            subject=user,
            details=details,
        )


def institution_self_registration_set(
    *, institution: Institution, value: SelfRegistration, by: User | None
) -> Institution:
    _require_admin_of(institution, by)
    before = institution.self_registration
    institution.self_registration = SelfRegistration(value)
    institution.save(update_fields=["self_registration"])
    if before != institution.self_registration:
        audit_record(
            action=AuditAction.SELF_REGISTRATION_CHANGED,
            institution=institution,
            actor=by,
            details={"from": before, "to": institution.self_registration},
        )
    return institution


def institution_pairing_settings_set(
    *,
    institution: Institution,
    code_lifetime_days: int,
    students_may_remove_observers: bool,
    by: User | None,
) -> Institution:
    """How long new pairing codes last (1 to 30 days) and whether students may remove their own
    observers. Codes already made keep the expiry they were made with."""
    _require_admin_of(institution, by)
    if not MIN_CODE_LIFETIME_DAYS <= code_lifetime_days <= MAX_CODE_LIFETIME_DAYS:
        raise AccountError(AccountError.CODE_LIFETIME_OUT_OF_RANGE)
    wanted = {
        "pairing_code_lifetime_days": code_lifetime_days,
        "students_may_remove_observers": students_may_remove_observers,
    }
    before = {field: getattr(institution, field) for field in wanted}
    changed = [field for field, value in wanted.items() if before[field] != value]
    if changed:
        for field in changed:
            setattr(institution, field, wanted[field])
        institution.save(update_fields=changed)
        audit_record(
            action=AuditAction.PAIRING_SETTINGS_CHANGED,
            institution=institution,
            actor=by,
            details={field: {"from": before[field], "to": wanted[field]} for field in changed},
        )
    return institution


@transaction.atomic
def role_permission_set(
    *,
    institution: Institution,
    role: Role,
    permission: Permission,
    enabled: bool,
    by: User | None,
) -> RolePermission:
    """Switch ``permission`` on or off for ``role`` at ``institution``.

    ``by=None`` is for set-up commands (seed_demo, a SIS import run by an operator); a person must be
    an admin of the institution.
    """
    _require_admin_of(institution, by)
    if role not in PERMISSION_RULES[permission].configurable_roles:
        raise AccountError(AccountError.PERMISSION_NOT_CONFIGURABLE)
    row, _created = RolePermission.objects.update_or_create(
        institution=institution,
        role=role,
        permission=permission,
        defaults={"enabled": enabled, "updated_by": by, "updated_at": timezone.now()},
    )
    audit_record(
        action=AuditAction.PERMISSION_CHANGED,
        institution=institution,
        actor=by,
        details={"role": str(role), "permission": str(permission), "enabled": enabled},
    )
    return row


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


# --- Limits on log-ins and password resets --------------------------------------------------------


def login_proof_purpose(username: str) -> str:
    """What a proof of work for a log-in to ``username`` (as typed) is bound to."""
    return f"login:{_login_digest(username.strip().lower())}"


@contextmanager
def login_attempt(*, username: str, proof: str | None) -> Iterator[Attempt]:
    """One log-in to ``username``, for the portal's and the admin's forms; the body checks the
    password, and Django's forms say a wrong one with a ValidationError coded "invalid_login".

    Wrong passwords for one account from one address pause that pair (``AttemptsPaused``): while
    paused, even the right password from there is refused (a guesser could otherwise go on testing
    passwords and learn the right one from the different answer). An address or a network guessing
    many accounts is stopped. An account failing from many addresses is not locked: every log-in
    to it (the right password from anywhere included) must then carry a proof of work
    (``LoginProofRequired``), so that strangers cannot lock a teacher out and a guesser pays for
    every guess. Once a wrong password asked for proofs, ``attempt.status.proof_required`` says so.
    """
    username = username.strip().lower()
    purpose = login_proof_purpose(username)
    with limited_attempt(
        _login_limits(username),
        refused=lambda until: AttemptsPaused(AttemptsPaused.LOGINS, until=until),
        counts=_wrong_passwords,
        on_failure=lambda attempt, error: _count_failed_login(attempt, error, username=username),
        proof=ProofOfWork(
            payload=proof, purpose=purpose, missing=lambda: LoginProofRequired(purpose=purpose)
        ),
    ) as attempt:
        yield attempt


def _is_wrong_password(error: Exception) -> bool:
    return isinstance(error, ValidationError) and error.code == "invalid_login"


def _wrong_passwords(error: Exception | None) -> bool:
    """A wrong password counts; a form's other complaints do not; an error nobody expected leaves
    the attempt counted."""
    if isinstance(error, ValidationError):
        return _is_wrong_password(error)
    return error is not None


def _count_failed_login(attempt: Attempt, error: Exception, *, username: str) -> None:
    if not _is_wrong_password(error):
        return
    institution_id = (
        User.objects.filter(email__iexact=username).values_list("institution_id", flat=True).first()
    )
    audit_record(
        action=AuditAction.LOGIN_FAILED,
        institution=institution_id,
        actor=None,
        details={"login": username[:254]},
    )
    status = attempt.failed()
    if status.refused_until is not None:
        audit_record(
            action=AuditAction.PAUSED,
            institution=institution_id,
            actor=None,
            details={"what": "log-in", "login": username[:254]},
        )


def _login_digest(username: str) -> str:
    # A digest, so any typed name makes a short key and no e-mail address is stored with it.
    return hashlib.sha256(username.encode()).hexdigest()[:32]


def _login_limits(username: str) -> Check:
    digest = _login_digest(username)
    address = current_context().client_address
    rules = [
        (
            f"login:account:{digest}:hour",
            limit_from_settings("LOGIN_FAILURES_PER_ACCOUNT_PER_HOUR", proof_only=True),
        ),
        *address_rules(
            "login",
            address,
            per_address="LOGIN_FAILURES_PER_ADDRESS_PER_DAY",
            per_network="LOGIN_FAILURES_PER_NETWORK_PER_DAY",
        ),
    ]
    # Without an address (a proxy misconfigured), every such client is one for the account.
    pair = f"login:account:{digest}:address:{address or 'unknown'}"
    rules += [
        (
            f"{pair}:pause",
            limit_from_settings("LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS_PAUSE", pause=True),
        ),
        (f"{pair}:day", limit_from_settings("LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS_PER_DAY")),
    ]
    return Check(rules=tuple(rules))


def password_reset_count() -> None:
    """Count one password-reset request from the client's address, so that nobody can flood
    someone's inbox; past the limit, ``AttemptsPaused`` and no e-mail."""
    address = current_context().client_address
    if not address:
        return
    limits = Check(
        rules=(
            (
                f"reset:address:{address}:day",
                limit_from_settings("PASSWORD_RESETS_PER_ADDRESS_PER_DAY"),
            ),
        )
    )
    with limited_attempt(
        limits,
        refused=lambda until: AttemptsPaused(AttemptsPaused.PASSWORD_RESETS, until=until),
        counts=every_attempt,
    ):
        pass  # requests are limited like failures: each one counts, whatever comes of it


def _require_admin_of(institution: Institution, by: User | None) -> None:
    if by is not None and not is_institution_admin(by, institution.pk):
        raise AccountError(AccountError.NOT_AN_ADMIN)


def _account_error_for(error: IntegrityError) -> AccountError:
    constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None)
    # The plain unique index (Django's, for auth checks) catches an exact repeat first.
    if constraint in ("user_email_unique_ci", "accounts_user_email_key"):
        return AccountError(AccountError.EMAIL_TAKEN)
    if constraint == "user_sis_id_unique_in_institution":
        return AccountError(AccountError.SIS_ID_TAKEN)
    raise error
