"""Users made or brought up to date by the thousand (a roster import), under the same rules as one.

``users_upsert_many`` is the set-wise form of ``user_create`` and ``user_update``: the same checks
in Python, the same refusals (``user_change_refusal``: never an admin, staff or operator, nor
anyone the actor may not change), the same audit events, but one ``INSERT … ON CONFLICT`` for the
new people and one ``UPDATE`` for the changed ones, however many. Rows apply in order: a run of
rows in which no SIS id and no login repeats is written at once; where a row's outcome could
depend on another row of its run (a login handed from one person to another), that run is applied
row by row through ``user_create`` and ``user_update``, as it always was.
"""

import json
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import IntegrityError, connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.audit import audit_record_many
from accounts.errors import AccountError
from accounts.models import AuditAction, Institution, User
from accounts.names import short_name_for, sortable_name_for
from accounts.services.invitation_links import invitations_after_login_changes
from accounts.services.users import (
    _check_login_and_lengths,
    user_change_refusal,
    user_create,
    user_update,
)
from pairing_portal.sql import one_of

# What became of a row: True, it changed something; False, nothing needed changing; or the
# AccountError that refused it.
Outcome = bool | AccountError

_FIELDS = ("email", "name", "sortable_name", "short_name", "is_active")


@dataclass(frozen=True)
class UserWanted:
    """A person as a roster file gives them, matched by SIS id within the institution."""

    sis_user_id: str
    email: str
    name: str
    sortable_name: str | None = None
    short_name: str | None = None
    is_active: bool = True


def users_upsert_many(
    *, institution: Institution, rows: Sequence[UserWanted], by: User | None
) -> list[Outcome]:
    """Make the people of ``rows`` not yet at the institution and bring the others up to date,
    as if each row were applied in turn; returns what became of each row.

    A row for an unknown SIS id that asks for a deactivated account is refused (NO_SUCH_USER):
    nobody is made only to be switched off. Must run inside a transaction (the caller's chunk).
    """
    outcomes: list[Outcome | None] = [None] * len(rows)
    for run in _runs(rows):
        try:
            with transaction.atomic():
                _upsert_run(institution, rows, run, outcomes, by=by)
        except (_OneByOne, IntegrityError):
            # Rolled back to the run's start: its rows go one by one, in file order.
            for index in run:
                outcomes[index] = _upsert_one(institution, rows[index], by=by)
    return outcomes  # type: ignore[return-value]


class _OneByOne(Exception):
    """A run whose rows must be applied one at a time to come out as they would in turn."""


def _runs(rows: Sequence[UserWanted]) -> Iterator[list[int]]:
    """Indexes of consecutive rows in which no SIS id and no login repeats."""
    run: list[int] = []
    seen: set[str] = set()
    for index, row in enumerate(rows):
        keys = {"sis:" + row.sis_user_id, "login:" + row.email.strip().lower()}
        if seen & keys:
            yield run
            run, seen = [], set()
        run.append(index)
        seen |= keys
    if run:
        yield run


def _wanted(row: UserWanted) -> dict[str, object]:
    """The row's fields as they would be stored, or AccountError (the checks of user_create)."""
    name = row.name.strip()
    if not name:
        raise AccountError(AccountError.NAME_REQUIRED)
    _check_login_and_lengths(
        email=row.email, values=[name, row.short_name, row.sortable_name, row.sis_user_id]
    )
    return {
        "email": User.objects.normalize_email(row.email.strip()),
        "name": name,
        "sortable_name": (row.sortable_name or "").strip() or sortable_name_for(name),
        "short_name": (row.short_name or "").strip() or short_name_for(name),
        "is_active": row.is_active,
    }


def _upsert_run(
    institution: Institution,
    rows: Sequence[UserWanted],
    run: list[int],
    outcomes: list[Outcome | None],
    *,
    by: User | None,
) -> None:
    wanted: dict[int, dict[str, object]] = {}
    for index in run:
        try:
            wanted[index] = _wanted(rows[index])
        except AccountError as error:
            outcomes[index] = error
    known = {
        user.sis_user_id: user
        for user in User.objects.filter(
            institution=institution,
            sis_user_id__in=one_of(rows[index].sis_user_id.strip() for index in wanted),
        )
        .order_by()
        .only(
            "institution_id",
            "sis_user_id",
            *_FIELDS,
            "is_account_admin",
            "is_staff",
            "is_superuser",
        )
    }
    creates: dict[int, dict[str, object]] = {}
    updates: dict[int, tuple[User, dict[str, object]]] = {}
    for index, fields in wanted.items():
        user = known.get(rows[index].sis_user_id.strip())
        if user is None:
            if fields["is_active"]:
                creates[index] = fields
            else:
                outcomes[index] = AccountError(AccountError.NO_SUCH_USER)
            continue
        changed = {name: value for name, value in fields.items() if getattr(user, name) != value}
        refusal = user_change_refusal(actor=by, subject=user) if changed else None
        if not changed:
            outcomes[index] = False
        elif refusal is not None:
            outcomes[index] = AccountError(refusal)
        else:
            updates[index] = (user, changed)
    _refuse_logins_taken(creates, updates, outcomes)
    _insert(institution, rows, creates, outcomes)
    _update(updates, outcomes, by=by)


def _refuse_logins_taken(
    creates: dict[int, dict[str, object]],
    updates: dict[int, tuple[User, dict[str, object]]],
    outcomes: list[Outcome | None],
) -> None:
    """A login held by someone else is refused, as the database would refuse it; unless its
    holder gives it up in this very run, when only applying the rows in turn tells."""
    asked = {index: str(fields["email"]).lower() for index, fields in creates.items()}
    asked |= {
        index: str(changed["email"]).lower()
        for index, (_user, changed) in updates.items()
        if "email" in changed
    }
    if not asked:
        return
    holders = dict(
        User.objects.annotate(login=Lower("email"))
        .filter(login__in=one_of(set(asked.values())))
        .order_by()
        .values_list("login", "pk")
    )
    giving_up = {user.pk for user, changed in updates.values() if "email" in changed}
    for index, login in asked.items():
        holder = holders.get(login)
        own = updates[index][0].pk if index in updates else None
        if holder is None or holder == own:
            continue
        if holder in giving_up:
            raise _OneByOne
        outcomes[index] = AccountError(AccountError.EMAIL_TAKEN)
        creates.pop(index, None)
        updates.pop(index, None)


def _insert(
    institution: Institution,
    rows: Sequence[UserWanted],
    creates: dict[int, dict[str, object]],
    outcomes: list[Outcome | None],
) -> None:
    if not creates:
        return
    indexes = list(creates)
    new = [
        {
            # Login-less, as user_create makes them without a password (make_password(None)
            # draws its 40 characters one by one: too slow by the thousand).
            "password": UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30),
            "sis_user_id": rows[index].sis_user_id.strip(),
            **{name: creates[index][name] for name in _FIELDS[:4]},
        }
        for index in indexes
    ]
    table = User._meta.db_table
    with connection.cursor() as cursor:
        # The rows as one JSON document: PostgreSQL reads it faster than psycopg writes arrays.
        cursor.execute(
            f"""
            INSERT INTO {table} (password, is_superuser, email, name, sortable_name, short_name,
                sis_user_id, is_account_admin, is_active, is_staff, created_at, institution_id,
                time_zone)
            SELECT new.password, false, new.email, new.name, new.sortable_name, new.short_name,
                new.sis_user_id, false, true, false, %s, %s, ''
            FROM json_to_recordset(%s::json) AS new(password text, email text, name text,
                sortable_name text, short_name text, sis_user_id text)
            ON CONFLICT DO NOTHING
            RETURNING sis_user_id
            """,  # noqa: S608 - the table name is ours; every value is a parameter
            [timezone.now(), institution.pk, json.dumps(new)],
        )
        made = {sis_id for (sis_id,) in cursor.fetchall()}
    if len(made) != len(indexes):
        raise _OneByOne  # someone else took a login or SIS id meanwhile: each row says which
    for index in indexes:
        outcomes[index] = True


def _update(
    updates: dict[int, tuple[User, dict[str, object]]],
    outcomes: list[Outcome | None],
    *,
    by: User | None,
) -> None:
    if not updates:
        return
    users = [user for user, _changed in updates.values()]
    values = {
        name: [changed.get(name, getattr(user, name)) for user, changed in updates.values()]
        for name in _FIELDS
    }
    table = User._meta.db_table
    # As _user_change: the refusal above saw the rows as read at the chunk's start; made an admin
    # or operator since, a person is refused by the statement that writes.
    only_people = (
        ""
        if by is not None and by.is_superuser
        else "AND NOT (u.is_account_admin OR u.is_staff OR u.is_superuser)"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table} AS u SET email = new.email, name = new.name,
                sortable_name = new.sortable_name, short_name = new.short_name,
                is_active = new.is_active
            FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[],
                %s::boolean[]) AS new(id, email, name, sortable_name, short_name, is_active)
            WHERE u.id = new.id {only_people}
            RETURNING u.id
            """,  # noqa: S608 - the table name and the condition are ours; values are parameters
            [[user.pk for user in users], *values.values()],
        )
        written = {user_id for (user_id,) in cursor.fetchall()}
    emails, activity, changes = [], {True: [], False: []}, []
    for index, (user, changed) in updates.items():
        if user.pk not in written:
            outcomes[index] = AccountError(AccountError.CHANGE_ADMIN)
            continue
        outcomes[index] = True
        changes.append((user.pk, changed))
        if "email" in changed:
            emails.append((user.pk, {"from": user.email, "to": changed["email"]}))
        if "is_active" in changed:
            activity[bool(changed["is_active"])].append(
                (user.pk, {"from": user.is_active, "to": changed["is_active"]})
            )
    institution_id = users[0].institution_id
    for action, entries in (
        (AuditAction.EMAIL_CHANGED, emails),
        (AuditAction.USER_REACTIVATED, activity[True]),
        (AuditAction.USER_DEACTIVATED, activity[False]),
    ):
        audit_record_many(action=action, institution_id=institution_id, actor=by, entries=entries)
    invitations_after_login_changes(changes=changes)


def _upsert_one(institution: Institution, row: UserWanted, *, by: User | None) -> Outcome:
    """One row alone, through user_create or user_update, in a savepoint of its own."""
    user = User.objects.filter(institution=institution, sis_user_id=row.sis_user_id.strip()).first()
    try:
        with transaction.atomic():
            if user is None:
                if not row.is_active:
                    return AccountError(AccountError.NO_SUCH_USER)
                user_create(
                    institution=institution,
                    email=row.email,
                    name=row.name,
                    sis_user_id=row.sis_user_id,
                    sortable_name=row.sortable_name,
                    short_name=row.short_name,
                )
                return True
            return user_update(
                user=user,
                email=row.email,
                name=row.name,
                sortable_name=row.sortable_name,
                short_name=row.short_name,
                is_active=row.is_active,
                by=by,
            )
    except AccountError as error:
        return error


def users_account_admin_grant_many(
    *, institution_id: int, sis_user_ids: Sequence[str], by: User | None
) -> list[int]:
    """Make the institution's active people with these SIS ids account admins (a roster import
    asked to make its administrators admins: an option its admin chose). Staff and operators are
    left as they are. Returns the ids of those made admins; each gets an audit event."""
    if not sis_user_ids:
        return []
    made = list(
        User.objects.filter(
            institution_id=institution_id,
            sis_user_id__in=one_of(set(sis_user_ids)),
            is_active=True,
            is_account_admin=False,
            is_staff=False,
            is_superuser=False,
        )
        .order_by()
        .values_list("pk", flat=True)
    )
    User.objects.filter(pk__in=made, is_account_admin=False).update(is_account_admin=True)
    audit_record_many(
        action=AuditAction.ADMIN_GRANTED,
        institution_id=institution_id,
        actor=by,
        entries=[(user_id, {}) for user_id in made],
    )
    return made
