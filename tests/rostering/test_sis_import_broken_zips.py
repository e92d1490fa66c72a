"""A zip that cannot be unpacked, through the upload page and the command: each gives a clear
message, the import ends failed (never left "running"), and nothing of it is imported."""

import io
import struct
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from pytest_django.asserts import assertContains

from accounts.models import User
from rostering.models import SisImport, SisImportState
from tests.rostering.sis_helpers import USERS, csv_bytes, run_queued_imports

ROWS = csv_bytes(USERS, *[f"U{n},u{n}@example.test,Ann,Lee,,active" for n in range(2000)])


def zipped(compression=zipfile.ZIP_DEFLATED) -> bytearray:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        archive.writestr("users.csv", ROWS)
    return bytearray(buffer.getvalue())


def directory_entry(archive: bytearray) -> int:
    """Where the member's entry in the zip's directory starts (its local header is at 0)."""
    return archive.index(b"PK\x01\x02")


def bad_checksum() -> bytes:
    archive = zipped(zipfile.ZIP_STORED)
    at = archive.index(b"U1000,")
    archive[at + 1 : at + 5] = b"9999"  # the stored text changes, its CRC-32 does not
    return bytes(archive)


def encrypted_member() -> bytes:
    archive = zipped()
    for at in (6, directory_entry(archive) + 8):  # general purpose flags, bit 0: encrypted
        (flags,) = struct.unpack_from("<H", archive, at)
        struct.pack_into("<H", archive, at, flags | 1)
    return bytes(archive)


def cut_short() -> bytes:
    archive = zipped()
    return bytes(archive[: len(archive) // 2])


def unknown_compression() -> bytes:
    archive = zipped()
    for at in (8, directory_entry(archive) + 10):
        struct.pack_into("<H", archive, at, 9)  # Deflate64, which zipfile cannot unpack
    return bytes(archive)


def size_that_lies() -> bytes:
    """The headers claim 100 bytes where the member unpacks to 80 KB (a zip bomb's trick to slip
    past the size check)."""
    archive = zipped()
    for at in (22, directory_entry(archive) + 24):  # uncompressed size
        struct.pack_into("<I", archive, at, 100)
    return bytes(archive)


def scrambled_data() -> bytes:
    archive = zipped()
    start = 30 + len("users.csv")  # the member's compressed data, after its local header
    for at in range(start + 10, start + 60):
        archive[at] ^= 0x5A
    return bytes(archive)


BROKEN = {
    "bad checksum": (
        bad_checksum,
        "school.zip is damaged: users.csv cannot be unpacked. Make the zip again and upload it.",
    ),
    "encrypted member": (
        encrypted_member,
        "users.csv in school.zip is protected by a password; make the zip again without one.",
    ),
    "cut short": (
        cut_short,
        "school.zip is not a complete zip file; it may have been cut short. Make the zip again "
        "and upload it.",
    ),
    "unknown compression": (
        unknown_compression,
        "users.csv in school.zip is compressed in a way that cannot be unpacked here; make the "
        "zip again with ordinary (Deflate) compression.",
    ),
    "size that lies": (
        size_that_lies,
        "school.zip is damaged: users.csv cannot be unpacked. Make the zip again and upload it.",
    ),
    "scrambled data": (
        scrambled_data,
        "school.zip is damaged: users.csv cannot be unpacked. Make the zip again and upload it.",
    ),
}


@pytest.fixture(params=list(BROKEN))
def broken(request) -> tuple[bytes, str]:
    build, message = BROKEN[request.param]
    return build(), message


def test_the_upload_page_shows_why_a_broken_zip_failed(client, institution, admin, broken):
    data, message = broken
    client.force_login(admin)

    response = client.post(
        reverse("sis_imports", args=[institution.pk]),
        {"file": SimpleUploadedFile("school.zip", data, "application/zip")},
    )
    run_queued_imports()

    record = SisImport.objects.get()
    assert response.status_code == 302
    assert (record.state, record.error) == (SisImportState.FAILED, message)
    assert record.finished_at is not None
    assertContains(client.get(response.url), message)
    assert not User.objects.filter(sis_user_id__isnull=False).exists()


def test_the_command_fails_on_a_broken_zip_with_the_same_message(
    job_queue, institution, tmp_path, broken
):
    data, message = broken
    path = tmp_path / "school.zip"
    path.write_bytes(data)

    with pytest.raises(CommandError) as failed:
        call_command("sis_import", str(path), stdout=io.StringIO(), stderr=io.StringIO())

    assert str(failed.value) == message
    assert SisImport.objects.get().state == SisImportState.FAILED
    assert not User.objects.filter(sis_user_id__isnull=False).exists()


def test_the_message_is_in_the_admins_language(client, institution, admin):
    client.force_login(admin)
    client.cookies["django_language"] = "es"

    client.post(
        reverse("sis_imports", args=[institution.pk]),
        {"file": SimpleUploadedFile("school.zip", encrypted_member(), "application/zip")},
    )
    run_queued_imports()

    assert "protegido con una contraseña" in SisImport.objects.get().error


def test_an_intact_zip_of_the_same_rows_imports(client, institution, admin):
    client.force_login(admin)

    client.post(
        reverse("sis_imports", args=[institution.pk]),
        {"file": SimpleUploadedFile("school.zip", bytes(zipped()), "application/zip")},
    )
    run_queued_imports()

    assert SisImport.objects.get().state == SisImportState.DONE
    assert User.objects.filter(sis_user_id__isnull=False).count() == 2000


def test_a_zip_that_would_unpack_too_far_is_refused_before_unpacking(institution, monkeypatch):
    import io
    import zipfile

    from rostering import sis_csv
    from tests.rostering.sis_helpers import run

    monkeypatch.setattr(sis_csv, "MAX_FILE_BYTES", 1000)  # a small ceiling instead of a huge file
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "user_observers.csv", "observer_id,student_id,status\n" + "A,B,active\n" * 500
        )
    record = run(institution, "big.zip", buffer.getvalue())
    assert record.state == "failed"
    assert "unpacks to more than" in record.error
