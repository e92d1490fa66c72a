"""users.csv: people, matched by SIS id, made or brought up to date (never an admin: see
accounts.services.user_change_refusal)."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext

from accounts.errors import AccountError
from accounts.models import User
from accounts.services import invitation_create, user_create, user_update
from rostering.appliers.base import CHANGED, UNCHANGED, ImportRun, users_by_sis_id
from rostering.sis_csv import SisFile


def apply_users(run: ImportRun, sis_file: SisFile) -> None:
    run.start(sis_file)
    rows = run.good_rows(sis_file)
    # users.csv may bring a deactivated user back, so it looks at everyone.
    known = users_by_sis_id(
        run.institution, (r.values.get("user_id") for r in rows), active_only=False
    )
    run.apply_each(sis_file, rows, lambda values: _apply_user(run, values, known))


def _apply_user(run: ImportRun, values: dict[str, str], known: dict[str, User]) -> str:
    """CHANGED, UNCHANGED, or why the row was skipped."""
    sis_id = values.get("user_id", "")
    if not sis_id:
        return gettext("No user_id given for a user")
    status = (values.get("status") or "active").lower()
    if status not in ("active", "deleted"):
        return gettext('Improper status "%(status)s" for user %(user)s') % {
            "status": values.get("status"),
            "user": sis_id,
        }
    login = values.get("login_id", "")
    email = login if "@" in login else values.get("email", "")
    if not email and login:
        return gettext(
            'The login_id "%(login)s" of user %(user)s is not an e-mail address, and no email is given'
        ) % {"login": login, "user": sis_id}
    if not email:
        return gettext("No login_id or email given for user %(user)s") % {"user": sis_id}
    try:
        validate_email(email)
    except ValidationError:
        return gettext("The login %(login)s of user %(user)s is not an e-mail address") % {
            "login": repr(email),
            "user": sis_id,
        }
    first, last = values.get("first_name", ""), values.get("last_name", "")
    name = values.get("full_name") or " ".join(part for part in (first, last) if part)
    if not name:
        return gettext("No name given for user %(user)s") % {"user": sis_id}
    sortable = f"{last}, {first}" if first and last else None
    user = known.get(sis_id)
    try:
        with transaction.atomic():
            if user is None:
                if status == "deleted":
                    return gettext("Can't delete user %(user)s: no such user") % {"user": sis_id}
                known[sis_id] = user_create(
                    institution=run.institution,
                    email=email,
                    name=name,
                    sis_user_id=sis_id,
                    sortable_name=sortable,
                )
                if run.send_invitations:
                    invitation_create(person=known[sis_id], by=run.by, base_url=run.base_url)
                return CHANGED
            changed = user_update(
                user=user,
                email=email,
                name=name,
                sortable_name=sortable,
                is_active=status == "active",
                by=run.by,
            )
            return CHANGED if changed else UNCHANGED
    except AccountError as error:
        if error.message == AccountError.CHANGE_ADMIN:
            return gettext(
                "user_id %(user)s is an administrator; change administrators in the portal"
            ) % {"user": sis_id}
        if error.message == AccountError.EMAIL_TAKEN:
            # Whoever holds it, here or at another institution: the message must not tell which.
            return gettext("The login %(login)s of user %(user)s is taken") % {
                "login": email,
                "user": sis_id,
            }
        return gettext("User %(user)s: %(problem)s") % {"user": sis_id, "problem": error.translated}
