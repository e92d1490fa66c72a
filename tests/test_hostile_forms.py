"""Every form of the portal, fed hostile values one field at a time.

Whatever arrives, the portal answers without a server error; it either refuses the value clearly (a
form error, or a redirect to an error message) or stores it and shows it escaped; it never renders
it as markup; and its tables are all still there afterwards.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import reverse
from django.utils.html import escape

from accounts.models import User
from accounts.roles import PERMISSION_RULES, Role
from pairing.services import pairing_code_create
from tests.factories import PASSWORD

HOSTILE = {
    "over-long": "x" * 10_000,
    "empty": "",
    "whitespace": " \t\n ",
    "non-ascii": "Zoë Ñúñez 学生 👩‍👧",
    "script": "<script>alert(1)</script>",
    "attribute-breakout": '"><img src=x onerror=alert(1)>',
    "sql-drop": "'; DROP TABLE accounts_user; --",
    "sql-or": "1 OR 1=1",
    "nul": "a\x00b",
}
MARKUP = ("<script>", "<img src=x")
# How a refusal shows: a field's or the form's errors, an error message, or Django's own 400 page
# (for a request it cannot even parse).
REFUSALS = (
    '<div class="error"',
    'class="card form-errors"',
    '<div class="form-errors"',
    'class="message message-error"',
    "<h1>Bad Request (400)</h1>",
)
NEW_PASSWORD = "quiet-meadow-at-dawn"
SIS_USERS = (
    "user_id,login_id,first_name,last_name,email,status\nU1,ann@example.test,Ann,Lee,,active\n"
)
BOUNDARY = "hostile-forms-boundary"


@dataclass(frozen=True)
class World:
    institution: object
    course: object
    teacher: User
    student: User
    observer: User
    admin: User
    code: str


@dataclass(frozen=True)
class FormPage:
    """A form: where it is, who fills it in, its text fields, and a valid value for each field."""

    url: Callable[[World], str]
    fields: tuple[str, ...]
    persona: str | None = "admin"
    valid: Callable[[World], dict] = lambda world: {}
    method: str = "post"
    # Where an accepted value is shown afterwards (None: on the answer itself)...
    shown_on: Callable[[World], str] | None = None
    # ...or, for a choice, a box or a file (never shown as typed), what the answer says instead.
    confirms: str | None = None
    uploads: bool = False


def _institution_page(name: str) -> Callable[[World], str]:
    return lambda world: reverse(name, args=[world.institution.pk])


def _first_permission_box() -> str:
    permission, rule = next(iter(PERMISSION_RULES.items()))
    role = next(role for role in Role if role in rule.configurable_roles)
    return f"{permission.value}__{role.value}"


def _settings_page(world: World) -> str:
    return reverse("profile_settings")


FORMS = {
    "login": FormPage(
        url=lambda world: reverse("login"),
        fields=("username", "password"),
        persona=None,
        valid=lambda world: {"username": world.admin.email, "password": PASSWORD},
    ),
    "password_reset": FormPage(
        url=lambda world: reverse("password_reset"), fields=("email",), persona=None
    ),
    "profile_settings": FormPage(
        url=_settings_page,
        fields=("name", "short_name", "sortable_name"),
        valid=lambda world: {"name": "Avery Admin", "short_name": "", "sortable_name": ""},
        shown_on=_settings_page,
    ),
    "api_token_new": FormPage(
        url=lambda world: reverse("api_token_new"),
        fields=("purpose", "expires_on"),
        valid=lambda world: {"purpose": "District sync", "expires_on": ""},
        shown_on=_settings_page,
    ),
    "observees": FormPage(
        url=lambda world: reverse("observees"), fields=("code",), persona="observer"
    ),
    "observer_sign_up": FormPage(
        url=lambda world: reverse("observer_sign_up"),
        fields=("name", "email", "password", "password_confirmation", "code"),
        persona=None,
        valid=lambda world: {
            "name": "Robin Parent",
            "email": "robin@example.test",
            "password": NEW_PASSWORD,
            "password_confirmation": NEW_PASSWORD,
            "code": world.code,
        },
        # Signed up and logged in: the new account's names are on its User Settings.
        shown_on=_settings_page,
    ),
    "course_observer_add": FormPage(
        url=lambda world: reverse("course_observer_add", args=[world.course.pk, world.student.pk]),
        fields=("email",),
        persona="teacher",
    ),
    "institution_authentication": FormPage(
        url=_institution_page("institution_authentication"),
        fields=("self_registration",),
        confirms="Authentication settings saved.",
    ),
    "institution_permissions": FormPage(
        url=_institution_page("institution_permissions"),
        # Whatever its value, a box that is sent is ticked: accepted, and saved as "on".
        fields=(_first_permission_box(),),
        confirms="Permissions saved.",
    ),
    "sis_imports": FormPage(
        url=_institution_page("sis_imports"),
        fields=("file", "file name"),
        confirms="<h1>Import of ",
        uploads=True,
    ),
    "institution_users": FormPage(
        url=_institution_page("institution_users"), fields=("q",), method="get"
    ),
    "institution_user_add_observer": FormPage(
        url=lambda world: reverse(
            "institution_user_add_observer", args=[world.institution.pk, world.student.pk]
        ),
        fields=("person",),
    ),
    "institution_audit": FormPage(
        url=_institution_page("institution_audit"),
        fields=("action", "person", "source", "since", "until"),
        method="get",
    ),
}


@pytest.fixture
def world(institution, course, teacher, student, observer, admin) -> World:
    # Sign-up finds its institution by host name; this one answers for the test client's.
    institution.domain = "testserver"
    institution.save(update_fields=["domain"])
    code = pairing_code_create(student=student, by=student).code
    return World(institution, course, teacher, student, observer, admin, code)


def _upload(filename: str, content: str) -> dict:
    """The multipart body a browser sends for one file (the test client would mangle the name)."""
    quoted = filename.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
    body = (
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{quoted}"\r\n'
        "Content-Type: text/csv\r\n\r\n"
        f"{content}\r\n--{BOUNDARY}--\r\n"
    )
    return {"data": body.encode(), "content_type": f"multipart/form-data; boundary={BOUNDARY}"}


def _submit(client, form: FormPage, world: World, name: str, value: str):
    data = {**form.valid(world), name: value}
    if form.method == "get":
        return client.get(form.url(world), data)
    if form.uploads:
        upload = _upload(data.get("file name", "users.csv"), data.get("file", SIS_USERS))
        return client.post(form.url(world), **upload, follow=True)
    return client.post(form.url(world), data, follow=True)


def _refused(page: str) -> bool:
    return any(marker in page for marker in REFUSALS)


def _assert_no_markup(page: str, where: str) -> None:
    for markup in MARKUP:
        assert markup not in page, f"{markup!r} rendered as markup on {where}"


CASES = [
    pytest.param(form_name, name, value, id=f"{form_name}-{name}-{value_name}")
    for form_name, form in FORMS.items()
    for name in form.fields
    for value_name, value in HOSTILE.items()
]


@pytest.mark.parametrize(("form_name", "name", "value"), CASES)
def test_a_hostile_value_is_refused_or_stored_and_shown_escaped_never_as_markup(
    client, world, form_name, name, value
):
    form = FORMS[form_name]
    if form.persona:
        client.force_login(getattr(world, form.persona))

    response = _submit(client, form, world, name, value)

    assert response.status_code in (200, 400), response.status_code
    answer = response.content.decode()
    _assert_no_markup(answer, "the answer")
    if not _refused(answer):
        if form.confirms:
            assert form.confirms in answer, "neither refused clearly nor confirmed as saved"
        else:
            shown = client.get(form.shown_on(world)) if form.shown_on else response
            assert shown.status_code == 200
            page = shown.content.decode()
            _assert_no_markup(page, "the page that shows it")
            assert escape(value.strip()) in page, "accepted, but not shown escaped where it belongs"
    # The SQL-looking values were data, not commands: the tables are all still there.
    assert User.objects.filter(pk=world.admin.pk).exists()
