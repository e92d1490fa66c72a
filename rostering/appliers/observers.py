"""user_observers.csv: observer links, applied in chunks through pairing's bulk services (so a
district's links land in a few statements), row by row where a chunk fails."""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from pairing.errors import PairingError
from pairing.models import ObserverLink, ObserverLinkSource
from pairing.services import observer_links_create_many, observer_links_remove_many
from rostering.appliers.base import FileCounts, ImportRun, users_by_sis_id
from rostering.sis_csv import SisFile

LINK_CHUNK = 1000


@dataclass
class _LinkRow:
    number: int
    active: bool
    pair: tuple[int, int]
    observer_sis: str
    student_sis: str


def apply_user_observers(run: ImportRun, sis_file: SisFile) -> None:
    counts = run.start(sis_file)
    rows = run.good_rows(sis_file)
    users = users_by_sis_id(
        run.institution,
        [r.values.get("observer_id") for r in rows] + [r.values.get("student_id") for r in rows],
    )
    valid: list[_LinkRow] = []
    for row in rows:
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
        else:
            pair = (users[observer_sis].pk, users[student_sis].pk)
            valid.append(_LinkRow(row.number, status == "active", pair, observer_sis, student_sis))
            continue
        run.skip(sis_file, row.number, message)
    done = len(sis_file.rows) - len(valid)  # rows already settled by the checks above
    for chunk in _chunks(valid):
        _apply_links(run, sis_file, counts, chunk)
        done += len(chunk)
        run.report(sis_file, done)


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


def _apply_links(
    run: ImportRun, sis_file: SisFile, counts: FileCounts, chunk: list[_LinkRow]
) -> None:
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
            _skip_failed(run, sis_file, chunk[0])
        else:
            for row in chunk:
                _apply_links(run, sis_file, counts, [row])
        return
    deleted_before = _links_deleted_before(
        institution_id, [r.pair for r in chunk if not r.active and r.pair not in changed]
    )
    for row in chunk:
        if row.pair in changed:
            counts.changed += 1
        elif row.active or row.pair in deleted_before:
            counts.unchanged += 1
        else:
            run.skip(
                sis_file,
                row.number,
                gettext(
                    "Can't delete a non-existent observer for observer: %(observer)s, "
                    "student: %(student)s"
                )
                % {"observer": row.observer_sis, "student": row.student_sis},
            )


def _skip_failed(run: ImportRun, sis_file: SisFile, row: _LinkRow) -> None:
    run.skip(
        sis_file,
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
