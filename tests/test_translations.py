"""Every page speaks Spanish when asked, and nothing visible stays in English.

Each page is rendered twice, for the same persona, once with the browser asking for English and once
for Spanish. Every piece of visible text (text nodes, and the title, aria-label, placeholder and alt a
screen reader reads) that comes out the same in both must be user data (names, e-mails, courses,
codes, dates, numbers) or one of the few words Spanish shares with English. A string left outside
{% translate %} or gettext comes out the same, and fails here. The catalogue itself is checked too:
complete, placeholders intact, the committed .mo compiled from the committed .po, and the .po up to
date with the source.
"""

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import ApiToken, AuditAction, Institution, SelfRegistration, User
from accounts.roles import Role
from accounts.time_zones import time_zone_names
from courses.models import Course
from pairing.models import ObserverLinkSource
from pairing.services import observer_link_create
from pairing.services.exports import code_export_claim, code_export_run
from rostering.models import SisImport
from rostering.sis_csv import KIND_ORDER
from tests.catalogue import PO_FILE, Entry, mo_catalogue, po_catalogue, read_po
from tests.factories import PASSWORD, EnrollmentFactory, UserFactory
from tests.pairing.helpers import new_code

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
}
LETTERS = re.compile(r"[^\W\d_]+")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}|<[^>]+>")


# --- What a person sees ----------------------------------------------------------------------------


class VisibleText(HTMLParser):
    """Text nodes and the attributes read aloud; not scripts, nor <output> (codes and tokens are
    made at random, so they differ between the two renderings anyway)."""

    READ_ALOUD = ("title", "aria-label", "placeholder", "alt")

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self.language = None
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "html":
            self.language = attributes.get("lang")
        if tag in ("script", "style", "output"):
            self._hidden += 1
        for name in self.READ_ALOUD:
            self._add(attributes.get(name))
        if tag == "input" and attributes.get("type") in ("submit", "button", "reset"):
            self._add(attributes.get("value"))

    def handle_endtag(self, tag):
        if tag in ("script", "style", "output"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self._add(data)

    def _add(self, text):
        text = " ".join((text or "").split())
        if text:
            self.texts.append(text)


def visible(response) -> VisibleText:
    assert response.status_code < 500, response.content[:500]
    parser = VisibleText()
    parser.feed(response.content.decode())
    return parser


def user_data() -> list[str]:
    """Everything on the pages that people typed or the portal drew: never translated."""
    values = set(KIND_ORDER)  # SIS file kinds, Canvas's own names for them
    for user in User.objects.all():
        values |= {user.name, user.short_name, user.sortable_name, user.email, user.sis_user_id}
    for course in Course.objects.all():
        values |= {course.name, course.course_code, course.sis_course_id}
    values |= set(Institution.objects.values_list("name", flat=True))
    values |= set(ApiToken.objects.values_list("purpose", flat=True))
    values |= set(ApiToken.objects.values_list("hint", flat=True))
    values |= set(SisImport.objects.values_list("filename", flat=True))
    return sorted((value for value in values if value), key=len, reverse=True)


def is_data_or_shared(text: str, data: list[str]) -> bool:
    if text.replace(" ", "_") in time_zone_names():  # the time zone menu: IANA names
        return True
    if text.startswith(("http://", "https://")):  # addresses on letters and in the code dialog
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


def _redeem(client, w):
    return client.post(reverse("observees"), {"code": new_code(w.sibling)}, follow=True)


def _export_waiting(client, w):
    return client.post(_admin(w, "code_exports"), {"format": "letters", "paper": "a4"}, follow=True)


def _export_done(client, w):
    _export_waiting(client, w)
    code_export_run(export=code_export_claim())
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
    "pair with observer": ("student", lambda c, w: c.post(reverse("profile_pairing_code"))),
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
        lambda c, w: c.post(_course(w, "course_user_pairing_code", w.student.pk)),
    ),
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
    for words in ("Configuración del usuario", "Su cuenta", "Vincular con observador", "Idioma"):
        assert words in page


# --- Choosing the language -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [("es", "es"), ("es-MX,es;q=0.9", "es"), ("en-US,en;q=0.9", "en"), ("fr", "en"), ("", "en")],
)
def test_the_browsers_language_is_used_when_nothing_was_chosen(
    institution, accept_language, expected
):
    client = Client(headers={"accept-language": accept_language})
    assert visible(client.get(reverse("login"))).language == expected


def test_the_language_switcher_is_on_every_page_including_log_in(client, student):
    for page in (reverse("login"), "/no/such/page"):
        html = client.get(page).content.decode()
        assert 'action="/i18n/setlang/"' in html
        assert 'name="csrfmiddlewaretoken"' in html
        assert f'<input type="hidden" name="next" value="{page}">' in html
        assert '<legend class="visually-hidden">Language</legend>' in html
        assert re.search(r'<button[^>]*value="en" lang="en"[^>]*aria-current="true"', html)
        assert re.search(r'<button[^>]*value="es" lang="es"[^>]*>Español</button>', html)
    client.force_login(student)
    assert 'action="/i18n/setlang/"' in client.get(reverse("home")).content.decode()


def test_choosing_spanish_with_the_switcher_outlasts_the_browsers_language(institution):
    client = Client(headers={"accept-language": "en"})
    response = client.post(reverse("set_language"), {"language": "es", "next": reverse("login")})
    assert response.status_code == 302
    assert response.url == reverse("login")
    page = visible(client.get(reverse("login")))
    assert page.language == "es"
    assert "Iniciar sesión" in page.texts
    client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert visible(client.get(reverse("login"))).language == "en"


def test_the_switcher_only_goes_back_to_this_site(institution):
    response = Client().post(
        reverse("set_language"), {"language": "es", "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response.url == "/"


def test_the_password_reset_email_is_in_the_language_of_the_request(student):
    client = Client(headers={"accept-language": "es"})
    client.post(reverse("password_reset"), {"email": student.email})
    (message,) = mail.outbox
    assert message.subject == "Restablezca su contraseña del Portal de vinculación"
    assert message.body.startswith("Hola, Sam Student:")
    assert "abra este enlace antes de que pase un día" in message.body


def test_a_paused_log_in_says_when_to_try_again_in_spanish(institution, student, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS_PAUSE = (1, 15 * 60)
    client = Client(headers={"accept-language": "es"})
    for _ in range(2):
        response = client.post(reverse("login"), {"username": student.email, "password": "no"})
    assert re.search(r"vuelva a intentarlo dentro de 1[45] minutos", response.content.decode())


def test_a_logged_in_user_is_greeted_in_spanish(institution, student):
    client = Client(headers={"accept-language": "es"})
    assert client.login(username=student.email, password=PASSWORD)
    assert "Le damos la bienvenida, Sam Student" in client.get(reverse("home")).content.decode()


# --- The catalogue ---------------------------------------------------------------------------------


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def test_every_string_of_the_catalogue_has_its_spanish():
    entries = [entry for entry in read_po() if not entry.obsolete]
    assert len(entries) > 300
    assert [e.msgid for e in entries if "fuzzy" in e.flags] == []
    forms = 3  # Plural-Forms of the catalogue's header: one, many (millions), other
    assert [e.msgid for e in entries if e.plural and len(e.translations) != forms] == []
    empty = [e.msgid for e in entries if not all(text.strip() for text in e.translations.values())]
    assert empty == []


def test_translations_keep_every_placeholder_and_tag():
    def broken(entry: Entry) -> bool:
        if entry.context == "expiry of a pairing code":
            return False  # a date format, translated as a whole
        wanted = placeholders(entry.msgid)
        wanted_plural = placeholders(entry.plural) if entry.plural else wanted
        return any(
            sorted(set(placeholders(text))) != sorted(set(wanted if n == 0 else wanted_plural))
            for n, text in entry.translations.items()
        )

    assert [entry.msgid for entry in read_po() if broken(entry)] == []


def test_the_committed_mo_is_compiled_from_the_committed_po():
    """A .po edited without `make messages` leaves a stale .mo, which the pages would use."""
    assert mo_catalogue() == po_catalogue(read_po())


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext is not installed")
def test_msgfmt_accepts_the_catalogue(tmp_path):
    checked = subprocess.run(
        [shutil.which("msgfmt"), "--check", "-o", str(tmp_path / "django.mo"), str(PO_FILE)],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
def test_the_catalogue_has_every_string_of_the_source(tmp_path):
    """`make messages` was run after the last change of a marked string (in a copy of the code)."""
    root = Path(settings.BASE_DIR)
    for name in (
        "accounts",
        "api",
        "courses",
        "pairing",
        "rostering",
        "pairing_portal",
        "templates",
        "locale",
    ):
        shutil.copytree(root / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(root / "manage.py", tmp_path)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "es"],
        cwd=tmp_path,
        env={"ENV_FILE": "/dev/null", "DEBUG": "true", "PATH": "/usr/bin:/bin"},
        check=True,
        capture_output=True,
    )
    fresh = read_po(tmp_path / "locale" / "es" / "LC_MESSAGES" / "django.po")
    assert [entry.msgid for entry in fresh if entry.obsolete] == [], "strings no longer used"
    assert po_catalogue(fresh) == po_catalogue(read_po()), "run `make messages`"
