"""OneRoster on the SIS Import page and the sis_import command: the format is chosen, and a bulk
file past the threshold asks for a confirmation (page) or --allow-removals (command)."""

from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from accounts.models import User
from rostering.models import SisImport, SisImportState
from tests.rostering.oneroster_district import district_zip
from tests.rostering.oneroster_helpers import active_people, import_oneroster, links
from tests.rostering.sis_helpers import run_queued_imports, snapshot

HALF = {"without": ("U-K1", "U-K2", "U-P1", "U-R1"), "filler": 12}


def upload(client, institution, data: bytes, **fields):
    return client.post(
        reverse("sis_imports", args=[institution.pk]),
        {
            "file": SimpleUploadedFile("lakeside.zip", data, "application/zip"),
            "import_type": "oneroster_csv",
            **fields,
        },
    )


def detail_url(record):
    return reverse("sis_import_detail", args=[record.institution_id, record.pk])


def test_an_admin_uploads_a_oneroster_zip_and_reads_its_guardians_messages(
    client, institution, admin
):
    client.force_login(admin)
    upload(client, institution, district_zip("1.2"), oneroster_identifier="on")
    run_queued_imports()
    record = SisImport.objects.get()
    assert (record.state, record.options) == (
        SisImportState.DONE,
        {"oneroster_sis_id": "identifier"},
    )
    page = client.get(detail_url(record))
    assertContains(page, "users.csv: agentSourcedIds")
    assertContains(page, "The agentSourcedIds of student U-K3 name U-T1")  # the file's ids
    assert ("ID-P1", "ID-K1", "sis_import") in links(institution)


def test_the_page_asks_to_confirm_removals_past_the_threshold(client, institution, admin):
    import_oneroster(institution, district_zip())
    before = snapshot(institution)
    client.force_login(admin)

    upload(client, institution, district_zip(**HALF))
    run_queued_imports()
    record = SisImport.objects.latest("pk")
    page = client.get(detail_url(record))

    assert record.state == SisImportState.WAITING
    assertContains(page, "Confirm the removals")
    assertContains(page, "Import it and remove them")
    assertContains(page, "22 users deactivated, 22 enrollments deleted, 3 observer links removed")
    assertNotContains(page, 'id="import-progress"')
    assert snapshot(institution) == before

    client.post(reverse("sis_import_confirm", args=[institution.pk, record.pk]))
    run_queued_imports()
    record.refresh_from_db()
    assert (record.state, record.upload.name) == (SisImportState.DONE, "")
    assert record.options["removals_confirmed_by"] == admin.pk
    assert active_people(institution) == {"U-T1", "U-A1", "U-K3", "U-P2"}


def test_cancelling_changes_nothing_and_forgets_the_upload(client, institution, admin):
    import_oneroster(institution, district_zip())
    before = snapshot(institution)
    client.force_login(admin)
    upload(client, institution, district_zip(**HALF))
    run_queued_imports()
    record = SisImport.objects.latest("pk")
    stored = record.upload.name

    response = client.post(reverse("sis_import_cancel", args=[institution.pk, record.pk]))

    assert response.status_code == 302
    record.refresh_from_db()
    assert record.state == SisImportState.FAILED
    assert not record.upload.storage.exists(stored)
    assert snapshot(institution) == before
    again = client.post(reverse("sis_import_confirm", args=[institution.pk, record.pk]))
    assertContains(client.get(again.url), "This import is not waiting for a confirmation.")


def test_the_command_imports_oneroster_and_needs_allow_removals_past_the_threshold(
    job_queue, institution, tmp_path
):
    full, half = tmp_path / "full.zip", tmp_path / "half.zip"
    full.write_bytes(district_zip())
    half.write_bytes(district_zip(**HALF))
    out = StringIO()
    call_command(
        "sis_import", str(full), "--import-type", "oneroster_csv", stdout=out, stderr=StringIO()
    )
    assert "Imported full.zip" in out.getvalue()
    assert len(links(institution)) == 4

    with pytest.raises(CommandError, match="run the command again with --allow-removals"):
        call_command("sis_import", str(half), "--import-type", "oneroster_csv", stderr=StringIO())
    assert len(links(institution)) == 4
    assert SisImport.objects.latest("pk").state == SisImportState.FAILED  # cancelled

    call_command(
        "sis_import", str(half), "--import-type", "oneroster_csv", "--allow-removals",
        stdout=StringIO(), stderr=StringIO(),
    )  # fmt: skip
    assert links(institution) == {("U-P2", "U-K3", "sis_import")}
    assert not User.objects.get(sis_user_id="U-K1").is_active
