"""users.csv: people, matched by SIS id, made or brought up to date a chunk at a time through
accounts.services.users_upsert_many (never an admin: see accounts.services.user_change_refusal)."""

from django.utils.translation import gettext

from accounts.errors import AccountError
from accounts.models import User
from accounts.services import (
    UserWanted,
    invitable_new_people,
    invitations_create_many,
    users_account_admin_grant_many,
    users_upsert_many,
)
from pairing_portal.sql import one_of
from rostering.appliers.base import ImportRun
from rostering.models import RosterRecordKind
from rostering.provenance import Noted
from rostering.rows import USERS, BadRow, Row


def apply_users(run: ImportRun, name: str, rows: list[Row | BadRow]) -> None:
    run.file(name, USERS, len(rows))
    wanted: list[tuple[Row, UserWanted]] = []
    for row in run.good_rows(name, rows):
        user = _wanted(row.values)
        if isinstance(user, str):
            run.skip(name, row.number, user)
        else:
            wanted.append((row, user))
    inviting = bool(run.options.get("send_invitations"))
    known = (
        _known_sis_ids(run, [user for _row, user in wanted])
        if inviting or run.source is not None
        else set()
    )
    outcomes = users_upsert_many(
        institution=run.institution, rows=[user for _row, user in wanted], by=run.by
    )
    applied = []
    for (row, user), outcome in zip(wanted, outcomes, strict=True):
        if isinstance(outcome, AccountError):
            outcome = _refusal(outcome, user)
        else:
            applied.append((row, user, outcome is True and user.sis_user_id not in known))
        run.count_outcome(name, row.number, outcome)
    made = [user.sis_user_id for _row, user, new in applied if new]
    if inviting:
        _invite(run, made)
    if run.source is not None:
        _note_roster_source(run, applied)


def _note_roster_source(run: ImportRun, applied: list[tuple[Row, UserWanted, bool]]) -> None:
    """A roster source's records of its people (their school; whom it made), and, when the
    import is asked to, its administrators made account admins."""
    run.note(
        RosterRecordKind.USER,
        [
            Noted(
                key=user.sis_user_id,
                made=new,
                org_sourced_id=row.values.get("org_id", ""),
                org_name=row.values.get("org_name", ""),
            )
            for row, user, new in applied
            if user.is_active
        ],
    )
    if run.options.get("oneroster_admins"):
        users_account_admin_grant_many(
            institution_id=run.institution.pk,
            sis_user_ids=[
                user.sis_user_id
                for row, user, _new in applied
                if user.is_active and row.values.get("account_admin") == "true"
            ],
            by=run.by,
        )


def _known_sis_ids(run: ImportRun, users: list[UserWanted]) -> set[str]:
    """The chunk's SIS ids that already have someone, before it is applied (one query)."""
    return set(
        User.objects.filter(
            institution=run.institution, sis_user_id__in=one_of(u.sis_user_id for u in users)
        )
        .order_by()
        .values_list("sis_user_id", flat=True)
    )


def _invite(run: ImportRun, sis_user_ids: list[str]) -> None:
    """The "invite the new people" option: those the chunk made, in the chunk's transaction (a
    rolled-back chunk invites nobody; a dry run's invitations roll back with it)."""
    invitations_create_many(
        institution_id=run.institution.pk,
        user_ids=invitable_new_people(
            institution_id=run.institution.pk, sis_user_ids=sis_user_ids, by=run.by
        ),
        by=run.by,
        base_url=run.options.get("base_url", ""),
    )


def _wanted(values: dict[str, str]) -> UserWanted | str:
    """The person the row asks for, or why the row is skipped."""
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
    first, last = values.get("first_name", ""), values.get("last_name", "")
    name = values.get("full_name") or " ".join(part for part in (first, last) if part)
    if not name:
        return gettext("No name given for user %(user)s") % {"user": sis_id}
    return UserWanted(
        sis_user_id=sis_id,
        email=email,
        name=name,
        sortable_name=values.get("sortable_name")
        or (f"{last}, {first}" if first and last else None),
        short_name=values.get("short_name") or None,
        is_active=status == "active",
    )


def _refusal(error: AccountError, user: UserWanted) -> str:
    sis_id = user.sis_user_id
    if error.message == AccountError.EMAIL_INVALID:
        return gettext("The login %(login)s of user %(user)s is not an e-mail address") % {
            "login": repr(user.email),
            "user": sis_id,
        }
    if error.message == AccountError.NO_SUCH_USER:
        return gettext("Can't delete user %(user)s: no such user") % {"user": sis_id}
    if error.message == AccountError.CHANGE_ADMIN:
        return gettext(
            "user_id %(user)s is an administrator; change administrators in the portal"
        ) % {"user": sis_id}
    if error.message == AccountError.EMAIL_TAKEN:
        # Whoever holds it, here or at another institution: the message must not tell which.
        return gettext("The login %(login)s of user %(user)s is taken") % {
            "login": user.email,
            "user": sis_id,
        }
    return gettext("User %(user)s: %(problem)s") % {"user": sis_id, "problem": error.translated}
