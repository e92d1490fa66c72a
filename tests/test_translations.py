"""Every page speaks Spanish when asked, and nothing visible stays in English.

Each page is rendered twice, for the same persona, once with the browser asking for English and once
for Spanish. Every piece of visible text (text nodes, and the title, aria-label, placeholder and alt a
screen reader reads) that comes out the same in both must be user data (names, e-mails, courses,
codes, dates, numbers) or one of the few words Spanish shares with English. A string left outside
{% translate %} or gettext comes out the same, and fails here. The catalogue itself is checked in
test_catalogue.py.
"""

import re
from dataclasses import dataclass

import pytest
from allauth.socialaccount.models import SocialApp
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import (
    ApiToken,
    AuditAction,
    Institution,
    SelfRegistration,
    User,
)
from accounts.roles import Role
from accounts.time_zones import time_zone_names
from courses.models import Course
from pairing.models import CodeExport, ObserverLinkSource
from pairing.services import observer_link_create
from pairing.services.exports import code_export_run
from rostering.models import SisImport
from rostering.sis_csv import KIND_ORDER
from tests.catalogue import PLACEHOLDER, read_po
from tests.factories import EnrollmentFactory, UserFactory
from tests.pairing.helpers import new_code
from tests.translation_pages import SIGN_IN_PAGES
from tests.visible_text import visible

# Words a Spanish page legitimately shares with the English one (whole words, case-sensitive).
SAME_IN_BOTH = {
    "API",
    "CSV",
    "SIS",
    "UTC",
    "A",  # of the paper size A4
    "Canvas",
    "Token",  # the same word in Spanish
    "English",  # the language switcher names each language in that language
    "Español",
    # Products and protocols, named as their makers name them.
    "Google",
    "Microsoft",
    "OpenID",
    "Connect",
    "SAML",
    "HTTP",
    "POST",
}
LETTERS = re.compile(r"[^\W\d_]+")


# --- What a person sees ----------------------------------------------------------------------------


def user_data() -> list[str]:
    """Everything on the pages that people typed or the portal drew: never translated."""
    values = set(KIND_ORDER)  # SIS file kinds, Canvas's own names for them
    for user in User.objects.all():
        values |= {user.name, user.short_name, user.sortable_name, user.email, user.sis_user_id}
    for course in Course.objects.all():
        values |= {course.name, course.course_code, course.sis_course_id}
    values |= set(Institution.objects.values_list("name", flat=True))
    values |= set(Institution.objects.values_list("display_name", flat=True))
    values |= set(Course.objects.values_list("self_enrollment_code", flat=True))
    values.add("#0b5cad")  # the brand colour field's example: a colour, in any language
    values |= set(ApiToken.objects.values_list("purpose", flat=True))
    values |= set(ApiToken.objects.values_list("hint", flat=True))
    values |= set(SisImport.objects.values_list("filename", flat=True))
    values |= set(Institution.objects.exclude(domain=None).values_list("domain", flat=True))
    for app in SocialApp.objects.all():  # identity providers, as their admins named them
        values |= {app.name, app.client_id, app.provider_id}
    return sorted((value for value in values if value), key=len, reverse=True)


def is_data_or_shared(text: str, data: list[str]) -> bool:
    if text.replace(" ", "_") in time_zone_names():  # the time zone menu: IANA names
        return True
    if text.startswith(("http://", "https://")):  # addresses on letters and in the code dialog
        return True
    if text.startswith("<?xml"):  # metadata, for a SAML identity provider to read
        return True
    for value in data:
        text = text.replace(value, " ")
    return all(word in SAME_IN_BOTH for word in LETTERS.findall(text))


def untranslated_msgids() -> set[str]:
    """English strings of the catalogue whose Spanish differs: never on a Spanish page as such."""
    return {
        entry.msgid
        for entry in read_po()
        if entry.translations.get(0) != entry.msgid and not PLACEHOLDER.search(entry.msgid)
    }


# --- The pages, as each persona sees them ----------------------------------------------------------


@dataclass
class World:
    institution: Institution
    course: Course
    student: User
    sibling: User
    teacher: User
    observer: User
    admin: User
    other_admin: User


@pytest.fixture
def world(institution, course, student, teacher, observer, admin, other_admin):
    # The sign-up page serves the institution whose domain the visitor uses.
    Institution.objects.filter(pk=institution.pk).update(domain="testserver")
    sibling = UserFactory(institution=institution, name="Sal Sibling", email="sal@example.test")
    EnrollmentFactory(course=course, user=sibling, type=Role.STUDENT)
    observer_link_create(
        observer=observer, student=student, by=None, source=ObserverLinkSource.PAIRING_CODE
    )
    # A few events for the audit trail, in English: their labels are translated when shown.
    Client().post(reverse("login"), {"username": "nobody@example.test", "password": "wrong"})
    new_code(student)
    return World(institution, course, student, sibling, teacher, observer, admin, other_admin)


USERS_CSV = (
    b"user_id,login_id,first_name,last_name,full_name,email,status\n"
    b"S9001,nia@springfield.example,Nia,Newcomer,,,active\n"
    b",nobody@springfield.example,No,Id,,,active\n"
    b"S9002,bad@springfield.example,Bad,Status,,,maybe\n"
)


def _sis_upload(client, w, **fields):
    upload = SimpleUploadedFile("users.csv", USERS_CSV, "text/csv")
    url = reverse("sis_imports", args=[w.institution.pk])
    return client.post(url, {"file": upload, **fields}, follow=True)


def _self_registration_off(client, w):
    Institution.objects.filter(pk=w.institution.pk).update(self_registration=SelfRegistration.NONE)
    return client.get(reverse("observer_sign_up"))


def _sign_up_with_a_wrong_code(client, w):
    data = {
        "name": "Robin Parent",
        "email": "robin@example.test",
        "password": "quiet-meadow-at-dawn",
        "password_confirmation": "quiet-meadow-at-dawn",
        "code": "Zz9Zz9",
    }
    return client.post(reverse("observer_sign_up"), data)


def _pairing_off_settings(client, w):
    Institution.objects.filter(pk=w.institution.pk).update(self_registration=SelfRegistration.NONE)
    return client.get(reverse("profile_settings"))


def _pairing_off_observing(client, w):
    Institution.objects.filter(pk=w.institution.pk).update(self_registration=SelfRegistration.NONE)
    return client.post(reverse("observees"), {"code": "Zz9Zz9"})


def _all_types(url_name):
    """The page at ``url_name`` while the institution allows "All account types"."""

    def action(client, w):
        Institution.objects.filter(pk=w.institution.pk).update(
            self_registration=SelfRegistration.ALL
        )
        return client.get(reverse(url_name))

    return action


def _student_sign_up_wrong_code(client, w):
    data = {
        "name": "Nia Newcomer",
        "email": "nia@example.test",
        "password": "quiet-meadow-at-dawn",
        "password_confirmation": "quiet-meadow-at-dawn",
        "join_code": "NOPE42",
    }
    Institution.objects.filter(pk=w.institution.pk).update(self_registration=SelfRegistration.ALL)
    return client.post(reverse("student_sign_up"), data)


def _redeem(client, w):
    return client.post(reverse("observees"), {"code": new_code(w.sibling)}, follow=True)


def _export_waiting(client, w):
    return client.post(_admin(w, "code_exports"), {"format": "letters", "paper": "a4"}, follow=True)


def _export_done(client, w):
    _export_waiting(client, w)
    code_export_run(export_id=CodeExport.objects.latest("id").pk)  # what its job does
    return client.get(_admin(w, "code_exports"))


def _course(w, name, *extra):
    return reverse(name, args=[w.course.pk, *extra])


def _admin(w, name, *extra):
    return reverse(name, args=[w.institution.pk, *extra])


# (persona, what to do with the client). Forms with errors and messages after actions included.
PAGES = {
    "log in": ("anonymous", lambda c, w: c.get(reverse("login"))),
    "log in, wrong password": (
        "anonymous",
        lambda c, w: c.post(reverse("login"), {"username": w.student.email, "password": "no"}),
    ),
    "sign-up": ("anonymous", lambda c, w: c.get(reverse("observer_sign_up"))),
    "sign-up, wrong pairing code": ("anonymous", _sign_up_with_a_wrong_code),
    "sign-up, self registration off": ("anonymous", _self_registration_off),
    "password reset": ("anonymous", lambda c, w: c.get(reverse("password_reset"))),
    "password reset, e-mail sent": (
        "anonymous",
        lambda c, w: c.post(reverse("password_reset"), {"email": w.student.email}, follow=True),
    ),
    "password reset, used link": ("anonymous", lambda c, w: c.get("/password/reset/MQ/used-up")),
    "password reset, done": ("anonymous", lambda c, w: c.get(reverse("password_reset_complete"))),
    "page not found": ("anonymous", lambda c, w: c.get("/no/such/page")),
    "home, student": ("student", lambda c, w: c.get(reverse("home"))),
    "user settings": ("student", lambda c, w: c.get(reverse("profile_settings"))),
    "user settings, blank name": (
        "student",
        lambda c, w: c.post(reverse("profile_settings"), {"name": " ", "time_zone": "Nowhere"}),
    ),
    "user settings, saved": (
        "student",
        lambda c, w: c.post(reverse("profile_settings"), {"name": "Sam Student"}, follow=True),
    ),
    "pair with observer": (
        "student",
        lambda c, w: c.post(reverse("profile_pairing_code"), follow=True),
    ),
    "pair with observer, reloaded": (
        "student",
        lambda c, w: c.get(reverse("profile_pairing_code")),
    ),
    "user settings, pairing switched off": ("student", _pairing_off_settings),
    "observing, pairing switched off": ("observer", _pairing_off_observing),
    "access token made": (
        "student",
        lambda c, w: c.post(reverse("api_token_new"), {"purpose": "Sync script"}),
    ),
    "access token, no purpose": (
        "student",
        lambda c, w: c.post(reverse("api_token_new"), {"purpose": "", "expires_on": "2001-01-01"}),
    ),
    "access token listed": (
        "student",
        lambda c, w: (
            c.post(reverse("api_token_new"), {"purpose": "Sync script"}),
            c.get(reverse("profile_settings")),
        )[1],
    ),
    "change password": ("student", lambda c, w: c.get(reverse("password_change"))),
    "change password, mismatch": (
        "student",
        lambda c, w: c.post(
            reverse("password_change"),
            {"old_password": "no", "new_password1": "a", "new_password2": "b"},
        ),
    ),
    "password changed": ("student", lambda c, w: c.get(reverse("password_change_done"))),
    "courses, student": ("student", lambda c, w: c.get(reverse("course_list"))),
    "course, student": ("student", lambda c, w: c.get(_course(w, "course_detail"))),
    "people, student": ("student", lambda c, w: c.get(_course(w, "course_people"))),
    "user details, student": (
        "student",
        lambda c, w: c.get(_course(w, "course_user_details", w.student.pk)),
    ),
    "not allowed": (
        "student",
        lambda c, w: c.post(_course(w, "course_user_pairing_code", w.sibling.pk)),
    ),
    "home, observer": ("observer", lambda c, w: c.get(reverse("home"))),
    "observing": ("observer", lambda c, w: c.get(reverse("observees"))),
    "observing, wrong pairing code": (
        "observer",
        lambda c, w: c.post(reverse("observees"), {"code": "Zz9Zz9"}),
    ),
    "observing, a code used": ("observer", _redeem),
    "course, observer": ("observer", lambda c, w: c.get(_course(w, "course_detail"))),
    "people, refused to an observer": (
        "observer",
        lambda c, w: c.get(_course(w, "course_people")),
    ),
    "people, teacher": ("teacher", lambda c, w: c.get(_course(w, "course_people"))),
    "user details, teacher": (
        "teacher",
        lambda c, w: c.get(_course(w, "course_user_details", w.student.pk)),
    ),
    "link an observer in a course, unknown e-mail": (
        "teacher",
        lambda c, w: c.post(
            _course(w, "course_observer_add", w.student.pk),
            {"email": "nobody@example.test"},
            follow=True,
        ),
    ),
    "link an observer in a course": (
        "teacher",
        lambda c, w: c.post(
            _course(w, "course_observer_add", w.sibling.pk),
            {"email": w.observer.email},
            follow=True,
        ),
    ),
    "home, observer of two students": (
        "observer",
        lambda c, w: _redeem(c, w) and c.get(reverse("home"), {"student": w.sibling.pk}),
    ),
    "codes revoked": (
        "student",
        lambda c, w: c.post(reverse("profile_pairing_codes_revoke"), follow=True),
    ),
    "pairing letters": ("admin", lambda c, w: c.post(_course(w, "course_pairing_letters"))),
    "user details, codes to revoke": (
        "admin",
        lambda c, w: c.get(_course(w, "course_user_details", w.student.pk)),
    ),
    "pairing settings, out of range": (
        "admin",
        lambda c, w: c.post(_admin(w, "institution_pairing_settings"), {"code_lifetime_days": 99}),
    ),
    "observers cleared": (
        "admin",
        lambda c, w: c.post(
            _admin(w, "institution_user_observers_clear", w.student.pk), follow=True
        ),
    ),
    "school code exports": ("admin", lambda c, w: c.get(_admin(w, "code_exports"))),
    "school code export, waiting": ("admin", _export_waiting),
    "school code export, done": ("admin", _export_done),
    "home, admin": ("admin", lambda c, w: c.get(reverse("home"))),
    "courses, admin": ("admin", lambda c, w: c.get(reverse("course_list"))),
    "pair with observer, admin": (
        "admin",
        lambda c, w: c.post(_course(w, "course_user_pairing_code", w.student.pk), follow=True),
    ),
    "user details, no pair with observer for the teacher": (
        "teacher",
        lambda c, w: c.get(_course(w, "course_user_details", w.student.pk)),
    ),
    "admin overview": ("admin", lambda c, w: c.get(_admin(w, "institution_admin"))),
    "branding": ("admin", lambda c, w: c.get(_admin(w, "institution_branding"))),
    "branding, colour refused": (
        "admin",
        lambda c, w: c.post(_admin(w, "institution_branding"), {"brand_color": "#eeeeee"}),
    ),
    "branding, saved": (
        "admin",
        lambda c, w: c.post(
            _admin(w, "institution_branding"), {"display_name": "Springfield"}, follow=True
        ),
    ),
    "course settings": (
        "teacher",
        lambda c, w: c.post(_course(w, "course_settings"), {"enabled": "on"}, follow=True),
    ),
    "log in, all account types": ("anonymous", _all_types("login")),
    "student sign-up": ("anonymous", _all_types("student_sign_up")),
    "student sign-up, wrong join code": ("anonymous", _student_sign_up_wrong_code),
    "teacher sign-up": ("anonymous", _all_types("teacher_sign_up")),
    "teacher sign-up, closed": ("anonymous", lambda c, w: c.get(reverse("teacher_sign_up"))),
    "authentication": ("admin", lambda c, w: c.get(_admin(w, "institution_authentication"))),
    "authentication, saved": (
        "admin",
        lambda c, w: c.post(
            _admin(w, "institution_authentication"), {"self_registration": "all"}, follow=True
        ),
    ),
    "permissions": ("admin", lambda c, w: c.get(_admin(w, "institution_permissions"))),
    "permissions, saved": (
        "admin",
        lambda c, w: c.post(
            _admin(w, "institution_permissions"),
            {"allow_course_admin_actions__TeacherEnrollment": "on"},
            follow=True,
        ),
    ),
    "audit trail": ("admin", lambda c, w: c.get(_admin(w, "institution_audit"))),
    "audit trail, nothing matches": (
        "admin",
        lambda c, w: c.get(
            _admin(w, "institution_audit"),
            {"action": AuditAction.LOGIN_FAILED, "person": "nobody at all"},
        ),
    ),
    "sis import": ("admin", lambda c, w: c.get(_admin(w, "sis_imports"))),
    "sis import, rows skipped": ("admin", _sis_upload),
    "sis import, dry run": ("admin", lambda c, w: _sis_upload(c, w, dry_run="on")),
    "sis import, not a csv": (
        "admin",
        lambda c, w: c.post(
            _admin(w, "sis_imports"),
            {"file": SimpleUploadedFile("notes.csv", b"a,b\n1,2\n", "text/csv")},
            follow=True,
        ),
    ),
    "sis import, earlier imports": (
        "admin",
        lambda c, w: (_sis_upload(c, w), c.get(_admin(w, "sis_imports")))[1],
    ),
    "users and observers": ("admin", lambda c, w: c.get(_admin(w, "institution_users"))),
    "users and observers, nobody matches": (
        "admin",
        lambda c, w: c.get(_admin(w, "institution_users"), {"q": "zzzz"}),
    ),
    "a user's observers": (
        "admin",
        lambda c, w: c.get(_admin(w, "institution_user", w.student.pk)),
    ),
    "a user's observers, unknown person": (
        "admin",
        lambda c, w: c.post(
            _admin(w, "institution_user_add_observer", w.student.pk),
            {"person": "nobody@example.test"},
            follow=True,
        ),
    ),
    "acting as a student": (
        "admin",
        lambda c, w: c.post(reverse("act_as_begin", args=[w.student.pk]), follow=True),
    ),
    "another institution's course": (
        "other_admin",
        lambda c, w: c.get(_course(w, "course_detail")),
    ),
    **SIGN_IN_PAGES,
}


def render(world: World, page: str, language: str):
    persona, action = PAGES[page]
    client = Client(headers={"accept-language": language})
    if persona != "anonymous":
        client.force_login(getattr(world, persona))
    return visible(action(client, world))


@pytest.mark.parametrize("page", PAGES)
def test_no_visible_text_stays_english_on_the_spanish_page(world, page):
    english = render(world, page, "en")
    spanish = render(world, page, "es")

    assert (english.language, spanish.language) == ("en", "es")
    data = user_data()
    same = sorted(
        text
        for text in set(english.texts) & set(spanish.texts)
        if not is_data_or_shared(text, data)
    )
    assert same == [], f"left in English on {page!r}"
    english_msgids = sorted(set(spanish.texts) & untranslated_msgids())
    assert english_msgids == [], f"catalogue strings shown untranslated on {page!r}"


def test_the_check_catches_a_string_left_in_english():
    """A test that cannot fail is a defect: the same words in both renderings are caught."""
    data = ["Sam Student", "BIO101"]
    assert not is_data_or_shared("Observers in this course", data)
    assert not is_data_or_shared("Sam Student is not enrolled", data)
    assert is_data_or_shared("Sam Student (BIO101) · 12", data)
    assert is_data_or_shared("America/Los Angeles", data)
    assert is_data_or_shared("API", data)


def test_the_spanish_text_is_really_there(world):
    page = " ".join(render(world, "user settings", "es").texts)
    for words in (
        "Configuración del usuario",
        "Integraciones",
        "Vincular con observador",
        "Idioma",
    ):
        assert words in page
