"""The SIS CSV import: users, courses, enrollments and observer links, matched by SIS id.

Every row is applied whole or not at all; a bad row is skipped with its file, row and a message, and
the good rows land. Importing the same file again changes nothing. Observer links go through the
same services as pairing codes (pairing.services), so their enrollments fan out and go the same way.
Messages are kept in the language of whoever ran the import (English for the command).
A users.csv row changes a person only where the uploading admin could (accounts.services
.user_change_refusal): never an admin, staff or superuser, even when an operator runs the command.
"""

from contextlib import nullcontext
from dataclasses import asdict

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.audit import audit_context, current_context
from accounts.models import AuditSource, Institution, User
from rostering.appliers import APPLIERS
from rostering.appliers.base import ImportRun, Progress
from rostering.models import SisImport, SisImportState
from rostering.sis_csv import SisFileError, read_upload


def sis_import_run(
    *,
    institution: Institution,
    filename: str,
    data: bytes,
    by: User | None,
    dry_run: bool = False,
    progress: Progress | None = None,
    send_invitations: bool = False,
    base_url: str = "",
) -> SisImport:
    """Import an upload (a CSV or a zip of CSVs) into ``institution`` and keep its record.

    ``by`` is the admin who uploaded it (None: an operator's command). A dry run does all the work
    in a transaction that is then rolled back, so its counts and messages say what would happen.
    With ``send_invitations``, each person the import makes is invited (an e-mail to set a
    password), in the transaction of their row; ``base_url`` is the portal's address for the link.
    """
    record = SisImport.objects.create(
        institution=institution, created_by=by, filename=filename[:255], dry_run=dry_run
    )
    try:
        files = read_upload(filename, data)
    except SisFileError as error:
        record.state = SisImportState.FAILED
        record.error = str(error)
        record.finished_at = timezone.now()
        record.save()
        return record
    except Exception:
        _stopped(record)
        raise
    run = ImportRun(
        institution=institution,
        by=by,
        progress=progress,
        send_invitations=send_invitations,
        base_url=base_url,
    )
    context = audit_context(
        source=AuditSource.SIS_IMPORT, client_address=current_context().client_address
    )
    try:
        with context, transaction.atomic() if dry_run else nullcontext():
            for sis_file in files:
                APPLIERS[sis_file.kind](run, sis_file)
            if dry_run:
                transaction.set_rollback(True)
    except Exception:
        _stopped(record)
        raise
    order = {sis_file.name: index for index, sis_file in enumerate(files)}
    record.state = SisImportState.DONE
    record.counts = {name: asdict(counts) for name, counts in run.counts.items()}
    record.messages = sorted(run.messages, key=lambda m: (order[m["file"]], m["row"]))
    record.message_count = run.message_count
    record.finished_at = timezone.now()
    record.save()
    return record


def _stopped(record: SisImport) -> None:
    """Whatever stopped an import, its record must not say "running" forever; the caller lets
    the error go on up."""
    SisImport.objects.filter(pk=record.pk).update(
        state=SisImportState.FAILED,
        error=gettext(
            "The import stopped unexpectedly; rows before the failure may have been applied."
        ),
        finished_at=timezone.now(),
    )
