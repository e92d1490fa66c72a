"""`make bench`'s SIS imports: each kind of file as the worker imports it, and the peak memory of
the `sis_import` command importing a 1,000,000-row users.csv (bench/run.py prints and keeps them)."""

import subprocess
import sys
import time
from pathlib import Path

from district import SIS_OBSERVERS, SIS_STUDENTS

ROOT = Path(__file__).resolve().parent.parent


SIS_ROWS = 100_000  # rows of each kind of file
MEMORY_ROWS = 1_000_000  # the users.csv whose import's peak memory is measured


def sis_import_timed(institution, name: str, lines) -> dict:
    """Import one file as the worker does (the job's own code, in this process); rows/s."""
    from django.core.files.base import ContentFile

    from rostering.sis_import import sis_import_request, sis_import_run

    payload = ("\n".join(lines) + "\n").encode()
    record = sis_import_request(
        institution=institution, filename=name, upload=ContentFile(payload), by=None
    )
    began = time.perf_counter()
    sis_import_run(import_id=record.pk)
    wall = time.perf_counter() - began
    record.refresh_from_db()
    counts = record.counts[name]
    assert record.state == "done", record.error
    assert counts["skipped"] == 0, record.messages[:3]
    return {
        "rows": counts["rows"],
        "changed": counts["changed"],
        "seconds": wall,
        "rows_per_s": counts["rows"] / wall,
    }


def measure_sis_imports(data: dict) -> dict:
    """Each kind of SIS file, 100,000 rows, new to the district (a first import)."""
    from accounts.models import Institution

    district = Institution.objects.get(pk=data["district"])
    n = SIS_ROWS
    users = ["user_id,login_id,first_name,last_name,email,status"] + [
        f"BU{i:06d},bu{i:06d}@bench.test,First{i},Last{i},,active" for i in range(n)
    ]
    courses = ["course_id,short_name,long_name,status"] + [
        f"BC{i:06d},BC{i:06d},Bench course {i},active" for i in range(n)
    ]
    # Each imported person a student in one of 2,000 courses (50 a course).
    enrollments = ["course_id,user_id,role,status,associated_user_id"] + [
        f"BC{i % 2000:06d},BU{i:06d},student,active," for i in range(n)
    ]
    # Observer links of the district's 2,000 parents to its 50 students, as before.
    observers = ["observer_id,student_id,status"] + [
        f"SISPARENT{o:06d},SISSTUDENT{s:06d},active"
        for o in range(SIS_OBSERVERS)
        for s in range(SIS_STUDENTS)
    ]
    assert len(observers) - 1 == n
    results = {}
    for kind, lines in (
        ("users", users),
        ("courses", courses),
        ("enrollments", enrollments),
        ("user_observers", observers),
    ):
        results[kind] = sis_import_timed(district, f"{kind}.csv", lines)
        print(f"  {kind}.csv: {results[kind]['rows_per_s']:,.0f} rows/s", flush=True)
    results["users_again"] = sis_import_timed(district, "users.csv", users)  # all unchanged
    return results


def measure_import_memory(data: dict, env: dict) -> dict:
    """A 1,000,000-row users.csv imported by `manage.py sis_import` (which runs the job itself:
    no other worker is running here): the process's peak resident memory, from getrusage."""
    path = ROOT / "bench" / "memory-users.csv"
    with path.open("w") as out:
        out.write("user_id,login_id,first_name,last_name,email,status\n")
        for i in range(MEMORY_ROWS):
            out.write(f"MU{i:07d},mu{i:07d}@bench.test,First{i},Last{i},,active\n")
    # A small parent of its own, so that its children's peak is the import's alone.
    probe = (
        "import resource, subprocess, sys, time\n"
        "began = time.perf_counter()\n"
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, time.perf_counter() - began)\n"
    )
    try:
        finished = subprocess.run(
            [sys.executable, "-c", probe, sys.executable, "manage.py", "sis_import", str(path),
             "--institution", str(data["district"])],
            cwd=ROOT, env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
    finally:
        size = path.stat().st_size
        path.unlink()
    peak_kb, seconds = finished.stdout.split()
    return {
        "rows": MEMORY_ROWS,
        "file_mb": size / (1024 * 1024),
        "peak_rss_mb": int(peak_kb) / 1024,
        "seconds": float(seconds),
    }


ONEROSTER_STUDENTS = 50_000  # and as many parents, each naming their student: 100,000 users


def oneroster_zip(students: int) -> bytes:
    """A OneRoster 1.1 bulk export: ``students`` students and as many parents (each naming their
    student in agentSourcedIds), a class of 50 for each 50 students, and their enrollments."""
    import io
    import zipfile

    users = ["sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,"
             "givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,"
             "password"]  # fmt: skip
    users += [
        f"OS{i:06d},,,true,SCH,student,,,First{i},Kid{i},,,os{i:06d}@bench.test,,,,,"
        for i in range(students)
    ]
    users += [
        f"OP{i:06d},,,true,SCH,parent,,,Parent{i},Kid{i},,,op{i:06d}@bench.test,,,OS{i:06d},,"
        for i in range(students)
    ]
    classes = ["sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,"
               "classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods"]  # fmt: skip
    classes += [
        f"OC{c:05d},,,Class {c},,,OC{c:05d},scheduled,,SCH,,,," for c in range(students // 50)
    ]
    enrollments = ["sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,"
                   "userSourcedId,role,primary,beginDate,endDate"]  # fmt: skip
    enrollments += [
        f"OE{i:06d},,,OC{i // 50:05d},SCH,OS{i:06d},student,,," for i in range(students)
    ]
    manifest = ["propertyName,value", "oneroster.version,1.1", "file.users,bulk",
                "file.classes,bulk", "file.enrollments,bulk", "source.systemCode,bench"]  # fmt: skip
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, lines in (("manifest.csv", manifest), ("users.csv", users),
                            ("classes.csv", classes), ("enrollments.csv", enrollments)):  # fmt: skip
            archive.writestr(name, "\n".join(lines) + "\n")
    return buffer.getvalue()


def oneroster_import_timed(institution, payload: bytes) -> dict:
    """Import a OneRoster zip as the worker does; rows/s over every row of its files (users,
    classes, enrollments, and the observer links of agentSourcedIds)."""
    from django.core.files.base import ContentFile

    from rostering.sis_import import sis_import_request, sis_import_run

    record = sis_import_request(
        institution=institution,
        filename="oneroster.zip",
        upload=ContentFile(payload),
        by=None,
        import_type="oneroster_csv",
    )
    began = time.perf_counter()
    sis_import_run(import_id=record.pk)
    wall = time.perf_counter() - began
    record.refresh_from_db()
    assert record.state == "done", record.error
    assert record.message_count == 0, record.messages[:3]
    rows = sum(counts["rows"] for counts in record.counts.values())
    changed = sum(counts["changed"] for counts in record.counts.values())
    return {"rows": rows, "changed": changed, "seconds": wall, "rows_per_s": rows / wall}


def measure_oneroster_import(data: dict, students: int = ONEROSTER_STUDENTS) -> dict:
    """A district's first OneRoster import (100,000 users, 50,000 enrollments and observer
    links), then the same bulk export again (nothing changes, nothing is removed)."""
    from accounts.models import Institution

    district = Institution.objects.get(pk=data["district"])
    payload = oneroster_zip(students)
    results = {"first": oneroster_import_timed(district, payload)}
    print(f"  OneRoster zip: {results['first']['rows_per_s']:,.0f} rows/s", flush=True)
    results["again"] = oneroster_import_timed(district, payload)
    return results
