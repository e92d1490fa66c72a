"""The school's own look: an admin sets its display name, logo (checked, re-encoded, served with
safe headers) and brand colour (checked for contrast with white text); pages, e-mails and
letters carry them."""

import io

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts.errors import AccountError, LowContrast
from accounts.models import AuditAction, AuditEvent
from accounts.services import institution_branding_set
from accounts.services.branding import contrast_ratio


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def png(size=(64, 32), colour=(11, 92, 173)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def upload(content: bytes, name="logo.png", content_type="image/png"):
    return SimpleUploadedFile(name, content, content_type)


def branding_url(institution):
    return reverse("institution_branding", args=[institution.pk])


def test_contrast_is_measured_as_wcag_says():
    assert round(contrast_ratio("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast_ratio("#0b5cad", "#ffffff"), 1) == 6.7
    assert round(contrast_ratio("#767676", "#ffffff"), 2) == 4.54


def test_an_admin_sets_name_colour_and_logo_and_every_page_carries_them(
    client, institution, admin, student
):
    client.force_login(admin)
    response = client.post(
        branding_url(institution),
        {"display_name": "Springfield Elementary", "brand_color": "#7A1F5C", "logo": upload(png())},
        follow=True,
    )
    assert "Branding saved." in response.content.decode()
    institution.refresh_from_db()
    assert (institution.display_name, institution.brand_color) == (
        "Springfield Elementary",
        "#7a1f5c",
    )
    assert institution.logo_content_type == "image/png"
    event = AuditEvent.objects.get(action=AuditAction.BRANDING_CHANGED)
    assert set(event.details) == {"display_name", "brand_color", "logo"}

    client.force_login(student)
    page = client.get(reverse("home")).content.decode()
    assert '<span class="brand-name">Springfield Elementary</span>' in page
    logo_url = reverse("institution_logo", args=[institution.pk])
    assert f'src="{logo_url}?v=' in page
    css_url = reverse("institution_brand_css", args=[institution.pk])
    assert f'href="{css_url}?v=7a1f5c"' in page
    client.logout()
    assert "Springfield Elementary" in client.get(reverse("login")).content.decode()


def test_the_logo_is_served_with_its_checked_type_and_safe_headers(client, institution, admin):
    institution_branding_set(
        institution=institution,
        display_name="",
        brand_color="",
        logo=upload(png()),
        by=admin,
    )
    response = client.get(reverse("institution_logo", args=[institution.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "max-age=31536000" in response["Cache-Control"]
    assert "sandbox" in response["Content-Security-Policy"]
    body = b"".join(response.streaming_content)
    assert Image.open(io.BytesIO(body)).size == (64, 32)


def test_the_colour_stylesheet(client, institution, admin):
    institution_branding_set(institution=institution, display_name="", brand_color="#123", by=admin)
    response = client.get(reverse("institution_brand_css", args=[institution.pk]))
    assert response["Content-Type"] == "text/css; charset=utf-8"
    assert "--brand: #112233;" in response.content.decode()


def test_no_logo_no_colour_is_404(client, institution):
    assert client.get(reverse("institution_logo", args=[institution.pk])).status_code == 404
    assert client.get(reverse("institution_brand_css", args=[institution.pk])).status_code == 404


def test_a_colour_white_text_cannot_be_read_on_is_refused_before_saving(client, institution, admin):
    client.force_login(admin)
    response = client.post(branding_url(institution), {"brand_color": "#ffd700"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "White text on that colour would be hard to read (a contrast of 1.4:1" in page
    institution.refresh_from_db()
    assert institution.brand_color == ""
    with pytest.raises(LowContrast):
        institution_branding_set(
            institution=institution, display_name="", brand_color="#777777", by=admin
        )


@pytest.mark.parametrize(
    ("content", "name", "error"),
    [
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "logo.svg",
            AccountError.LOGO_NOT_AN_IMAGE,
        ),
        (b"GIF89a not really", "logo.png", AccountError.LOGO_NOT_AN_IMAGE),
        (png()[:60], "logo.png", AccountError.LOGO_NOT_AN_IMAGE),  # cut short
        (png(size=(2400, 10)), "logo.png", AccountError.LOGO_TOO_WIDE),
        (b"\x89PNG" + b"0" * (600 * 1024), "logo.png", AccountError.LOGO_TOO_LARGE),
    ],
    ids=["svg", "not-an-image", "truncated", "too-wide", "too-large"],
)
def test_a_logo_that_is_not_a_small_png_or_jpeg_is_refused(
    client, institution, admin, content, name, error
):
    client.force_login(admin)
    response = client.post(branding_url(institution), {"logo": upload(content, name=name)})
    assert response.status_code == 400
    assert error.split(":")[0] in response.content.decode().replace("&#x27;", "'")
    institution.refresh_from_db()
    assert not institution.logo


def test_a_jpeg_logo_is_reencoded_and_served_as_jpeg(client, institution, admin):
    out = io.BytesIO()
    Image.new("RGB", (20, 20), (200, 30, 30)).save(out, format="JPEG")
    institution_branding_set(
        institution=institution,
        display_name="",
        brand_color="",
        logo=upload(out.getvalue(), "logo.jpg", "image/jpeg"),
        by=admin,
    )
    institution.refresh_from_db()
    assert institution.logo.name.endswith(".jpg")
    response = client.get(reverse("institution_logo", args=[institution.pk]))
    assert response["Content-Type"] == "image/jpeg"


def test_only_the_institutions_admins_open_the_branding_page(
    client, institution, teacher, other_admin
):
    client.force_login(teacher)
    assert client.get(branding_url(institution)).status_code == 403
    client.force_login(other_admin)
    assert client.get(branding_url(institution)).status_code == 404


def test_e_mails_go_out_in_the_schools_name(client, institution, admin, student, settings):
    institution_branding_set(
        institution=institution, display_name="Springfield Elementary", brand_color="", by=admin
    )
    client.post(reverse("password_reset"), {"email": student.email})
    (message,) = mail.outbox
    assert message.from_email.startswith("Springfield Elementary <")
    assert message.body.rstrip().endswith("Springfield Elementary")


def test_printed_letters_carry_the_name_and_logo(client, institution, admin, course, student):
    institution_branding_set(
        institution=institution,
        display_name="Springfield Elementary",
        brand_color="",
        logo=upload(png()),
        by=admin,
    )
    client.force_login(admin)
    page = client.post(
        reverse("course_pairing_letters", args=[course.pk]), {"paper": "a4"}
    ).content.decode()
    assert "Springfield Elementary</p>" in page
    assert 'class="letter-logo" src="/institutions/' in page
