"""The README's screenshots: every main page, on a desktop (1280 × 800) and a phone (390 × 844),
in English and Spanish, for a school with its own name, logo and colour. Written only with
UPDATE_SCREENSHOTS=1 (docs/screenshots/<page>-<desktop|phone>-<en|es>.png, 256-colour PNGs);
without it the walk still runs, so a page that breaks fails here."""

import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from accounts.models import SelfRegistration
from accounts.roles import Permission, Role
from accounts.services import institution_branding_set, role_permission_set
from pairing.models import ObserverLinkSource
from pairing.services import observer_link_create
from tests.browser.helpers import SCREENSHOTS, expect, log_in
from tests.factories import EnrollmentFactory, UserFactory

pytestmark = pytest.mark.slow

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
LANGUAGES = {"en": "en-US", "es": "es-ES"}


def logo_png() -> bytes:
    """A small emblem for the demo school: a green shield with a white book."""
    image = Image.new("RGBA", (128, 128), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.polygon([(64, 6), (118, 24), (110, 86), (64, 122), (18, 86), (10, 24)], fill="#1d5e3a")
    draw.rectangle([36, 44, 62, 88], fill="white")
    draw.rectangle([66, 44, 92, 88], fill="white")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def shoot(page, name: str, size: str, language: str) -> None:
    if os.environ.get("UPDATE_SCREENSHOTS") != "1":
        return
    page.wait_for_load_state("load")
    image = Image.open(io.BytesIO(page.screenshot(animations="disabled"))).convert("RGB")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(
        SCREENSHOTS / f"{name}-{size}-{language}.png", optimize=True
    )


@pytest.fixture
def school(settings, tmp_path, institution, course, admin, teacher, student, observer):
    settings.MEDIA_ROOT = tmp_path
    institution.self_registration = SelfRegistration.ALL
    institution.save()
    institution_branding_set(
        institution=institution,
        display_name="Springfield Elementary",
        brand_color="#1d5e3a",
        logo=SimpleUploadedFile("logo.png", logo_png(), "image/png"),
        by=admin,
    )
    role_permission_set(
        institution=institution,
        role=Role.TEACHER,
        permission=Permission.GENERATE_OBSERVER_PAIRING_CODE,
        enabled=True,
        by=admin,
    )
    sibling = UserFactory(institution=institution, name="Ava Adams", email="ava@example.test")
    EnrollmentFactory(course=course, user=sibling, type=Role.STUDENT)
    for child in (student, sibling):
        observer_link_create(
            observer=observer, student=child, by=admin, source=ObserverLinkSource.ADMIN
        )
    return institution


def pages(school, course, student):
    """(name, persona, path, what to do there before the picture)."""
    people = f"/courses/{course.pk}/users"
    admin_base = f"/accounts/{school.pk}"

    def open_options(page):
        page.locator("tr", has_text=student.email).locator("summary").click()

    def make_code(page):
        page.locator("form[action='/profile/pairing_code'] button").click()
        page.locator("#pairing-code").wait_for()

    return [
        ("login", None, "/login", None),
        ("sign-up", None, "/register/observer", None),
        ("dashboard-student", "student", "/", None),
        ("user-settings", "student", "/profile/settings", None),
        ("pair-with-observer", "student", "/profile/settings", make_code),
        ("observer-dashboard", "observer", "/", None),
        ("observing", "observer", "/profile/observees", None),
        ("observer-course", "observer", f"/courses/{course.pk}", None),
        ("people", "teacher", people, open_options),
        ("user-details", "teacher", f"{people}/{student.pk}", None),
        ("course-settings", "teacher", f"/courses/{course.pk}/settings", None),
        ("admin", "admin", admin_base, None),
        ("authentication", "admin", f"{admin_base}/authentication", None),
        ("branding", "admin", f"{admin_base}/branding", None),
        ("permissions", "admin", f"{admin_base}/permissions", None),
        ("users", "admin", f"{admin_base}/users/{student.pk}", None),
        ("sis-import", "admin", f"{admin_base}/sis_imports", None),
        ("audit", "admin", f"{admin_base}/audit", None),
    ]


def test_every_page_on_a_desktop_and_a_phone_in_english_and_spanish(
    new_page, school, course, student, teacher, observer, admin
):
    personas = {"student": student, "teacher": teacher, "observer": observer, "admin": admin}
    for language, locale in LANGUAGES.items():
        for size, viewport in SIZES.items():
            logged_in = {}
            for name, persona, path, action in pages(school, course, student):
                if persona not in logged_in:
                    page = new_page(locale=locale, **viewport)
                    if persona:
                        log_in_in(page, personas[persona], language)
                    logged_in[persona] = page
                page = logged_in[persona]
                page.goto(path)
                if action:
                    action(page)
                expect(page.locator("html")).to_have_attribute("lang", language)
                shoot(page, name, size, language)


def log_in_in(page, user, language):
    if language == "en":
        log_in(page, user)
        return
    page.goto("/login")
    page.locator("#id_username").fill(user.email)
    page.locator("#id_password").fill("correct-horse-battery")
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_url("**/")
