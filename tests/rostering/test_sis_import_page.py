"""The SIS Import admin pages (upload, earlier imports, one import's result) and the sis_import
command."""

import re
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from accounts.models import User
from rostering.models import SisImport, SisImportState
from tests.factories import InstitutionFactory
from tests.rostering.sis_helpers import (
    USERS,
    csv_bytes,
    run,
    run_queued_imports,
    school_zip,
    snapshot,
)

GOOD_AND_HOSTILE = csv_bytes(
    USERS,
    "U1,ann@example.test,Ann,Lee,,active",
    "U2,bo@example.test,Bo,Kim,,<script>alert(1)</script>",
)


def imports_url(institution):
    return reverse("sis_imports", args=[institution.pk])


def detail_url(institution, record):
    return reverse("sis_import_detail", args=[institution.pk, record.pk])


def upload(client, institution, data=GOOD_AND_HOSTILE, name="users.csv", **fields):
    return client.post(
        imports_url(institution), {"file": SimpleUploadedFile(name, data, "text/csv"), **fields}
    )


def imported_users():
    return list(User.objects.exclude(sis_user_id=None).values_list("sis_user_id", flat=True))


# --- Upload and result ---------------------------------------------------------------------------


def test_an_admin_uploads_a_file_and_sees_its_counts_and_escaped_messages(
    client, institution, admin
):
    client.force_login(admin)

    response = upload(client, institution)
    run_queued_imports()

    record = SisImport.objects.get()
    assert response.status_code == 302
    assert response.url == detail_url(institution, record)
    assert (record.institution, record.created_by, record.dry_run) == (institution, admin, False)
    assert imported_users() == ["U1"]
    page = client.get(response.url)
    assertContains(
        page,
        '<tr><th scope="row">users.csv</th><td>users</td>'
        "<td>2</td><td>1</td><td>0</td><td>1</td></tr>",
        html=True,
    )
    assertContains(
        page,
        "<tr><td>users.csv</td><td>3</td>"
        "<td>Improper status &quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot; for user U2</td></tr>",
        html=True,
    )
    assertNotContains(page, "<script>alert(1)")
    assertContains(page, "by Avery Admin")


def test_a_dry_run_upload_changes_nothing_and_says_so(client, institution, admin):
    client.force_login(admin)
    before = snapshot(institution)

    response = upload(client, institution, school_zip(), "school.zip", dry_run="on")
    run_queued_imports()

    record = SisImport.objects.get()
    assert record.dry_run is True
    assert snapshot(institution) == before
    page = client.get(response.url)
    assertContains(page, "Import of school.zip (dry run)")
    assertContains(page, "nothing was changed")
    assertContains(page, '<th scope="col">Would change</th>', html=True)


def test_a_file_that_cannot_be_read_shows_its_error(client, institution, admin):
    client.force_login(admin)

    response = upload(client, institution, b"name,email\nAnn,ann@example.test\n")
    run_queued_imports()

    record = SisImport.objects.get()
    assert record.state == SisImportState.FAILED
    assertContains(client.get(response.url), record.error)


def test_the_form_without_a_file_shows_a_field_error_and_imports_nothing(
    client, institution, admin
):
    client.force_login(admin)

    response = client.post(imports_url(institution), {"dry_run": "on"})

    assert response.status_code == 200
    assert response.context["form"].errors == {"file": ["This field is required."]}
    assert not SisImport.objects.exists()


def test_the_page_lists_earlier_imports_newest_first(client, institution, admin):
    first = run(institution, "first.csv", GOOD_AND_HOSTILE, by=admin)
    second = run(institution, "second.zip", school_zip(), dry_run=True)
    run(InstitutionFactory(), "elsewhere.csv", GOOD_AND_HOSTILE)
    client.force_login(admin)

    response = client.get(imports_url(institution))

    assert response.status_code == 200
    assert list(response.context["page"]) == [second, first]
    assertContains(response, f'href="{detail_url(institution, first)}"')
    assertContains(response, '<td>second.zip <span class="muted">(dry run)</span></td>', html=True)
    assertContains(response, "command line")
    assertNotContains(response, "elsewhere.csv")


def test_the_list_of_imports_takes_the_same_queries_however_long(
    client, institution, admin, django_assert_max_num_queries
):
    run(institution, "first.csv", GOOD_AND_HOSTILE, by=admin)
    client.force_login(admin)
    with django_assert_max_num_queries(50) as few:
        client.get(imports_url(institution))
    for n in range(15):
        run(institution, f"more-{n}.csv", GOOD_AND_HOSTILE, by=admin)

    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(imports_url(institution))


# --- Who may see the pages -----------------------------------------------------------------------


@pytest.fixture
def earlier(institution, admin):
    return run(institution, "users.csv", GOOD_AND_HOSTILE, by=admin)


def test_anonymous_visitors_are_sent_to_log_in(client, institution, earlier):
    for response in (
        client.get(imports_url(institution)),
        upload(client, institution),
        client.get(detail_url(institution, earlier)),
    ):
        assert response.status_code == 302
        assert response.url.startswith(reverse("login") + "?next=")
    assert SisImport.objects.count() == 1


@pytest.mark.parametrize("persona", ["teacher", "student"])
def test_teachers_and_students_of_the_institution_are_forbidden(
    client, institution, earlier, persona, request
):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(imports_url(institution)).status_code == 403
    assert upload(client, institution).status_code == 403
    assert client.get(detail_url(institution, earlier)).status_code == 403
    assert SisImport.objects.count() == 1


def test_an_admin_of_another_institution_gets_not_found(client, institution, earlier, other_admin):
    client.force_login(other_admin)

    assert client.get(imports_url(institution)).status_code == 404
    assert upload(client, institution).status_code == 404
    assert client.get(detail_url(institution, earlier)).status_code == 404
    assert SisImport.objects.count() == 1


def test_another_institutions_import_is_not_found_under_yours(
    client, institution, admin, other_admin
):
    theirs = run(other_admin.institution, "theirs.csv", GOOD_AND_HOSTILE, by=other_admin)
    client.force_login(admin)

    assert client.get(detail_url(institution, theirs)).status_code == 404


def test_the_result_page_only_reads(client, institution, admin, earlier):
    client.force_login(admin)

    assert client.post(detail_url(institution, earlier)).status_code == 405


# --- The sis_import command ----------------------------------------------------------------------


def command(*args, **options) -> str:
    out = StringIO()
    call_command("sis_import", *map(str, args), stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


@pytest.fixture
def users_file(tmp_path):
    path = tmp_path / "users.csv"
    path.write_bytes(GOOD_AND_HOSTILE)
    return path


def test_the_command_imports_a_file_and_prints_counts_and_messages(
    job_queue, institution, users_file
):
    output = command(users_file, institution=str(institution.pk))

    record = SisImport.objects.get()
    assert (record.created_by, record.dry_run) == (None, False)
    assert output.splitlines() == [
        f"Imported users.csv into Springfield Schools (import #{record.pk})",
        "  users.csv (users): 2 rows, 1 changed, 0 unchanged, 1 skipped",
        '  users.csv row 3: Improper status "<script>alert(1)</script>" for user U2',
    ]
    assert imported_users() == ["U1"]


def test_the_command_finds_the_only_institution_or_one_named_exactly(
    job_queue, institution, users_file
):
    first = command(users_file)
    again = command(users_file, institution="Springfield Schools")

    assert "into Springfield Schools" in first
    assert "users.csv (users): 2 rows, 0 changed, 1 unchanged, 1 skipped" in again
    assert set(SisImport.objects.values_list("institution", flat=True)) == {institution.pk}


def test_a_dry_run_from_the_command_changes_nothing(job_queue, institution, tmp_path):
    path = tmp_path / "school.zip"
    path.write_bytes(school_zip())
    before = snapshot(institution)

    output = command(path, institution=str(institution.pk), dry_run=True)

    assert output.startswith("Would import school.zip into Springfield Schools")
    assert "export-3.csv (user_observers): 2 rows, 2 changed" in output
    assert snapshot(institution) == before
    assert SisImport.objects.get().dry_run is True


def test_the_command_needs_an_institution_when_there_are_several(
    institution, other_admin, users_file
):
    with pytest.raises(CommandError, match="Name the institution with --institution"):
        command(users_file)
    with pytest.raises(CommandError, match="No institution 'Nowhere'"):
        command(users_file, institution="Nowhere")
    assert not SisImport.objects.exists()


def test_the_command_refuses_a_path_it_cannot_read(institution, tmp_path):
    missing = tmp_path / "missing.csv"

    with pytest.raises(CommandError, match=re.escape(f"Cannot read {missing}: No such file")):
        command(missing)
    with pytest.raises(CommandError, match="Is a directory"):
        command(tmp_path)
    assert not SisImport.objects.exists()


def test_the_command_fails_on_a_file_it_cannot_import(job_queue, institution, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(b"name,email\nAnn,ann@example.test\n")

    with pytest.raises(CommandError) as failed:
        command(path)

    record = SisImport.objects.get()
    assert record.state == SisImportState.FAILED
    assert str(failed.value) == record.error
    assert record.error.startswith("people.csv: the header (name, email) is not one of")
