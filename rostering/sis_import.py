"""Roster imports, each a background job: asked for (the upload page, the command, the API), then
run by the worker a chunk of rows at a time.

Asking (``sis_import_request``) stores the upload (size-capped by whoever takes it) and queues the
job in one transaction. The job (``sis_import_run``) reads the stored upload through its format's
reader, streamed, and hands each chunk of CHUNK_ROWS rows to its kind's applier in a transaction
of its own, which also saves the import's progress, counts and messages: what the record says has
landed, has. Every row is applied whole or not at all; a bad row is skipped with its file, row and
a message (in the language of whoever asked), and the good rows land. Importing the same file
again changes nothing, so an import that stopped half-way is finished by running it again.

A worker stopped on purpose (a deploy) hands the import back between two chunks, and the next try
carries on after the last chunk saved. A try that died (the worker killed, out of memory, its
database lost for good) is found "running" by the job's next try, once the stalled-job check has
put the job back (``pairing_portal.tasks.retry_stalled_jobs``): that import fails, saying how many
rows of which file were applied. It is not carried on by itself: what killed the worker may kill
the next one, and an admin is better told than surprised. Its upload is deleted either way.

A OneRoster bulk file that would remove more of what its source made than the import's threshold
allows stops before applying anything, "waiting" with its upload kept, until an admin confirms
(``sis_import_confirm_removals``: it runs again, removing them) or cancels it.

A dry run does all the work in one transaction that is then rolled back, so its counts and
messages say what would happen; its progress is saved on a connection of its own, so the page can
show it meanwhile.
"""

import json
import logging
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from itertools import islice

import psycopg
from django.core.files import File
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext
from procrastinate.contrib.django.utils import connector_params

from accounts.audit import audit_context
from accounts.models import AuditSource, Institution, User
from pairing_portal.jobs import jobs_defer
from rostering import oneroster, sis_csv
from rostering.appliers import APPLIERS, WRITES
from rostering.appliers.base import ImportRun
from rostering.models import SisImport, SisImportState, SisImportType
from rostering.rows import RemovalsUnconfirmed, RosterFile, SisFileError

logger = logging.getLogger(__name__)

SIS_IMPORT_TASK = "rostering.sis_import"
CHUNK_ROWS = 5000  # rows per transaction: progress moves, and a stop loses at most this many
# Each format's reader: given the import and a function that opens its upload, a context manager
# giving the upload's files (rostering.rows.RosterFile) in the order they apply.
READERS = {
    SisImportType.INSTRUCTURE_CSV: lambda record, opener: sis_csv.read_upload(
        record.filename, opener
    ),
    SisImportType.ONEROSTER_CSV: oneroster.read_import,
}


def sis_import_options(
    *,
    send_invitations: bool = False,
    base_url: str = "",
    oneroster_admins: bool = False,
    oneroster_sis_id: str = "",
    oneroster_source: str = "",
    change_threshold: int | None = None,
    allow_removals: bool = False,
) -> dict:
    """What an import is asked beyond its file: whether to invite the people it makes (an e-mail
    to choose a password), and the portal's address for their links ("": the institution's own,
    when the e-mails are sent); for OneRoster (rostering.oneroster), whether administrators become
    account admins, the column of SIS ids, whose records these are, and how much of what the
    source made a bulk file may remove (or any amount)."""
    options: dict = {"send_invitations": True, "base_url": base_url} if send_invitations else {}
    given = {
        "oneroster_admins": oneroster_admins,
        "oneroster_sis_id": oneroster_sis_id,
        "oneroster_source": oneroster_source,
        "change_threshold": change_threshold,
        "allow_removals": allow_removals,
    }
    # Only what was asked for (a threshold of 0 is asked for; False and "" are not).
    return options | {
        name: value
        for name, value in given.items()
        if value is not None and value is not False and value != ""
    }


def sis_import_request(
    *,
    institution: Institution,
    filename: str,
    upload: File,
    by: User | None,
    dry_run: bool = False,
    import_type: str = SisImportType.INSTRUCTURE_CSV,
    options: dict | None = None,
    language: str = "en",
    client_address: str | None = None,
) -> SisImport:
    """Keep the upload and queue the job that imports it into ``institution``.

    ``by`` is the admin who asked (None: an operator's command). The job exists only if this
    transaction commits; the stored upload is deleted once the import has finished or failed.
    """
    record = SisImport(
        institution=institution,
        created_by=by,
        filename=filename[:255],
        dry_run=dry_run,
        import_type=import_type,
        options=options or {},
        language=language,
        client_address=client_address,
    )
    record.upload.save(filename, upload, save=False)
    try:
        record.save()
        jobs_defer(SIS_IMPORT_TASK, [{"import_id": record.pk}])
    except BaseException:
        record.upload.delete(save=False)
        raise
    return record


@transaction.atomic
def sis_import_confirm_removals(*, record: SisImport, by: User | None) -> bool:
    """Run an import that stopped for its removals again, removing them this time (who confirmed
    is kept in its options). False when it is not waiting any more (confirmed or cancelled
    meanwhile: another click got there first)."""
    options = {
        **record.options,
        "allow_removals": True,
        "removals_confirmed_by": by.pk if by is not None else None,
    }
    waiting = SisImport.objects.filter(pk=record.pk, state=SisImportState.WAITING)
    if not waiting.update(state=SisImportState.QUEUED, options=options, error=""):
        return False
    jobs_defer(SIS_IMPORT_TASK, [{"import_id": record.pk}])
    return True


def sis_import_cancel(*, record: SisImport) -> bool:
    """End an import that stopped for its removals, changing nothing (its upload is deleted).
    False when it is not waiting any more."""
    stored = record.upload.name
    waiting = SisImport.objects.filter(pk=record.pk, state=SisImportState.WAITING)
    cancelled = waiting.update(
        state=SisImportState.FAILED,
        finished_at=timezone.now(),
        upload="",
        error=gettext("Cancelled: its removals were not confirmed, and nothing was changed."),
    )
    if cancelled:
        _delete_stored(record, stored)
    return bool(cancelled)


class ImportInterrupted(Exception):
    """The worker is stopping (a deploy): the import goes back to the queue, to be carried on."""


class ClaimLost(Exception):
    """Another try took this import over (this one was thought dead): stop, write nothing."""


def sis_import_run(
    *, import_id: int, should_stop: Callable[[], bool] = lambda: False, last_try: bool = False
) -> SisImport | None:
    """Import a queued upload; None when there is nothing to do (finished already, or its
    earlier try died: then it is failed here, saying what landed).

    ``should_stop`` is asked between chunks; when it says so, ``ImportInterrupted`` is raised with
    the import queued again. A database error is raised with the import queued again when the
    database can still be reached. On the job's ``last_try`` there is no next one: it fails.
    """
    record = _start(import_id)
    if record is None:
        return None
    context = audit_context(source=AuditSource.SIS_IMPORT, client_address=record.client_address)
    try:
        with translation.override(record.language), context:
            _import(record, should_stop=should_stop)
    except ClaimLost:
        logger.warning("SIS import #%s was taken over by another try; this one stops", record.pk)
        return None
    except RemovalsUnconfirmed as error:
        # Nothing was applied; the upload is kept for an admin to confirm or cancel.
        _write(record, state=SisImportState.WAITING, error=str(error), claim=None)
    except SisFileError as error:
        _finish(record, state=SisImportState.FAILED, error=str(error))
    except ImportInterrupted:
        if last_try:
            _stopped(record)
        else:
            _write(record, state=SisImportState.QUEUED, attempts=record.attempts - 1)
        raise
    except (OperationalError, InterfaceError):
        _requeue_if_reachable(record, last_try=last_try)
        raise  # the database is away: the job's next try carries on (or fails it)
    except Exception:
        _stopped(record)  # whatever stopped it, the page must not say "running" for ever
        raise
    return record


def _start(import_id: int) -> SisImport | None:
    """Claim the import for this try (locked: two workers never start it together)."""
    with transaction.atomic():
        record = (
            SisImport.objects.select_for_update(of=("self",))
            .select_related("institution", "created_by")
            .filter(pk=import_id)
            .first()
        )
        if record is None or record.finished or record.state == SisImportState.WAITING:
            return None
        if record.state == SisImportState.RUNNING:
            # Still "running" when its job starts again: the try that ran it died.
            _stopped(record, whoever_holds_it=True)
            return None
        record.state = SisImportState.RUNNING
        record.started_at = record.started_at or timezone.now()
        record.claim = uuid.uuid4()
        record.attempts += 1
        if record.dry_run:  # nothing of an earlier try was kept: start over
            record.progress, record.counts, record.messages, record.message_count = [], {}, [], 0
        record.save()
    return record


def _import(record: SisImport, *, should_stop: Callable[[], bool]) -> None:
    storage, name = record.upload.storage, record.upload.name

    def open_upload():
        return storage.open(name, "rb")

    with READERS[SisImportType(record.import_type)](record, open_upload) as files:
        if not record.progress:
            # Read through once first: the page can say how far along it is, and a damaged
            # file fails before anything of it is applied.
            planned = [
                {"file": f.name, "kind": f.kind, "done": 0, "total": f.count()} for f in files
            ]
            _write(record, progress=planned)
        run = ImportRun(
            institution=record.institution,
            by=record.created_by,
            options=record.options,
            counts=record.counts,
            messages=record.messages,
            message_count=record.message_count,
        )
        run.source = next((f.source for f in files if f.source), None)
        with (
            _Progress(record) as progress,
            transaction.atomic() if record.dry_run else nullcontext(),
        ):
            for entry, roster_file in zip(record.progress, files, strict=True):
                _apply(
                    run,
                    roster_file,
                    entry,
                    progress,
                    should_stop=should_stop,
                    analyze=not record.dry_run,
                )
            if record.dry_run:
                transaction.set_rollback(True)
    _finish(
        record,
        state=SisImportState.DONE,
        counts=run.counts_as_dict(),
        messages=run.messages,
        message_count=run.message_count,
    )


def _apply(
    run: ImportRun,
    roster_file: RosterFile,
    entry: dict,
    progress: "_Progress",
    *,
    should_stop: Callable[[], bool],
    analyze: bool,
) -> None:
    """Apply a file's rows after those an earlier try applied, a chunk per transaction; then,
    if ``analyze``, bring the statistics of what it wrote up to date. (Not in a dry run: its
    one transaction would hold ANALYZE's lock to its end, keeping other imports' ANALYZE and
    autovacuum waiting.)"""
    run.file(roster_file.name, roster_file.kind, 0)  # counted even when it has no rows
    rows = roster_file.rows()
    if not roster_file.rereads_what_remains:
        deque(islice(rows, entry["done"]), maxlen=0)
    applier = APPLIERS[roster_file.kind]
    changed_before = run.counts[roster_file.name].changed
    for chunk in _chunks(rows):
        if should_stop():
            raise ImportInterrupted
        with transaction.atomic():
            _commit_without_waiting_for_the_disk()
            applier(run, roster_file.name, chunk)
            entry["done"] += len(chunk)
            entry["total"] = max(entry["total"], entry["done"])
            progress.save(run)
    entry["total"] = entry["done"]
    progress.save(run)
    if analyze:
        changed = run.counts[roster_file.name].changed - changed_before
        _analyze_what_it_wrote(roster_file.kind, changed)


def _analyze_what_it_wrote(kind: str, changed: int) -> None:
    """Bring PostgreSQL's statistics of the tables a file filled up to date, once it changed at
    least a chunk's worth of rows.

    A district's first import fills its tables far faster than autovacuum analyzes them, and the
    next file's statements were planned on statistics of near-empty tables: a join that reads
    every course of the institution for each row took seconds a chunk. Sampling the tables
    takes a fraction of a second, outside any chunk's transaction; its lock blocks no reading
    or writing of them.
    """
    if changed < CHUNK_ROWS:
        return
    tables = ", ".join(model._meta.db_table for model in WRITES[kind])
    with connection.cursor() as cursor:
        # SKIP_LOCKED: statistics only help, so a table another import or autovacuum holds
        # is left to them rather than waited for.
        cursor.execute(f"ANALYZE (SKIP_LOCKED) {tables}")


def _commit_without_waiting_for_the_disk() -> None:
    """A chunk's transaction commits without waiting for its write-ahead log to reach the disk.

    A chunk writes thousands of rows, and waiting for each commit's flush took a third of an
    import's time. Should PostgreSQL itself crash, the last chunks committed may be forgotten,
    their progress with them (it is saved in the same transaction): the record says what
    landed, and the import carried on or run again applies them again. The database stays
    consistent either way; other transactions are not affected.
    """
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _chunks(rows: Iterator) -> Iterator[list]:
    while chunk := list(islice(rows, CHUNK_ROWS)):
        yield chunk


class _Progress:
    """Saves the import's progress after each chunk. An import saves it with the chunk's own
    writes (the counts and new messages too), so the record says exactly what landed; a dry run,
    whose writes are all rolled back, saves only how far it is, on a connection of its own."""

    def __init__(self, record: SisImport):
        self.record = record
        self.connection: psycopg.Connection | None = None

    def __enter__(self) -> "_Progress":
        if self.record.dry_run:
            self.connection = psycopg.connect(**connector_params(), autocommit=True)
        return self

    def __exit__(self, *exc) -> None:
        if self.connection is not None:
            self.connection.close()

    def save(self, run: ImportRun) -> None:
        record = self.record
        kept = run.chunk_messages()
        if self.connection is not None:
            self.connection.execute(
                f"UPDATE {SisImport._meta.db_table} SET progress = %s::jsonb "  # noqa: S608
                "WHERE id = %s AND claim = %s",
                [json.dumps(record.progress), record.pk, record.claim],
            )
            return
        fields = {
            "progress": record.progress,
            "counts": run.counts_as_dict(),
            "message_count": run.message_count,
        }
        if kept:  # appended, not written again whole
            fields["messages"] = RawSQL("messages || %s::jsonb", [json.dumps(kept)])
        _write(record, **fields)


def _write(record: SisImport, **fields) -> None:
    """Save ``fields`` only while this try still holds the import."""
    if not SisImport.objects.filter(pk=record.pk, claim=record.claim).update(**fields):
        raise ClaimLost
    for name, value in fields.items():
        if not isinstance(value, RawSQL):
            setattr(record, name, value)


def _finish(record: SisImport, *, state: SisImportState, **fields) -> None:
    """The import is over: say so, and forget its upload."""
    stored = record.upload.name
    _write(record, state=state, finished_at=timezone.now(), upload="", claim=None, **fields)
    _delete_stored(record, stored)


def _stopped(record: SisImport, *, whoever_holds_it: bool = False) -> None:
    """Fail an import whose try stopped unexpectedly, saying what of it landed (as its record
    says, saved with each chunk). Only while this try holds it, unless ``whoever_holds_it``."""
    stored = record.upload.name
    saved = SisImport.objects.filter(pk=record.pk).values_list("progress", flat=True).first()
    rows = SisImport.objects.filter(pk=record.pk)
    if not whoever_holds_it:
        rows = rows.filter(claim=record.claim)
    rows.update(
        state=SisImportState.FAILED,
        error=_what_landed(record, saved or []),
        finished_at=timezone.now(),
        upload="",
        claim=None,
    )
    _delete_stored(record, stored)


def _delete_stored(record: SisImport, stored: str | None) -> None:
    if stored:
        record.upload.storage.delete(stored)


def _what_landed(record: SisImport, progress: list[dict]) -> str:
    with translation.override(record.language):
        if record.dry_run:
            return gettext("The dry run stopped unexpectedly; nothing was changed. Run it again.")
        parts = []
        for entry in progress:
            numbers = {
                "file": entry["file"],
                "done": number_format(entry["done"], force_grouping=True),
                "total": number_format(entry["total"], force_grouping=True),
            }
            if entry["done"] and entry["done"] >= entry["total"]:
                parts.append(gettext("%(file)s: all %(total)s rows applied") % numbers)
            elif entry["done"]:
                parts.append(gettext("%(file)s: %(done)s of %(total)s rows applied") % numbers)
        if not parts:
            return gettext(
                "The import stopped before any row was applied; run the same file again."
            )
        return gettext(
            "%(applied)s before the import stopped; run the same file again to finish."
        ) % {"applied": "; ".join(parts)}


def _requeue_if_reachable(record: SisImport, *, last_try: bool) -> None:
    """After a database error: queue the import again for the next try (or, on the last one,
    fail it), if the database answers; if not, the next try finds it running and fails it."""
    try:
        if last_try:
            _stopped(record)
        else:
            _write(record, state=SisImportState.QUEUED)
    except (DatabaseError, ClaimLost):
        logger.warning("SIS import #%s stopped and could not be marked so", record.pk)
