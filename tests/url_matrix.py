"""What the permission matrix (tests/test_url_permissions.py) needs besides its tables: the objects
each URL points at, a valid body for each mutating route, and how a cell is sent and judged."""

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLResolver, get_resolver
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import ApiToken, IdentityProvider, Institution, InvitationBatch, User
from accounts.roles import Role
from accounts.services import (
    api_token_create,
    identity_provider_add_oidc,
    identity_provider_add_saml,
)
from courses.models import Course, Enrollment
from pairing.models import CodeExport, CodeExportFormat, ObserverLink, ObserverLinkSource
from pairing.services import observer_link_create
from rostering.models import SisImport
from tests import personas as persona
from tests.factories import CourseFactory, EnrollmentFactory, UserFactory
from tests.pairing.helpers import new_code
from tests.rostering.sis_helpers import run

LOGIN = "login"  # a 302 to the log-in page, with ?next=


# Which object each URL argument names, unless ROUTE_ARGS says otherwise for a route.
DEFAULT_ARGS = {
    "institution_id": "institution",
    "account_id": "institution",
    "course_id": "course",
    "user_id": "student",
    "user_ref": "student",
    "observee_id": "student",
    "observer_id": "observer",
    "link_id": "link",
    "enrollment_id": "enrollment",
    "import_id": "sis_import",
    "token_id": "token",
    "export_id": "export",
    "uidb64": "reset_uid",
    "token": "reset_token",
    "auth_provider_id": "identity_provider",
    "batch_id": "invitation_batch",
    # allauth's sign-in routes name a provider by its slug.
    "provider_id": "oidc_slug",
    "organization_slug": "saml_slug",
}
ROUTE_ARGS = {
    "api/v1/users/<user:user_ref>/observees": {"user_ref": "observer"},
    "api/v1/users/<user:user_ref>/observees/<user:observee_id>": {"user_ref": "observer"},
    "accounts/<int:institution_id>/users/<int:user_id>/observees": {"user_id": "observer"},
}
# Arguments that are not objects of an institution (a password-reset or invitation link carries
# its own check), or that the host scopes: allauth's sign-in routes find a provider among those of
# the institution whose host the visitor uses (accounts.sso.list_apps); another institution's is
# refused in tests/browser/test_single_sign_on.py and tests/accounts/test_identity_providers.py.
NOT_OBJECT_IDS = {"uidb64", "token", "provider_id", "organization_slug"}
ARGUMENT = re.compile(r"<(?:\w+:)?(\w+)>")
USERS_CSV = (
    b"user_id,login_id,first_name,last_name,email,status\nZ1,z1@example.test,Zoe,Zed,,active\n"
)


@dataclass
class World:
    """One institution's objects that URLs point at."""

    institution: Institution
    course: Course
    student: User
    observer: User
    link: ObserverLink
    enrollment: Enrollment
    sis_import: SisImport
    token: ApiToken
    export: CodeExport
    identity_provider: IdentityProvider
    saml_provider: IdentityProvider
    invitation_batch: InvitationBatch
    providers: "Providers"
    teacher: User | None = None

    def id_of(self, symbol: str):
        if symbol == "oidc_slug":
            return self.identity_provider.app.provider_id
        if symbol == "saml_slug":
            return self.saml_provider.app.client_id
        if symbol == "reset_uid":
            return urlsafe_base64_encode(force_bytes(self.student.pk))
        if symbol == "reset_token":
            return "not-a-valid-token"
        return getattr(self, symbol).pk


def furnish(
    *, institution, course, student, observer, admin, token_owner, sso, teacher=None
) -> World:
    link = observer_link_create(
        observer=observer, student=student, by=admin, source=ObserverLinkSource.ADMIN
    )
    sis_import = run(institution, "users.csv", USERS_CSV, by=admin)
    return World(
        institution=institution,
        course=course,
        student=student,
        observer=observer,
        teacher=teacher,
        link=link,
        enrollment=Enrollment.objects.get(course=course, user=observer, type=Role.OBSERVER),
        sis_import=sis_import,
        token=api_token_create(user=token_owner, purpose="permission matrix").record,
        export=CodeExport.objects.create(
            institution=institution,
            requested_by=admin,
            format=CodeExportFormat.CSV,
            language="en",
            base_url="http://testserver/",
        ),
        identity_provider=identity_provider_add_oidc(
            institution=institution,
            name="District Keycloak",
            issuer=sso.oidc_issuer,
            client_id="portal",
            client_secret="matrix-secret",
            by=admin,
        ),
        saml_provider=identity_provider_add_saml(
            institution=institution, name="District SAML", metadata_xml=sso.saml_metadata, by=admin
        ),
        invitation_batch=InvitationBatch.objects.create(
            institution=institution, requested_by=admin
        ),
        providers=sso,
    )


@dataclass
class Providers:
    """Where the worlds' identity providers are: a real OpenID Connect provider's issuer, and a
    SAML identity provider's metadata."""

    oidc_issuer: str
    saml_metadata: str


def post_data(route: str, world: World) -> dict:
    """A valid body for each mutating route, so that allowed personas reach the happy path."""
    if route == "profile/settings":
        return {"name": "Renamed Person"}
    if route in ("profile/observees", "api/v1/users/<user:user_ref>/observees"):
        return {"code": (code := new_code(world.student)), "pairing_code": code}
    if route == "register/observer":
        password = "a-long-unusual-passphrase"
        return {
            "name": "New Parent",
            "email": "new.parent@example.test",
            "password": password,
            "password_confirmation": password,
            "code": new_code(world.student),
        }
    if route == "profile/tokens":
        return {"purpose": "Matrix"}
    if route == "i18n/setlang/":
        return {"language": "es", "next": "/"}
    if route.endswith("<int:user_id>/observers") and route.startswith("courses/"):
        return {"email": world.observer.email}
    if route.endswith("<int:user_id>/observees"):
        return {"person": world.student.email}
    if route.endswith("<int:user_id>/observers"):
        return {"person": world.observer.email}
    if route.endswith("/sis_imports"):
        # The page's form names the file "file"; Canvas's API, "attachment".
        return {
            "file": SimpleUploadedFile("users.csv", USERS_CSV, "text/csv"),
            "attachment": SimpleUploadedFile("users.csv", USERS_CSV, "text/csv"),
        }
    if route.endswith("/authentication"):
        return {"self_registration": "all"}
    if route.endswith("/auth_providers/oidc"):
        return {
            "oidc-preset": "other",
            "oidc-name": "Matrix OIDC",
            "oidc-issuer": world.providers.oidc_issuer,
            "oidc-client_id": "portal",
            "oidc-client_secret": "matrix-secret",
            "oidc-match_by": "email",
        }
    if route.endswith("/auth_providers/saml"):
        return {
            "saml-name": "Matrix SAML",
            "saml-metadata_xml": world.providers.saml_metadata,
            "saml-match_by": "email",
        }
    if route.endswith("<int:auth_provider_id>"):
        return {"match_by": "email", "create_accounts": "on"}
    if route.endswith("/invitations") and route.startswith("accounts/<int:institution_id>/users"):
        return {"q": "Zoe"}
    if route.endswith("/invitations"):
        return {"file": SimpleUploadedFile("users.csv", USERS_CSV, "text/csv")}
    if route == "institutions":
        return {
            "name": "Ogdenville Schools",
            "admin_email": "it@ogdenville.example",
            "self_registration": "none",
        }
    if route.endswith("/pairing_exports"):
        return {"format": "csv", "paper": "a4"}
    if route.endswith("/pairing_settings"):
        return {"code_lifetime_days": "10"}
    if route.endswith("/audit_retention"):
        return {"audit_retention_years": "3"}
    if route.endswith("/permissions"):
        # A browser always sends something (the CSRF token); an empty body is an unbound form.
        return {"allow_course_admin_actions__TeacherEnrollment": "on"}
    if route == "password/reset":
        return {"email": world.student.email}
    if route == "api/v1/accounts/<account:account_id>/users":
        return {"user[name]": "New Person", "pseudonym[unique_id]": "new.person@example.test"}
    if route == "api/v1/courses/<course:course_id>/enrollments":
        return {
            "enrollment[user_id]": world.observer.pk,
            "enrollment[associated_user_id]": world.student.pk,
        }
    return {}


def portal_routes(resolver=None, prefix: str = ""):
    """Every route the portal answers, as written in its urls.py files, minus the Django admin."""
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + _as_route(str(pattern.pattern))
        if route.startswith(("django-admin/", "static/")):
            continue
        if isinstance(pattern, URLResolver):
            yield from portal_routes(pattern, route)
        else:
            yield route


def _as_route(pattern: str) -> str:
    """A regular expression's named groups (allauth's routes) written as path() writes them."""
    return re.sub(r"\(\?P<(\w+)>\[\^/\]\+\)", r"<\1>", pattern).replace("^", "")


def url_of(route: str, worlds: dict[str, World], args: dict[str, str] | None = None) -> str:
    """``route`` with each argument filled from ``worlds[argument]`` (main or mirror); ``args``
    names other objects for some arguments."""
    symbols = {**DEFAULT_ARGS, **ROUTE_ARGS.get(route, {}), **(args or {})}
    return "/" + ARGUMENT.sub(lambda m: str(worlds[m[1]].id_of(symbols[m[1]])), route)


def send(client, method: str, url: str, data: dict, user: User | None, token: str | None):
    headers = {"HTTP_HOST": "testserver"}  # as browsers send it (SAML's views read it)
    if url.startswith("/api/"):
        if token is not None:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    elif user is not None:
        client.force_login(user)
    if method == "GET":
        return client.get(url, **headers)
    if method == "POST":
        return client.post(url, data, **headers)
    form = "application/x-www-form-urlencoded"
    return client.generic(method, url, urlencode(data), content_type=form, **headers)


def assert_status(response, expected, *, api: bool, anonymous: bool) -> None:
    if expected == LOGIN:
        assert response.status_code == 302, response.content[:300]
        assert response["Location"].startswith("/login?next="), response["Location"]
        return
    assert response.status_code == expected, response.content[:300]
    if api and expected >= 400:
        # JSON, never an HTML error page (the schema view answers in its own JSON type).
        assert re.fullmatch(r"application/([\w.]+\+)?json", response["Content-Type"])
        assert response.json()["errors"][0]["message"]
        # Only a missing or bad token carries WWW-Authenticate (canvasapi tells the 401s apart).
        assert ("WWW-Authenticate" in response) == (anonymous and expected == 401)


@dataclass
class Matrix:
    personas: dict[str, User | None]
    main: World
    mirror: World


def matrix_create(sso: Providers) -> Matrix:
    institution = persona.make_institution()
    # The sign-up page serves the institution whose domain the visitor uses.
    Institution.objects.filter(pk=institution.pk).update(domain="testserver")
    course = persona.make_course(institution)
    teacher, student = persona.make_teacher(course), persona.make_student(course)
    observer, admin = persona.make_observer(institution), persona.make_admin(institution)
    other_admin = persona.make_other_admin()
    main = furnish(
        institution=institution,
        course=course,
        student=student,
        observer=observer,
        admin=admin,
        token_owner=admin,
        teacher=teacher,
        sso=sso,
    )
    # Another institution with the same kinds of objects, each the twin of one in ``main``.
    elsewhere = other_admin.institution
    mirror_course = CourseFactory(institution=elsewhere, name="Mirror Biology", course_code="MBIO")
    mirror_student = UserFactory(institution=elsewhere, name="Mira Mirrorstudent")
    EnrollmentFactory(course=mirror_course, user=mirror_student, type=Role.STUDENT)
    mirror = furnish(
        institution=elsewhere,
        course=mirror_course,
        student=mirror_student,
        observer=UserFactory(institution=elsewhere, name="Mo Mirrorparent"),
        admin=other_admin,
        token_owner=mirror_student,
        sso=sso,
    )
    personas = {
        "anonymous": None,
        "student": student,
        "observer": observer,
        "teacher": teacher,
        "other_admin": other_admin,
        "admin": admin,
        # A platform operator: a superuser of no institution (test_platform_operators_…).
        "operator": User.objects.create_superuser("ops@example.test", None, name="Ops Operator"),
        # The contract's personas beyond the table's (CONTRACT below).
        "other": persona.make_other(institution),
        "teacher_may_make_codes": teacher,
    }
    return Matrix(personas=personas, main=main, mirror=mirror)
