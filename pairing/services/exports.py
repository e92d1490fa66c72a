"""District-wide exports of fresh codes (CSV or letters), made by a background worker.

An admin asks (``code_export_request``); ``manage.py run_jobs`` claims the export and makes the
codes a chunk at a time, saving its progress after each, so the page can show it; the finished file
is kept encrypted for a day (it holds codes in clear) and only the institution's code-makers may
download it.
"""

import base64
import logging
import uuid
from datetime import timedelta

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext

from accounts.audit import audit_record
from accounts.models import AuditAction, Institution, User
from accounts.permissions import user_has_permission
from accounts.roles import Permission, Role
from courses.models import Course, CourseState, Enrollment
from pairing.csv_export import pairing_codes_csv_lines
from pairing.errors import PairingError
from pairing.letters import letters_build, letters_document
from pairing.models import CodeExport, CodeExportFormat, CodeExportState
from pairing.services.codes import pairing_code_export_making, pairing_codes_create_for_students

logger = logging.getLogger(__name__)

CHUNK = 500  # students per transaction: the progress moves, and no lock is held for long
RESULT_KEPT = timedelta(days=1)
ABANDONED_AFTER = timedelta(minutes=10)  # a running export whose worker stopped answering
MAX_ATTEMPTS = 3


def code_export_refusal(*, institution: Institution, by: User) -> str | None:
    """Admins holding the generating permission at the institution, while pairing is on."""
    if not institution.pairing_enabled:
        return PairingError.SELF_REGISTRATION_OFF
    if by.institution_id != institution.pk or not user_has_permission(
        by, Permission.GENERATE_OBSERVER_PAIRING_CODE
    ):
        return PairingError.NOT_ALLOWED
    return None


@transaction.atomic
def code_export_request(
    *,
    institution: Institution,
    by: User,
    courses: list[Course],
    format: CodeExportFormat,
    paper: str,
    language: str,
    base_url: str,
) -> CodeExport:
    """Queue an export of new codes for every current student of ``courses`` (all the
    institution's when empty); the worker picks it up."""
    refusal = code_export_refusal(institution=institution, by=by)
    if refusal is not None:
        raise PairingError(refusal)
    if any(course.institution_id != institution.pk for course in courses):
        raise PairingError(PairingError.OTHER_INSTITUTION)
    with pairing_code_export_making(by=by):
        export = CodeExport.objects.create(
            institution=institution,
            requested_by=by,
            format=format,
            paper=paper,
            language=language,
            time_zone=timezone.get_current_timezone_name(),
            base_url=base_url,
        )
        export.courses.set(courses)
    audit_record(
        action=AuditAction.EXPORT_REQUESTED,
        institution=institution,
        actor=by,
        details={"export": export.pk, "format": format, "courses": [c.pk for c in courses]},
    )
    return export


def code_export_claim() -> CodeExport | None:
    """The next export to make: the oldest waiting, or one whose worker stopped answering.

    SKIP LOCKED: two workers never claim the same export at once. Each claim is a new token; a
    worker that was too slow and lost its export to another stops at its next write
    (``ClaimLost``), so an export's codes and file come from one worker. After MAX_ATTEMPTS
    claims (a worker that keeps dying on it) the export fails instead of minting codes forever.
    """
    now = timezone.now()
    with transaction.atomic():
        export = (
            CodeExport.objects.select_for_update(skip_locked=True)
            .defer("result")
            .filter(
                Q(state=CodeExportState.QUEUED)
                | Q(state=CodeExportState.RUNNING, heartbeat_at__lt=now - ABANDONED_AFTER)
            )
            .order_by("created_at", "id")
            .first()
        )
        if export is None:
            return None
        if export.attempts >= MAX_ATTEMPTS:
            with translation.override(export.language):
                _fail(export, gettext("The export stopped unexpectedly. Please try again."))
            return code_export_claim()
        export.state = CodeExportState.RUNNING
        export.started_at = export.heartbeat_at = now
        export.done = 0
        export.claim = uuid.uuid4()
        export.attempts += 1
        export.save(
            update_fields=["state", "started_at", "heartbeat_at", "done", "claim", "attempts"]
        )
    return export


class ClaimLost(Exception):
    """Another worker took this export over (this one was thought dead): stop, write nothing."""


def code_export_run(*, export: CodeExport) -> CodeExport:
    """Make the codes and the file. A failure is recorded on the export, then raised."""
    try:
        with (
            translation.override(export.language),
            timezone.override(export.time_zone or settings.TIME_ZONE),
        ):
            _make(export)
    except ClaimLost:
        logger.warning("Export #%s was taken over by another worker; this one stops", export.pk)
    except PairingError as error:
        _fail(export, gettext(error.message))
    except Exception:
        # Whatever stopped it, the page must not say "running" forever; the error goes on up.
        _fail(export, gettext("The export stopped unexpectedly. Please try again."))
        raise
    return export


def _write(export: CodeExport, **fields) -> None:
    """Save ``fields`` only while this worker still holds the export."""
    fields.setdefault("heartbeat_at", timezone.now())
    if not CodeExport.objects.filter(pk=export.pk, claim=export.claim).update(**fields):
        raise ClaimLost
    for name, value in fields.items():
        setattr(export, name, value)


def _make(export: CodeExport) -> None:
    institution, by = export.institution, export.requested_by
    refusal = (
        code_export_refusal(institution=institution, by=by) if by else PairingError.NOT_ALLOWED
    )
    if refusal is not None:
        raise PairingError(refusal)
    students = list(_students_of(export))
    _write(export, total=len(students))
    rows, letters = [], []
    for start in range(0, len(students), CHUNK):
        chunk = students[start : start + CHUNK]
        _write(export)  # still ours? (before making codes another worker would make too)
        issued = pairing_codes_create_for_students(
            student_ids=[student.pk for student in chunk], institution=institution, by=by
        )
        chunk_rows = [(student, issued[student.pk]) for student in chunk]
        rows += chunk_rows
        if export.format == CodeExportFormat.LETTERS:
            letters += letters_build(chunk_rows, base_url=export.base_url)  # QR codes take time
        _write(export, done=len(rows))
    if export.format == CodeExportFormat.CSV:
        content = "".join(pairing_codes_csv_lines(rows, base_url=export.base_url))
    else:
        content = letters_document(
            letters,
            institution=institution,
            base_url=export.base_url,
            paper=export.paper,
            title=gettext("Pairing letters for %(school)s") % {"school": institution.name},
        )
    now = timezone.now()
    _write(
        export,
        result=_fernet().encrypt(content.encode()),
        result_expires_at=now + RESULT_KEPT,
        state=CodeExportState.DONE,
        finished_at=now,
    )


def _fail(export: CodeExport, message: str) -> None:
    export.state = CodeExportState.FAILED
    export.error = message
    export.finished_at = timezone.now()
    export.save(update_fields=["state", "error", "finished_at"])


def _students_of(export: CodeExport):
    """Each current student once, by name, from the chosen courses or all of the institution's."""
    enrollments = (
        Enrollment.objects.current()
        .filter(type=Role.STUDENT, course__institution=export.institution)
        .exclude(course__state=CourseState.DELETED)
    )
    course_ids = list(export.courses.values_list("pk", flat=True))
    if course_ids:
        enrollments = enrollments.filter(course_id__in=course_ids)
    return (
        User.objects.filter(pk__in=enrollments.values("user_id"), is_active=True)
        .only("id", "name", "sortable_name", "sis_user_id")
        .order_by("sortable_name", "id")
    )


def code_export_file(*, export: CodeExport, by: User) -> tuple[str, str, bytes]:
    """(file name, content type, content) of a finished export still kept; every download of
    the codes in clear is recorded."""
    if export.state != CodeExportState.DONE or export.result is None:
        raise PairingError(PairingError.EXPORT_NOT_READY)
    if export.result_expires_at is None or export.result_expires_at <= timezone.now():
        raise PairingError(PairingError.EXPORT_EXPIRED)
    try:
        content = _fernet().decrypt(bytes(export.result))
    except InvalidToken:  # SECRET_KEY changed since: nobody can read it any more
        raise PairingError(PairingError.EXPORT_EXPIRED) from None
    audit_record(
        action=AuditAction.EXPORT_DOWNLOADED,
        institution=export.institution_id,
        actor=by,
        details={"export": export.pk},
    )
    stamp = export.created_at.strftime("%Y-%m-%d")
    if export.format == CodeExportFormat.CSV:
        return f"Pairing_Codes_{stamp}.csv", "text/csv; charset=utf-8", content
    return f"Pairing_Letters_{stamp}.html", "text/html; charset=utf-8", content


def code_exports_purge() -> int:
    """Forget the files of exports past their day (the codes in them keep working until they
    expire; only the file goes)."""
    return CodeExport.objects.filter(
        result__isnull=False, result_expires_at__lte=timezone.now()
    ).update(result=None)


def _fernet() -> Fernet:
    # A key of its own, derived from SECRET_KEY: nothing else can read these files.
    digest = salted_hmac("pairing.code_export", "file-key", algorithm="sha256").digest()
    return Fernet(base64.urlsafe_b64encode(digest))
