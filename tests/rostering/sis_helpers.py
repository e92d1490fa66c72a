"""Building SIS CSV uploads and reading what an import made of them (shared by the SIS tests)."""

import io
import zipfile

from django.core.files.base import ContentFile

from accounts.models import User
from accounts.roles import Role
from courses.models import Course, Enrollment, EnrollmentState
from pairing.models import ObserverLink
from rostering.models import SisImport, SisImportState
from rostering.sis_import import sis_import_request, sis_import_run

USERS = "user_id,login_id,first_name,last_name,email,status"
COURSES = "course_id,short_name,long_name,status"
ENROLLMENTS = "course_id,user_id,role,status,associated_user_id"
USER_OBSERVERS = "observer_id,student_id,status"


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def school_zip() -> bytes:
    """All four kinds, the observers file named oddly, in the reverse of the order they apply.

    Good rows: 4 users, 2 courses, 4 enrollments, 2 observer links; users.csv row 6 is bad.
    """
    return zipped(
        {
            "export-3.csv": csv_bytes(USER_OBSERVERS, "P1,K1,active", "P1,K2,active"),
            "enrollments.csv": csv_bytes(
                ENROLLMENTS,
                "MATH-1,K1,student,active,",
                "MATH-1,K2,student,invited,",
                "ART-1,K1,student,active,",
                "ART-1,P2,observer,active,K1",
            ),
            "sis/courses.csv": csv_bytes(
                COURSES, "MATH-1,MATH,Maths,active", "ART-1,ART,Art,active"
            ),
            "users.csv": csv_bytes(
                USERS,
                "P1,p1@example.test,Pia,Parent,,active",
                "P2,p2@example.test,Paul,Parent,,active",
                "K1,k1@example.test,Kai,Kid,,active",
                "K2,k2@example.test,Kim,Kid,,active",
                "K3,k3@example.test,Kit,Kid,,maybe",
            ),
        }
    )


def run(institution, filename, data, *, by=None, dry_run=False, progress=None):
    """Ask for an import and do what its job does, here and now; ``progress(file, done, total)``
    is told each file's rows, in the order the files were applied."""
    record = sis_import_request(
        institution=institution, filename=filename, upload=ContentFile(data), by=by, dry_run=dry_run
    )
    sis_import_run(import_id=record.pk)
    record.refresh_from_db()
    for entry in record.progress if progress is not None else []:
        progress(entry["file"], entry["done"], entry["total"])
    return record


def run_queued_imports() -> None:
    """What the worker does with the imports waiting for it (the pages only queue them)."""
    for import_id in SisImport.objects.filter(state=SisImportState.QUEUED).values_list(
        "pk", flat=True
    ):
        sis_import_run(import_id=import_id)


def skips(record) -> list[tuple[str, int, str]]:
    return [(m["file"], m["row"], m["message"]) for m in record.messages]


def counts(kind: str, rows: int, changed: int = 0, unchanged: int = 0, skipped: int = 0) -> dict:
    return {
        "kind": kind,
        "rows": rows,
        "changed": changed,
        "unchanged": unchanged,
        "skipped": skipped,
    }


def observer_courses(observer, student, state=EnrollmentState.ACTIVE) -> set[str]:
    """Course codes where ``observer`` has an Observer enrollment for ``student`` in ``state``."""
    return set(
        Enrollment.objects.filter(
            user=observer, type=Role.OBSERVER, associated_user=student, state=state
        ).values_list("course__course_code", flat=True)
    )


def snapshot(institution) -> tuple:
    """Everything an import may touch, with the timestamps a needless write would move."""
    return (
        list(
            User.objects.filter(institution=institution)
            .order_by("pk")
            .values_list(
                "pk", "email", "name", "sortable_name", "short_name", "sis_user_id", "is_active"
            )
        ),
        list(
            Course.objects.filter(institution=institution)
            .order_by("pk")
            .values_list("pk", "name", "course_code", "sis_course_id", "state", "created_at")
        ),
        list(
            Enrollment.objects.filter(course__institution=institution)
            .order_by("pk")
            .values_list(
                "pk",
                "user",
                "course",
                "type",
                "state",
                "associated_user",
                "created_at",
                "updated_at",
            )
        ),
        list(
            ObserverLink.objects.filter(institution=institution)
            .order_by("pk")
            .values_list(
                "pk",
                "observer",
                "student",
                "state",
                "source",
                "created_at",
                "created_by",
                "removed_at",
            )
        ),
    )
