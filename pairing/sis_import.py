"""The SIS CSV import: users, courses, enrollments and observer links, matched by SIS id.

Every row is applied whole or not at all; a bad row is skipped with its file, row and a message, and
the good rows land. Importing the same file again changes nothing. Observer links go through the
same services as pairing codes (pairing.services), so their enrollments fan out and go the same way.
Messages are kept in the language of whoever ran the import (English for the command).
A users.csv row changes a person only where the uploading admin could (accounts.services
.user_change_refusal): never an admin, staff or superuser, even when an operator runs the command.
"""

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import asdict, dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.audit import audit_context, current_context
from accounts.errors import AccountError
from accounts.models import AuditSource, Institution, User
from accounts.roles import Role
from accounts.services import user_create, user_update
from courses.errors import CourseError
from courses.models import (
    CURRENT_ENROLLMENT_STATES,
    Course,
    CourseState,
    Enrollment,
    EnrollmentState,
)
from courses.services import course_create, course_update, enrollment_row_upsert
from pairing.errors import PairingError
from pairing.models import ObserverLink, ObserverLinkSource, SisImport, SisImportState
from pairing.services import (
    course_observer_add,
    enrollment_upsert,
    observer_links_create_many,
    observer_links_remove_many,
)
from pairing.sis_csv import (
    COURSES,
    ENROLLMENTS,
    USER_OBSERVERS,
    USERS,
    BadRow,
    Row,
    SisFile,
    SisFileError,
    read_upload,
)

Progress = Callable[[str, int, int], None]  # (file name, rows done, rows in file)

COURSE_STATUSES = {
    "active": CourseState.AVAILABLE,
    "unpublished": CourseState.UNPUBLISHED,
    "completed": CourseState.COMPLETED,
    "deleted": CourseState.DELETED,
}
ENROLLMENT_ROLES = {
    "student": Role.STUDENT,
    "teacher": Role.TEACHER,
    "ta": Role.TA,
    "designer": Role.DESIGNER,
    "observer": Role.OBSERVER,
}
ENROLLMENT_STATUSES = {
    "active": EnrollmentState.ACTIVE,
    "invited": EnrollmentState.INVITED,
    "inactive": EnrollmentState.INACTIVE,
    "completed": EnrollmentState.COMPLETED,
    "deleted": EnrollmentState.DELETED,
}
LINK_CHUNK = 1000


@dataclass
class FileCounts:
    kind: str
    rows: int = 0
    changed: int = 0
    unchanged: int = 0
    skipped: int = 0


class _Run:
    def __init__(self, *, institution: Institution, by: User | None, progress: Progress | None):
        self.institution = institution
        self.by = by
        self.progress = progress
        self.counts: dict[str, FileCounts] = {}
        self.messages: list[dict] = []
        self.message_count = 0

    def start(self, sis_file: SisFile) -> FileCounts:
        counts = self.counts.setdefault(sis_file.name, FileCounts(kind=sis_file.kind))
        counts.rows += len(sis_file.rows)
        return counts

    def skip(self, sis_file: SisFile, row: int, message: str) -> None:
        self.counts[sis_file.name].skipped += 1
        self.message_count += 1
        if len(self.messages) < SisImport.MAX_MESSAGES:
            self.messages.append(
                {"file": sis_file.name, "row": row, "message": _printable(message)}
            )

    def report(self, sis_file: SisFile, done: int) -> None:
        if self.progress is not None:
            self.progress(sis_file.name, done, len(sis_file.rows))


def sis_import_run(
    *,
    institution: Institution,
    filename: str,
    data: bytes,
    by: User | None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> SisImport:
    """Import an upload (a CSV or a zip of CSVs) into ``institution`` and keep its record.

    ``by`` is the admin who uploaded it (None: an operator's command). A dry run does all the work
    in a transaction that is then rolled back, so its counts and messages say what would happen.
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
    run = _Run(institution=institution, by=by, progress=progress)
    context = audit_context(
        source=AuditSource.SIS_IMPORT, client_address=current_context().client_address
    )
    try:
        with context, transaction.atomic() if dry_run else nullcontext():
            for sis_file in files:
                IMPORTERS[sis_file.kind](run, sis_file)
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


def _printable(text: str) -> str:
    """A message quotes the file; keep what PostgreSQL's text and JSON cannot store out of it."""
    return "".join(
        "\ufffd" if char == "\x00" or "\ud800" <= char <= "\udfff" else char for char in text
    )


def _good_rows(run: _Run, sis_file: SisFile) -> list[Row]:
    good = []
    for row in sis_file.rows:
        if isinstance(row, BadRow):
            run.skip(sis_file, row.number, row.message)
        else:
            good.append(row)
    return good


def _users_by_sis_id(
    institution: Institution, sis_ids, *, active_only: bool = True
) -> dict[str, User]:
    """Users by SIS id; enrollments and links refer only to active ones (Canvas: active logins)."""
    ids = {sis_id for sis_id in sis_ids if sis_id}
    users = User.objects.filter(institution=institution, sis_user_id__in=ids)
    if active_only:
        users = users.filter(is_active=True)
    return {u.sis_user_id: u for u in users}


# --- users.csv ---------------------------------------------------------------------------------------


def _import_users(run: _Run, sis_file: SisFile) -> None:
    counts = run.start(sis_file)
    rows = _good_rows(run, sis_file)
    # users.csv may bring a deactivated user back, so it looks at everyone.
    known = _users_by_sis_id(
        run.institution, (r.values.get("user_id") for r in rows), active_only=False
    )
    for done, row in enumerate(rows, start=1):
        outcome = _import_user(run, row.values, known)
        if outcome == "unchanged":
            counts.unchanged += 1
        elif outcome == "changed":
            counts.changed += 1
        else:
            run.skip(sis_file, row.number, outcome)
        if done % 500 == 0:
            run.report(sis_file, done)
    run.report(sis_file, len(rows))


def _import_user(run: _Run, values: dict[str, str], known: dict[str, User]) -> str:
    """ "changed", "unchanged", or why the row was skipped."""
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
                return "changed"
            changed = user_update(
                user=user,
                email=email,
                name=name,
                sortable_name=sortable,
                is_active=status == "active",
                by=run.by,
            )
            return "changed" if changed else "unchanged"
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


# --- courses.csv -------------------------------------------------------------------------------------


def _import_courses(run: _Run, sis_file: SisFile) -> None:
    counts = run.start(sis_file)
    rows = _good_rows(run, sis_file)
    ids = {r.values.get("course_id") for r in rows}
    known = {
        c.sis_course_id: c
        for c in Course.objects.filter(institution=run.institution, sis_course_id__in=ids)
    }
    for row in rows:
        values = row.values
        sis_id = values.get("course_id", "")
        status = (values.get("status") or "active").lower()
        course = {"course": sis_id}
        if not sis_id:
            run.skip(sis_file, row.number, gettext("No course_id given for a course"))
        elif not values.get("short_name"):
            run.skip(
                sis_file, row.number, gettext("No short_name given for course %(course)s") % course
            )
        elif not values.get("long_name"):
            run.skip(
                sis_file, row.number, gettext("No long_name given for course %(course)s") % course
            )
        elif status not in COURSE_STATUSES:
            run.skip(
                sis_file,
                row.number,
                gettext('Improper status "%(status)s" for course %(course)s')
                % {"status": values.get("status"), "course": sis_id},
            )
        elif sis_id not in known:
            with transaction.atomic():
                known[sis_id] = course_create(
                    institution=run.institution,
                    name=values["long_name"],
                    course_code=values["short_name"],
                    sis_course_id=sis_id,
                    state=COURSE_STATUSES[status],
                )
            counts.changed += 1
        else:
            changed = course_update(
                course=known[sis_id],
                name=values["long_name"],
                course_code=values["short_name"],
                state=COURSE_STATUSES[status],
            )
            if changed:
                counts.changed += 1
            else:
                counts.unchanged += 1
    run.report(sis_file, len(rows))


# --- enrollments.csv ---------------------------------------------------------------------------------


def _import_enrollments(run: _Run, sis_file: SisFile) -> None:
    counts = run.start(sis_file)
    rows = _good_rows(run, sis_file)
    course_ids = {r.values.get("course_id") for r in rows}
    courses = {
        c.sis_course_id: c
        for c in Course.objects.filter(institution=run.institution, sis_course_id__in=course_ids)
    }
    users = _users_by_sis_id(
        run.institution,
        [r.values.get("user_id") for r in rows]
        + [r.values.get("associated_user_id") for r in rows],
    )
    for done, row in enumerate(rows, start=1):
        outcome = _import_enrollment(run, row.values, courses, users)
        if outcome == "changed":
            counts.changed += 1
        elif outcome == "unchanged":
            counts.unchanged += 1
        else:
            run.skip(sis_file, row.number, outcome)
        if done % 500 == 0:
            run.report(sis_file, done)
    run.report(sis_file, len(rows))


def _import_enrollment(run: _Run, values: dict[str, str], courses, users) -> str:
    """ "changed", "unchanged", or why the row was skipped."""
    course_id, user_id = values.get("course_id", ""), values.get("user_id", "")
    if not course_id:
        return gettext("No course_id given for an enrollment")
    if not user_id:
        return gettext("No user_id given for an enrollment")
    role = ENROLLMENT_ROLES.get((values.get("role") or "").lower())
    if role is None:
        return gettext('Improper role "%(role)s" for an enrollment') % {"role": values.get("role")}
    state = ENROLLMENT_STATUSES.get((values.get("status") or "").lower())
    if state is None:
        return gettext('Improper status "%(status)s" for an enrollment') % {
            "status": values.get("status")
        }
    course, user = courses.get(course_id), users.get(user_id)
    if course is None:
        return gettext("An enrollment referenced a non-existent course %(course)s") % {
            "course": course_id
        }
    if user is None:
        return gettext("An enrollment referenced a non-existent user %(user)s") % {"user": user_id}
    student = None
    associated_id = values.get("associated_user_id", "") if role == Role.OBSERVER else ""
    if associated_id:
        student = users.get(associated_id)
        if student is None:
            return gettext("An observer enrollment referenced a non-existent user %(user)s") % {
                "user": associated_id
            }
        if student.pk == user.pk:
            return gettext("Can't observe yourself user %(user)s") % {"user": user_id}
    previous = (
        Enrollment.objects.filter(course=course, user=user, type=role, associated_user=student)
        .values_list("state", flat=True)
        .first()
    )
    if previous == state:
        return "unchanged"
    try:
        with transaction.atomic():
            if student is not None and state in CURRENT_ENROLLMENT_STATES:
                # A course-only link, under the same rules as a teacher's on the People page.
                course_observer_add(
                    course=course, observer=user, student=student, by=None, state=state
                )
            elif student is not None:
                enrollment_row_upsert(
                    course=course, user=user, type=role, state=state, associated_user=student
                )
            else:
                enrollment_upsert(course=course, user=user, type=role, state=state)
    except (PairingError, CourseError) as error:
        return gettext("Enrollment of user %(user)s in course %(course)s: %(problem)s") % {
            "user": user_id,
            "course": course_id,
            "problem": error.translated,
        }
    return "changed"


# --- user_observers.csv ------------------------------------------------------------------------------


@dataclass
class _LinkRow:
    number: int
    active: bool
    pair: tuple[int, int]
    observer_sis: str
    student_sis: str


def _import_user_observers(run: _Run, sis_file: SisFile) -> None:
    counts = run.start(sis_file)
    rows = _good_rows(run, sis_file)
    users = _users_by_sis_id(
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


def _apply_links(run: _Run, sis_file: SisFile, counts: FileCounts, chunk: list[_LinkRow]) -> None:
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


def _skip_failed(run: _Run, sis_file: SisFile, row: _LinkRow) -> None:
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


IMPORTERS = {
    USERS: _import_users,
    COURSES: _import_courses,
    ENROLLMENTS: _import_enrollments,
    USER_OBSERVERS: _import_user_observers,
}
