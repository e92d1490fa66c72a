"""The SIS import's files as a whole (rostering.sis_import): unreadable uploads, broken lines, text
encodings, zips and the order they apply in, re-imports, dry runs and a large user_observers.csv."""

import pytest

from accounts.models import User
from accounts.names import short_name_for, sortable_name_for
from accounts.roles import Role
from courses.models import Enrollment, EnrollmentState
from pairing.models import ObserverLink, ObserverLinkSource, ObserverLinkState
from pairing.services import observer_link_create
from rostering.models import SisImportState
from tests.factories import _PASSWORD_HASH, CourseFactory
from tests.rostering.sis_helpers import (
    USER_OBSERVERS,
    USERS,
    counts,
    csv_bytes,
    observer_courses,
    run,
    school_zip,
    skips,
    snapshot,
    zipped,
)

# --- Whole files and broken lines ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "data", "error"),
    [
        (
            "users.csv",
            b"name,email\nAnn,ann@example.test\n",
            "users.csv: the header (name, email) is not one of users.csv, courses.csv, "
            "enrollments.csv or user_observers.csv.",
        ),
        ("users.csv", b"", "users.csv is empty."),
        ("users.csv", b"\xef\xbb\xbf", "users.csv is empty."),
        ("sis.zip", zipped({"readme.txt": b"hello"}), "sis.zip holds no .csv file."),
        (
            "users.csv",
            b"user_id,login_id,n\xffame\nU1,a@example.test,Ann\n",
            "users.csv: the header is not UTF-8 text; save the file as UTF-8 CSV.",
        ),
    ],
    ids=["unknown header", "empty", "only a BOM", "zip without csv", "header not UTF-8"],
)
def test_an_unreadable_upload_fails_as_a_whole_with_a_clear_error(
    institution, filename, data, error
):
    record = run(institution, filename, data)

    assert (record.state, record.error) == (SisImportState.FAILED, error)
    assert (record.counts, record.messages, record.finished_at is not None) == ({}, [], True)
    assert not User.objects.filter(institution=institution).exists()


def test_broken_lines_are_skipped_with_their_row_while_utf8_rows_import(institution):
    data = (
        b"\xef\xbb\xbf" + USERS.encode() + b"\n"
        b"U1,jose@example.test,Jos\xc3\xa9,N\xc3\xba\xc3\xb1ez,,active\n"
        b"U2,two@example.test\n"
        b"U3,three@example.test,Thr\xff\xfeee,Person,,active\n"
        b"U4,zoe@example.test,Zo\xc3\xab,Quinn,,active\n"
        b"\n"
        b'U6,six@example.test,"Six,Person,,active\n'
    )

    record = run(institution, "users.csv", data)

    assert record.counts == {"users.csv": counts("users", 5, changed=2, skipped=3)}
    assert skips(record) == [
        ("users.csv", 3, "the row has 2 fields where the header has 6."),
        ("users.csv", 4, "the row is not UTF-8 text; save the file as UTF-8 CSV."),
        ("users.csv", 7, "the line is not valid CSV (unexpected end of data); check its quotes."),
    ]
    assert sorted(User.objects.filter(institution=institution).values_list("name", flat=True)) == [
        "José Núñez",
        "Zoë Quinn",
    ]


def test_a_stray_quote_skips_only_its_own_line(institution):
    record = run(
        institution,
        "users.csv",
        csv_bytes(
            USERS,
            "U1,one@example.test,Ann,Lee,,active",
            'U2,two@example.test,"Bobby" Joe,Tables,,active',
            "U3,three@example.test,Cy,Ng,,active",
        ),
    )

    assert skips(record) == [
        ("users.csv", 3, "the line is not valid CSV (',' expected after '\"'); check its quotes."),
    ]
    assert record.counts == {"users.csv": counts("users", 3, changed=2, skipped=1)}
    assert User.objects.filter(sis_user_id="U3").exists()


@pytest.mark.parametrize(
    "data",
    [
        "user_id,login_id,first_name,last_name\nU1,a@example.test,Ann,Lee\n".encode("utf-16"),
        b"nom,pr\xe9nom\nLee,Ann\n",
    ],
    ids=["UTF-16 from Excel", "Windows-1252 with an unknown header"],
)
def test_a_file_in_another_encoding_fails_with_a_clear_error(institution, data):
    record = run(institution, "users.csv", data)

    assert record.state == SisImportState.FAILED
    assert "users.csv" in record.error
    assert not User.objects.filter(institution=institution).exists()


@pytest.mark.parametrize(
    "bad_row",
    ["U1,a@example.test,A\x00nn,Lee,,active", "U1,a@example.test,Ann,Lee,,act\x00ive"],
    ids=["in a name", "in a status"],
)
def test_a_nul_character_skips_only_its_row(institution, bad_row):
    record = run(
        institution, "users.csv", csv_bytes(USERS, bad_row, "U2,b@example.test,Bo,Kim,,active")
    )

    assert record.state == SisImportState.DONE
    assert [(m["file"], m["row"]) for m in record.messages] == [("users.csv", 2)]
    assert list(User.objects.exclude(sis_user_id=None).values_list("sis_user_id", flat=True)) == [
        "U2"
    ]


# --- Zips, re-imports and dry runs --------------------------------------------------------------------


def test_a_zip_applies_users_courses_enrollments_then_observers_recognised_by_header(
    institution,
):
    applied: list[str] = []
    record = run(
        institution,
        "school.zip",
        school_zip(),
        progress=lambda name, done, total: applied.append(name) if name not in applied else None,
    )

    assert applied == ["users.csv", "sis/courses.csv", "enrollments.csv", "export-3.csv"]
    assert record.counts == {
        "users.csv": counts("users", 5, changed=4, skipped=1),
        "sis/courses.csv": counts("courses", 2, changed=2),
        "enrollments.csv": counts("enrollments", 4, changed=4),
        "export-3.csv": counts("user_observers", 2, changed=2),
    }
    assert skips(record) == [("users.csv", 6, 'Improper status "maybe" for user K3')]
    p1, p2, k1, k2 = (User.objects.get(sis_user_id=s) for s in ("P1", "P2", "K1", "K2"))
    assert observer_courses(p1, k1) == {"MATH", "ART"}
    assert observer_courses(p1, k2) == {"MATH"}
    assert observer_courses(p2, k1) == {"ART"}
    assert not ObserverLink.objects.filter(observer=p2).exists()


def test_a_zip_made_on_a_mac_imports_without_its_resource_forks(institution):
    # macOS's "Compress" adds __MACOSX/._<name> entries of binary metadata; Canvas skips them
    # (SIS::CSV::ImportRefactored::IGNORE_FILES = /__macosx|desktop d[bf]|\A\..*/i).
    apple_double = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        \x00\x02\x00\x00"
    upload = zipped(
        {
            "users.csv": csv_bytes(USERS, "U1,ann@example.test,Ann,Lee,,active"),
            "__MACOSX/._users.csv": apple_double,
        }
    )

    record = run(institution, "Archive.zip", upload)

    assert (record.state, record.error) == (SisImportState.DONE, "")
    assert record.counts == {"users.csv": counts("users", 1, changed=1)}
    assert User.objects.filter(sis_user_id="U1").exists()


def test_importing_the_same_files_again_changes_nothing(institution, student, observer):
    student.sis_user_id, observer.sis_user_id = "S1", "O1"
    User.objects.bulk_update([student, observer], ["sis_user_id"])
    observer_link_create(
        observer=observer, student=student, by=None, source=ObserverLinkSource.ADMIN
    )
    extra_rows = zipped({"user_observers.csv": csv_bytes(USER_OBSERVERS, "O1,S1,deleted")})
    run(institution, "first.zip", school_zip())
    run(institution, "removals.zip", extra_rows)
    before = snapshot(institution)

    again = run(institution, "school.zip", school_zip())
    removals_again = run(institution, "removals.zip", extra_rows)

    assert again.counts == {
        "users.csv": counts("users", 5, unchanged=4, skipped=1),
        "sis/courses.csv": counts("courses", 2, unchanged=2),
        "enrollments.csv": counts("enrollments", 4, unchanged=4),
        "export-3.csv": counts("user_observers", 2, unchanged=2),
    }
    assert removals_again.counts == {"user_observers.csv": counts("user_observers", 1, unchanged=1)}
    assert removals_again.messages == []
    assert snapshot(institution) == before


def test_a_dry_run_counts_what_would_change_and_changes_nothing(institution, admin):
    before = snapshot(institution)

    record = run(institution, "school.zip", school_zip(), by=admin, dry_run=True)

    assert record.counts["export-3.csv"] == counts("user_observers", 2, changed=2)
    assert record.counts["enrollments.csv"] == counts("enrollments", 4, changed=4)
    assert skips(record) == [("users.csv", 6, 'Improper status "maybe" for user K3')]
    assert snapshot(institution) == before
    record.refresh_from_db()
    assert (record.dry_run, record.state, record.created_by) == (True, SisImportState.DONE, admin)


# --- Size ---------------------------------------------------------------------------------------------


def people(institution, prefix: str, count: int) -> list[User]:
    users = []
    for n in range(count):
        name = f"{prefix} Person{n}"
        users.append(
            User(
                institution=institution,
                email=f"{prefix.lower()}{n}@bulk.test",
                name=name,
                sortable_name=sortable_name_for(name),
                short_name=short_name_for(name),
                sis_user_id=f"{prefix}{n}",
                password=_PASSWORD_HASH,
            )
        )
    return User.objects.bulk_create(users)


def test_ten_thousand_observer_rows_import_in_one_go(institution):
    observers, students = people(institution, "OBS", 400), people(institution, "STU", 25)
    courses = CourseFactory.create_batch(2, institution=institution)
    Enrollment.objects.bulk_create(
        Enrollment(course=course, user=student, type=Role.STUDENT)
        for course in courses
        for student in students
    )
    rows = [f"{o.sis_user_id},{s.sis_user_id},active" for o in observers for s in students]

    record = run(institution, "user_observers.csv", csv_bytes(USER_OBSERVERS, *rows))

    assert record.counts == {"user_observers.csv": counts("user_observers", 10_000, changed=10_000)}
    assert (
        ObserverLink.objects.filter(
            institution=institution,
            state=ObserverLinkState.ACTIVE,
            source=ObserverLinkSource.SIS_IMPORT,
        ).count()
        == 10_000
    )
    assert (
        Enrollment.objects.filter(
            course__in=courses, type=Role.OBSERVER, state=EnrollmentState.ACTIVE
        ).count()
        == 20_000
    )
