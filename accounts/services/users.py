"""Users: making one, their names and login, and who may change them."""

import re

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from accounts.audit import audit_record
from accounts.errors import AccountError, PasswordRefused
from accounts.models import (
    AuditAction,
    Institution,
    User,
)
from accounts.names import short_name_for, sortable_name_for
from accounts.permissions import is_institution_admin
from accounts.services.invitation_links import invitations_after_login_changes
from accounts.time_zones import is_time_zone

# Unicode's control characters (category Cc): C0, DEL and C1.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


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
    if len(email.strip()) > User._meta.get_field("email").max_length:
        raise AccountError(AccountError.EMAIL_INVALID)  # valid, but longer than we can keep
    _check_names(values)


def _check_names(values: list[str | None]) -> None:
    present = [value for value in values if value is not None]
    if any(len(value.strip()) > User.NAME_MAX_LENGTH for value in present):
        raise AccountError(AccountError.TOO_LONG)
    # Line breaks and other control characters: a name appears in e-mail headers and CSV files.
    if any(_CONTROL.search(value.strip()) for value in present):
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
    password-reset links already sent (Django's reset tokens hash the e-mail); a new e-mail or a
    deactivation withdraws their invitations (invitations_after_login_changes).
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
            invitations_after_login_changes(
                changes=[(user.pk, {field: wanted[field] for field in changed})]
            )
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


def _account_error_for(error: IntegrityError) -> AccountError:
    constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None)
    # The plain unique index (Django's, for auth checks) catches an exact repeat first.
    if constraint in ("user_email_unique_ci", "accounts_user_email_key"):
        return AccountError(AccountError.EMAIL_TAKEN)
    if constraint == "user_sis_id_unique_in_institution":
        return AccountError(AccountError.SIS_ID_TAKEN)
    raise error
