"""The SIS import API takes OneRoster zips (import_type=oneroster_csv) with Canvas's
change_threshold; a bulk file past it fails with its reason, as Canvas's would."""

from django.core.files.uploadedfile import SimpleUploadedFile

from pairing.models import ObserverLink
from rostering.models import SisImport, SisImportState, SisImportType
from tests.rostering.oneroster_district import district_zip
from tests.rostering.oneroster_helpers import import_oneroster
from tests.rostering.sis_helpers import run_queued_imports


def post(api_as, admin, institution, data: bytes, **fields):
    return api_as(admin).post(
        f"accounts/{institution.pk}/sis_imports",
        {
            "attachment": SimpleUploadedFile("lakeside.zip", data, "application/zip"),
            "import_type": "oneroster_csv",
            **fields,
        },
    )


def test_a_oneroster_zip_is_imported_with_its_guardians(api_as, admin, institution):
    response = post(api_as, admin, institution, district_zip(), oneroster_admins="true")

    assert response.status_code == 200, response.content
    record = SisImport.objects.get(pk=response.json()["id"])
    assert record.import_type == SisImportType.ONEROSTER_CSV
    assert record.options["oneroster_admins"] is True
    run_queued_imports()
    done = api_as(admin).get(f"accounts/self/sis_imports/{record.pk}").json()
    assert done["workflow_state"] == "imported_with_messages"
    assert done["data"]["import_type"] == "oneroster_csv"
    assert done["data"]["counts"]["user_observers"] == 4
    assert ObserverLink.objects.filter(institution=institution).count() == 4


def test_change_threshold_is_taken_for_oneroster_only(api_as, admin, institution):
    canvas = api_as(admin).post(
        f"accounts/{institution.pk}/sis_imports",
        {
            "attachment": SimpleUploadedFile("users.csv", b"user_id,login_id\n", "text/csv"),
            "import_type": "instructure_csv",
            "change_threshold": "20",
        },
    )
    assert canvas.status_code == 400
    assert "oneroster_csv only" in canvas.json()["errors"][0]["message"]

    response = post(api_as, admin, institution, district_zip(), change_threshold="20")
    assert response.status_code == 200
    options = SisImport.objects.get(pk=response.json()["id"]).options
    assert (options["change_threshold"], "oneroster_admins" in options) == (20, False)


def test_a_bulk_file_past_the_threshold_fails_with_its_reason(api_as, admin, institution):
    import_oneroster(institution, district_zip())
    half = district_zip(without=("U-K1", "U-K2", "U-P1", "U-R1"), filler=12)

    response = post(api_as, admin, institution, half)
    run_queued_imports()
    body = api_as(admin).get(f"accounts/self/sis_imports/{response.json()['id']}").json()

    assert body["workflow_state"] == "failed_with_messages"
    [[filename, error]] = body["processing_errors"]
    assert filename == "lakeside.zip"
    assert "more than 10 %" in error
    assert SisImport.objects.get(pk=body["id"]).state == SisImportState.WAITING
    assert ObserverLink.objects.filter(institution=institution, state="active").count() == 4


def test_a_threshold_of_zero_is_kept(api_as, admin, institution):
    response = post(api_as, admin, institution, district_zip(), change_threshold="0")
    assert SisImport.objects.get(pk=response.json()["id"]).options["change_threshold"] == 0
