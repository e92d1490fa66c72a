"""District-wide exports of fresh codes (CSV or letters), made by a background job.

An admin asks (``code_export_request``, which queues the job in the same transaction); the job
(``code_export_run``) makes the codes a chunk at a time, saving its progress after each, so the
page can show it; the finished file is kept encrypted for a day (it holds codes in clear) and only
the institution's code-makers may download it.
"""

import base64
import logging
import uuid
from collections.abc import Callable
from datetime import timedelta

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import DatabaseError, transaction
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
from pairing_portal.jobs import jobs_defer

logger = logging.getLogger(__name__)

EXPORT_TASK = "pairing.code_export_make"
CHUNK = 500  # students per transaction: the progress moves, and no lock is held for long
RESULT_KEPT = timedelta(days=1)
MAX_ATTEMPTS = 3  # tries that died with their worker; then the export fails


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
    institution's when empty), and the job that makes it."""
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
    jobs_defer(EXPORT_TASK, [{"export_id": export.pk}])
    return export


class ExportInterrupted(Exception):
    """The worker is stopping (a deploy): the export goes back to the queue, to be made afresh."""


class ClaimLost(Exception):
    """Another worker took this export over (this one was thought dead): stop, write nothing."""


def code_export_run(
    *, export_id: int, should_stop: Callable[[], bool] = lambda: False, last_try: bool = False
) -> CodeExport | None:
    """Make the codes and the file of a waiting export; None when there is nothing to do (made
    already, failed, or given up after MAX_ATTEMPTS tries that died with their worker).

    Every try starts from the first student under a new claim: codes made by an earlier try were
    only ever in its memory, and the new ones replace them. ``should_stop`` is asked between
    chunks; when it says so, ``ExportInterrupted`` is raised with the export queued again. A
    failure is recorded on the export, then raised; a database error is raised with the export
    left to the next try. On the job's ``last_try`` there is no next one: the export fails.
    """
    export = _start(export_id)
    if export is None:
        return None
    try:
        with (
            translation.override(export.language),
            timezone.override(export.time_zone or settings.TIME_ZONE),
        ):
            _make(export, should_stop=should_stop)
    except ClaimLost:
        logger.warning("Export #%s was taken over by another worker; this one stops", export.pk)
    except ExportInterrupted:
        if last_try:
            _fail(export, gettext("The export stopped unexpectedly. Please try again."))
            raise
        # Stopped on purpose, between two chunks: not a failed try.
        _write(export, state=CodeExportState.QUEUED, done=0, attempts=export.attempts - 1)
        raise
    except PairingError as error:
        _fail(export, gettext(error.message))
    except DatabaseError:
        if last_try:
            _fail_if_reachable(export)
        raise  # the database is away; the job's next try starts the export again
    except Exception:
        # Whatever stopped it, the page must not say "running" forever; the error goes on up.
        _fail(export, gettext("The export stopped unexpectedly. Please try again."))
        raise
    return export


def _start(export_id: int) -> CodeExport | None:
    """Claim the export for this try (locked: two workers never start it together)."""
    with transaction.atomic():
        export = (
            CodeExport.objects.select_for_update()
            .defer("result")
            .filter(pk=export_id, state__in=[CodeExportState.QUEUED, CodeExportState.RUNNING])
            .first()
        )
        if export is None:
            return None
        if export.attempts >= MAX_ATTEMPTS:
            with translation.override(export.language):
                _fail(export, gettext("The export stopped unexpectedly. Please try again."))
            return None
        export.state = CodeExportState.RUNNING
        export.started_at = timezone.now()
        export.done = 0
        export.claim = uuid.uuid4()
        export.attempts += 1
        export.save(update_fields=["state", "started_at", "done", "claim", "attempts"])
    return export


def _write(export: CodeExport, **fields) -> None:
    """Save ``fields`` only while this try still holds the export (none: just check it does)."""
    fields = fields or {"claim": export.claim}
    if not CodeExport.objects.filter(pk=export.pk, claim=export.claim).update(**fields):
        raise ClaimLost
    for name, value in fields.items():
        setattr(export, name, value)


def _make(export: CodeExport, *, should_stop: Callable[[], bool]) -> None:
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
        if should_stop():
            raise ExportInterrupted
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


def _fail_if_reachable(export: CodeExport) -> None:
    """Record the failure if the database answers again; if not, the page keeps its last state."""
    try:
        _fail(export, gettext("The export stopped unexpectedly. Please try again."))
    except DatabaseError:
        logger.warning("Export #%s failed and could not be marked so", export.pk)


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
