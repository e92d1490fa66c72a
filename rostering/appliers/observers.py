"""user_observers.csv: observer links, applied in chunks through pairing's set-wise services (so a
district's links land in a few statements), row by row where a chunk fails."""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from accounts.models import User
from pairing.errors import PairingError
from pairing.models import ObserverLink, ObserverLinkSource
from pairing.services import observer_links_create_many, observer_links_remove_many
from pairing_portal.sql import one_of
from rostering.appliers.base import FileCounts, ImportRun
from rostering.models import RosterRecordKind
from rostering.provenance import Noted, record_key
from rostering.rows import USER_OBSERVERS, BadRow, Row

LINK_CHUNK = 1000


@dataclass
class _LinkRow:
    number: int
    active: bool
    pair: tuple[int, int]
    observer_sis: str
    student_sis: str


def apply_user_observers(run: ImportRun, name: str, rows: list[Row | BadRow]) -> None:
    counts = run.file(name, USER_OBSERVERS, len(rows))
    good = run.good_rows(name, rows)
    # Both ends are resolved by their active SIS login in the institution (Canvas).
    users = dict(
        User.objects.filter(
            institution=run.institution,
            is_active=True,
            sis_user_id__in=one_of(
                {
                    sis_id
                    for r in good
                    for sis_id in (r.values.get("observer_id"), r.values.get("student_id"))
                    if sis_id
                }
            ),
        )
        .order_by()
        .values_list("sis_user_id", "pk")
    )
    valid: list[_LinkRow] = []
    for row in good:
        observer_sis, student_sis = (
            row.values.get("observer_id", ""),
            row.values.get("student_id", ""),
        )
        status = (row.values.get("status") or "").lower()
        if not observer_sis:
            message = gettext("No observer_id given for a user observer")
        elif not student_sis:
            message = gettext("No student_id given for a user observer")
        elif status not in ("active", "deleted"):
            message = gettext('Improper status "%(status)s" for a user_observer') % {
                "status": row.values.get("status")
            }
        elif observer_sis == student_sis:
            message = gettext("Can't observe yourself user %(user)s") % {"user": observer_sis}
        elif observer_sis not in users:
            message = gettext("An observer referenced a non-existent user %(user)s") % {
                "user": observer_sis
            }
        elif student_sis not in users:
            message = gettext("A student referenced a non-existent user %(user)s") % {
                "user": student_sis
            }
        elif status == "active" and run.by is not None and users[observer_sis] == run.by.pk:
            # As on the admin pages (observer_link_create_by_admin): nobody links themself as an
            # observer without a code, whatever the file says.
            message = gettext(
                "observer_id %(user)s is your own account: an import can't make you an observer"
            ) % {"user": observer_sis}
        else:
            pair = (users[observer_sis], users[student_sis])
            valid.append(_LinkRow(row.number, status == "active", pair, observer_sis, student_sis))
            continue
        run.skip(name, row.number, message)
    for chunk in _chunks(valid):
        _apply_links(run, name, counts, chunk)


def _chunks(rows: list[_LinkRow]):
    """Runs of at most LINK_CHUNK rows in which no pair repeats, so rows apply in file order."""
    chunk: list[_LinkRow] = []
    seen: set[tuple[int, int]] = set()
    for row in rows:
        if len(chunk) >= LINK_CHUNK or row.pair in seen:
            yield chunk
            chunk, seen = [], set()
        chunk.append(row)
        seen.add(row.pair)
    if chunk:
        yield chunk


def _apply_links(run: ImportRun, name: str, counts: FileCounts, chunk: list[_LinkRow]) -> None:
    institution_id = run.institution.pk
    try:
        with transaction.atomic():
            changed = observer_links_create_many(
                institution_id=institution_id,
                pairs=[r.pair for r in chunk if r.active],
                by=run.by,
                source=ObserverLinkSource.SIS_IMPORT,
            )
            changed |= observer_links_remove_many(
                institution_id=institution_id,
                pairs=[r.pair for r in chunk if not r.active],
                by=run.by,
            )
    except (IntegrityError, PairingError):
        # Something no row check foresaw: apply this chunk row by row to find the culprit.
        if len(chunk) == 1:
            _skip_failed(run, name, chunk[0])
        else:
            for row in chunk:
                _apply_links(run, name, counts, [row])
        return
    deleted_before = _links_deleted_before(
        institution_id, [r.pair for r in chunk if not r.active and r.pair not in changed]
    )
    run.note(
        RosterRecordKind.LINK,
        [
            Noted(key=record_key(row.observer_sis, row.student_sis), made=row.pair in changed)
            for row in chunk
            if row.active
        ],
    )
    for row in chunk:
        if row.pair in changed:
            counts.changed += 1
        elif row.active or row.pair in deleted_before:
            counts.unchanged += 1
        else:
            run.skip(
                name,
                row.number,
                gettext(
                    "Can't delete a non-existent observer for observer: %(observer)s, "
                    "student: %(student)s"
                )
                % {"observer": row.observer_sis, "student": row.student_sis},
            )


def _skip_failed(run: ImportRun, name: str, row: _LinkRow) -> None:
    run.skip(
        name,
        row.number,
        gettext("Could not link observer %(observer)s to student %(student)s")
        % {"observer": row.observer_sis, "student": row.student_sis},
    )


def _links_deleted_before(
    institution_id: int, pairs: list[tuple[int, int]]
) -> set[tuple[int, int]]:
    """Pairs whose link exists but was already removed: deleting them again changes nothing."""
    if not pairs:
        return set()
    observers = {observer for observer, _student in pairs}
    rows = ObserverLink.objects.filter(
        institution_id=institution_id, observer_id__in=observers
    ).values_list("observer_id", "student_id")
    return set(rows) & set(pairs)
