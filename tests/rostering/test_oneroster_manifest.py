"""A OneRoster upload is a zip with manifest.csv: one without it, or whose manifest names a file it
does not hold, fails with a message that says so, and nothing of it is imported."""

import io
import zipfile

import pytest

from accounts.models import User
from rostering.models import SisImportState
from tests.rostering.oneroster_district import district_zip, manifest, table
from tests.rostering.oneroster_helpers import import_oneroster


def rezipped(data: bytes, *, drop: str = "", replace: dict | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as target:
        for member in source.infolist():
            if member.filename != drop:
                target.writestr(
                    member.filename, (replace or {}).get(member.filename) or source.read(member)
                )
    return buffer.getvalue()


def failed(institution, data: bytes) -> str:
    record = import_oneroster(institution, data)
    assert record.state == SisImportState.FAILED
    assert not User.objects.filter(institution=institution, sis_user_id__isnull=False).exists()
    return record.error


def test_a_zip_without_a_manifest_is_refused(institution):
    assert failed(institution, rezipped(district_zip(), drop="manifest.csv")) == (
        "lakeside.zip has no manifest.csv: a OneRoster export is a zip with manifest.csv beside "
        "its files. Export it again, or import it as Canvas SIS CSV."
    )


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_a_manifest_naming_a_file_the_zip_lacks_is_refused(institution, version):
    assert failed(institution, district_zip(version, leave_out=("enrollments",))) == (
        "manifest.csv says enrollments.csv is in the zip (bulk), but lakeside.zip holds no "
        "enrollments.csv. Export it again."
    )


def test_files_the_manifest_calls_absent_are_not_looked_for(institution):
    data = district_zip(leave_out=("demographics",), extra_modes={"demographics": "absent"})
    record = import_oneroster(institution, data)
    assert record.state == SisImportState.DONE
    assert "demographics.csv" not in record.counts  # read only as far as needed: not at all


def test_an_unknown_version_is_refused(institution):
    data = rezipped(district_zip(), replace={"manifest.csv": manifest("2.0", {})})
    assert failed(institution, data) == (
        'manifest.csv: oneroster.version is "2.0"; OneRoster 1.1 and 1.2 can be imported.'
    )


def test_a_file_mode_that_is_not_bulk_delta_or_absent_is_refused(institution):
    data = rezipped(district_zip(), replace={"manifest.csv": manifest("1.1", {"users": "full"})})
    assert failed(institution, data) == (
        'manifest.csv: file.users is "full", where bulk, delta or absent is expected.'
    )


def test_a_csv_that_is_not_a_zip_is_refused(institution):
    data = table(["sourcedId", "role"], [["U1", "student"]])
    assert failed(institution, data) == (
        "lakeside.zip is not a zip file: a OneRoster export is a zip of CSV files with "
        "manifest.csv."
    )
