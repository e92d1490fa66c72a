"""Bodies sent to the portal's pages: a Content-Length over the cap is a 413 before a byte is read;
the SIS import's upload page has a cap of its own."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse
from pytest_django.asserts import assertContains

from rostering.models import SisImport
from rostering.sis_csv import MAX_FILE_BYTES
from tests.rostering.sis_helpers import csv_bytes, run_queued_imports

MB = 1024 * 1024


def post_claiming(client, url: str, body: bytes, length: int):
    """A POST whose Content-Length says ``length``: what a sender claims is all a server has to go
    on before reading, and is the most Django will read."""
    watched = io.BytesIO(body)
    response = client.generic(
        "POST",
        url,
        body,
        MULTIPART_CONTENT,
        **{"wsgi.input": watched, "CONTENT_LENGTH": str(length)},
    )
    return response, watched


def test_a_huge_post_to_the_log_in_page_is_refused_unread(client, db):
    body = encode_multipart(BOUNDARY, {"username": "a@example.test", "password": "x" * 10})

    response, watched = post_claiming(client, reverse("login"), body, 50 * MB)

    assert response.status_code == 413
    assertContains(response, "at most 2.5 MB is accepted", status_code=413)
    assert watched.tell() == 0


def test_the_413_page_is_in_the_visitors_language(client, db):
    client.cookies["django_language"] = "es"

    response, _ = post_claiming(client, reverse("login"), b"", 50 * MB)

    assertContains(response, "Lo que envió es demasiado grande", status_code=413)


def test_an_sis_upload_over_its_own_cap_is_refused_unread(client, institution, admin):
    client.force_login(admin)
    url = reverse("sis_imports", args=[institution.pk])

    response, watched = post_claiming(client, url, b"", MAX_FILE_BYTES + 2 * MB)

    assert response.status_code == 413
    assertContains(response, "at most 201 MB is accepted", status_code=413)
    assert watched.tell() == 0
    assert not SisImport.objects.exists()


def test_an_sis_upload_larger_than_other_pages_allow_still_reaches_the_import(
    client, institution, admin
):
    client.force_login(admin)
    # A file the import reads whole and then refuses at once: only its size matters here.
    data = csv_bytes("name,email", *[f"Ann Lee {n},ann{n}@example.test" for n in range(120_000)])
    assert len(data) > 3 * MB

    response = client.post(
        reverse("sis_imports", args=[institution.pk]),
        {"file": SimpleUploadedFile("people.csv", data, "text/csv")},
    )
    run_queued_imports()

    assert response.status_code == 302
    assert SisImport.objects.get().error.startswith("people.csv: the header (name, email)")


def test_the_sis_import_api_takes_the_upload_pages_cap_and_no_more(client, institution, admin):
    from tests.api.helpers import bearer

    url = f"/api/v1/accounts/{institution.pk}/sis_imports"
    watched = io.BytesIO(b"")
    over = client.generic(
        "POST",
        url,
        b"",
        MULTIPART_CONTENT,
        **{"wsgi.input": watched, "CONTENT_LENGTH": str(MAX_FILE_BYTES + 2 * MB)},
        **bearer(admin),
    )
    data = csv_bytes("name,email", *[f"Ann Lee {n},ann{n}@example.test" for n in range(120_000)])
    under = client.post(
        url, {"attachment": SimpleUploadedFile("people.csv", data, "text/csv")}, **bearer(admin)
    )

    assert over.status_code == 413
    assert over.json() == {
        "errors": [{"message": "What you sent is too large: at most 201 MB is accepted."}]
    }
    assert watched.tell() == 0
    assert len(data) > 3 * MB
    assert under.status_code == 200, under.content
    assert SisImport.objects.get().filename == "people.csv"
