"""Canvas's SIS import API (POST/GET /api/v1/accounts/:id/sis_imports), the account it imports
into, and SIS ids in place of ids wherever a route takes a user, course or account.
(canvasapi drives the same routes against a live server in tests/api/test_canvasapi.py.)"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rostering.models import SisImport, SisImportState
from tests.api.helpers import assert_unauthorized
from tests.factories import CourseFactory, EnrollmentFactory
from tests.rostering.sis_helpers import USERS, csv_bytes, run, run_queued_imports

GOOD = csv_bytes(USERS, "S1,s1@example.test,Sam,One,,active", "S2,s2@example.test,Sue,Two,,active")


def attachment(data: bytes = GOOD, name: str = "users.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, "text/csv")


def test_an_admin_reads_the_institution_as_canvas_root_account(api_as, admin, institution):
    for reference in (institution.pk, "self"):
        response = api_as(admin).get(f"accounts/{reference}")
        assert response.status_code == 200
        body = response.json()
        assert body["id"] == institution.pk
        assert body["name"] == institution.name
        assert (body["parent_account_id"], body["root_account_id"]) == (None, None)
        assert (body["workflow_state"], body["default_time_zone"]) == ("active", "UTC")


def test_a_new_import_is_created_and_then_imported_by_the_worker(api_as, admin, institution):
    response = api_as(admin).post(
        f"accounts/{institution.pk}/sis_imports",
        {"attachment": attachment(), "import_type": "instructure_csv", "extension": "csv"},
    )

    assert response.status_code == 200, response.content
    created = response.json()
    assert (created["workflow_state"], created["progress"]) == ("created", 0)
    assert created["data"] == {
        "import_type": "instructure_csv",
        "supplied_batches": [],
        "counts": None,
    }
    assert created["user"]["id"] == admin.pk
    record = SisImport.objects.get(pk=created["id"])
    assert (record.created_by, record.state, record.filename) == (
        admin,
        SisImportState.QUEUED,
        "users.csv",
    )

    run_queued_imports()
    done = api_as(admin).get(f"accounts/self/sis_imports/{record.pk}").json()

    assert (done["workflow_state"], done["progress"]) == ("imported", 100)
    assert done["data"]["counts"]["users"] == 2
    assert done["data"]["counts"]["warning_count"] == 0
    assert done["processing_warnings"] == done["processing_errors"] == []
    assert done["ended_at"] is not None


def test_a_row_with_a_problem_is_a_warning_in_canvas_shape(api_as, admin, institution):
    data = csv_bytes(
        USERS, "S1,s1@example.test,Sam,One,,active", "S2,s2@example.test,Sue,Two,,maybe"
    )
    record = run(institution, "users.csv", data, by=admin)

    body = api_as(admin).get(f"accounts/{institution.pk}/sis_imports/{record.pk}").json()

    assert body["workflow_state"] == "imported_with_messages"
    assert body["processing_warnings"] == [
        ["users.csv", 'Row 3: Improper status "maybe" for user S2']
    ]
    assert body["data"]["counts"]["users"] == 1
    assert body["data"]["counts"]["warning_count"] == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("batch_mode", "true", "batch_mode is not supported here"),
        ("diffing_data_set_identifier", "district", "Diffing"),
        ("import_type", "ims_xml", "import_type"),
        ("extension", "xlsx", "extension"),
    ],
)
def test_what_is_not_built_here_is_a_clear_bad_request(
    api_as, admin, institution, field, value, message
):
    response = api_as(admin).post(
        f"accounts/{institution.pk}/sis_imports", {"attachment": attachment(), field: value}
    )

    assert response.status_code == 400
    assert message in response.json()["errors"][0]["message"]
    assert not SisImport.objects.exists()


def test_an_import_without_a_file_is_a_bad_request(api_as, admin, institution):
    response = api_as(admin).post(
        f"accounts/{institution.pk}/sis_imports", {"import_type": "instructure_csv"}
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"].startswith("attachment:")


def test_only_account_admins_of_the_institution_see_or_start_imports(
    api_as, admin, teacher, other_admin, institution
):
    record = run(institution, "users.csv", GOOD, by=admin)
    for path in (
        f"accounts/{institution.pk}",
        f"accounts/{institution.pk}/sis_imports/{record.pk}",
    ):
        assert_unauthorized(api_as(teacher).get(path))
        assert api_as(other_admin).get(path).status_code == 404
    assert_unauthorized(
        api_as(teacher).post(f"accounts/{institution.pk}/sis_imports", {"attachment": attachment()})
    )
    # "self" is always the caller's own institution.
    assert api_as(other_admin).get(f"accounts/self/sis_imports/{record.pk}").status_code == 404
    assert SisImport.objects.count() == 1


def test_the_list_is_newest_first_paged_by_link_headers_in_a_flat_number_of_queries(
    api_as, admin, institution
):
    caller = api_as(admin)
    records = [run(institution, f"file-{n}.csv", GOOD, by=admin) for n in range(2)]
    caller.get("accounts/self/sis_imports")  # the token's first use is recorded once

    with CaptureQueriesContext(connection) as few:
        first = caller.get("accounts/self/sis_imports", {"per_page": "1"})
    records += [run(institution, f"more-{n}.csv", GOOD, by=admin) for n in range(5)]
    with CaptureQueriesContext(connection) as many:
        everything = caller.get("accounts/self/sis_imports", {"per_page": "100"})

    assert [item["id"] for item in first.json()["sis_imports"]] == [records[1].pk]
    assert 'rel="next"' in first["Link"]
    assert [item["id"] for item in everything.json()["sis_imports"]] == [
        r.pk for r in reversed(records)
    ]
    assert len(many) == len(few)


# --- SIS ids wherever a route takes a user, course or account ----------------------------------------


@pytest.fixture
def sis_ids(course, student, observer):
    course.sis_course_id = "BIO-2026"
    course.save(update_fields=["sis_course_id"])
    student.sis_user_id, observer.sis_user_id = "S1001", "P2001"
    student.save(update_fields=["sis_user_id"])
    observer.save(update_fields=["sis_user_id"])


def test_users_and_courses_are_found_by_sis_id_within_the_callers_institution(
    api_as, admin, course, student, sis_ids, other_admin
):
    caller = api_as(admin)

    assert caller.get("users/sis_user_id:S1001").json()["id"] == student.pk
    assert caller.get("courses/sis_course_id:BIO-2026").json()["id"] == course.pk
    assert (
        caller.get("courses/sis_course_id:BIO-2026/users/sis_user_id:S1001").json()["id"]
        == student.pk
    )
    enrollments = caller.get("courses/sis_course_id:BIO-2026/enrollments").json()
    assert student.pk in {e["user_id"] for e in enrollments}
    # Another institution's admin asks for the same SIS ids: they name nobody there.
    elsewhere = api_as(other_admin)
    assert elsewhere.get("users/sis_user_id:S1001").status_code == 404
    assert elsewhere.get("courses/sis_course_id:BIO-2026").status_code == 404


def test_an_admin_links_and_unlinks_by_sis_ids(api_as, admin, student, observer, sis_ids):
    caller = api_as(admin)

    linked = caller.put("users/sis_user_id:P2001/observees/sis_user_id:S1001")
    assert linked.status_code == 200, linked.content
    assert linked.json()["id"] == student.pk
    assert caller.get("users/sis_user_id:S1001/observers/sis_user_id:P2001").status_code == 200
    assert caller.delete("users/sis_user_id:P2001/observees/sis_user_id:S1001").status_code == 200
    assert caller.get("users/sis_user_id:P2001/observees/sis_user_id:S1001").status_code == 404


def test_an_unknown_sis_id_is_not_found(api_as, admin, sis_ids):
    caller = api_as(admin)
    for path in ("users/sis_user_id:NOBODY", "courses/sis_course_id:NOPE", "users/sis_user_id:"):
        response = caller.get(path)
        assert response.status_code == 404, path
        assert response.json()["errors"][0]["message"]


def test_a_course_of_another_institution_with_the_same_sis_id_stays_out_of_reach(
    api_as, admin, other_admin, course, sis_ids
):
    theirs = CourseFactory(institution=other_admin.institution, sis_course_id="BIO-2026")
    EnrollmentFactory(course=theirs)

    assert api_as(admin).get("courses/sis_course_id:BIO-2026").json()["id"] == course.pk
    assert api_as(other_admin).get("courses/sis_course_id:BIO-2026").json()["id"] == theirs.pk


def test_a_file_that_cannot_be_read_fails_with_its_reason_as_a_processing_error(
    api_as, admin, institution
):
    record = run(institution, "people.csv", b"name,email\nAnn,ann@example.test\n", by=admin)

    body = api_as(admin).get(f"accounts/self/sis_imports/{record.pk}").json()

    assert (body["workflow_state"], body["progress"]) == ("failed_with_messages", 100)
    assert body["processing_errors"] == [
        [
            "people.csv",
            "people.csv: the header (name, email) is not one of users.csv, courses.csv, "
            "enrollments.csv or user_observers.csv.",
        ]
    ]
    assert body["data"]["counts"]["error_count"] == 1
