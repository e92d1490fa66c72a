"""Personas: one institution with a course, its teacher, a student, an observer and an admin,
plus an admin of another institution who must never see any of it."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import timezone, translation

from accounts.roles import Permission, Role
from accounts.services import role_permission_set
from tests import personas


@pytest.fixture(autouse=True, scope="session")
def _uploads_in_a_folder_of_the_session(tmp_path_factory):
    """Uploads waiting for their job (SIS imports) are kept under MEDIA_ROOT: here a temporary
    folder of the session's, not the checkout's media/ (worker processes are given it too)."""
    from django.conf import settings

    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))


@pytest.fixture(autouse=True, scope="session")
def _identity_providers_on_this_computer():
    """The test identity providers (tests/sso.py, oidc_provider) run on 127.0.0.1, which the
    portal refuses to connect to unless told (accounts.outbound): told for the whole session
    (module-wide fixtures add providers too); tests of the refusal set it back to false."""
    from django.conf import settings

    settings.SSO_ALLOW_PRIVATE_ADDRESSES = True


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Attempt counters live in the cache when it is Redis (as in CI); each test starts clean."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _english_and_utc_after_each_test():
    """A request in Spanish leaves Spanish active in the thread (LocaleMiddleware does not undo
    it); the next test starts in English and the default time zone again."""
    yield
    translation.deactivate()
    timezone.deactivate()


@pytest.fixture
def institution(db):
    return personas.make_institution()


@pytest.fixture
def course(institution):
    return personas.make_course(institution)


@pytest.fixture
def teacher(course):
    return personas.make_teacher(course)


@pytest.fixture
def student(course):
    return personas.make_student(course)


@pytest.fixture
def observer(institution):
    """A parent with an account and no enrollments or links yet."""
    return personas.make_observer(institution)


@pytest.fixture
def admin(institution):
    return personas.make_admin(institution)


@pytest.fixture
def other_admin(db):
    return personas.make_other_admin()


@pytest.fixture
def teachers_may_generate(course, admin):
    """The institution lets teachers make pairing codes (Canvas leaves it off by default)."""
    role_permission_set(
        institution=course.institution,
        role=Role.TEACHER,
        permission=Permission.GENERATE_OBSERVER_PAIRING_CODE,
        enabled=True,
        by=admin,
    )


@pytest.fixture
def job_queue(transactional_db):
    """A queue whose jobs a real worker runs (``tests.jobs.run_due_jobs``): the test's writes are
    committed, so the worker's own connections see them; the queue is emptied afterwards."""
    from django.db import connections

    from tests.jobs import empty_the_queue

    # The worker's threads each open their own connection: closed after each job here, so none
    # outlives the test (the test database could not be dropped at the end).
    database = connections.settings["default"]
    kept, database["CONN_MAX_AGE"] = database["CONN_MAX_AGE"], 0
    empty_the_queue()
    yield
    empty_the_queue()
    database["CONN_MAX_AGE"] = kept


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server the portal sends through; ``.mailbox.refuse`` names refused addresses."""
    from tests.mail_server import Mailbox, MailServer
    from tests.test_shared_limits import free_port

    server = MailServer(free_port(), Mailbox())
    # The test server's own log names every recipient: keep it out of what tests read.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", server.port, 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def static_root(tmp_path_factory) -> Path:
    """Static files collected as a deployment does (`collectstatic`: hashed names, gzip), for
    servers started with DEBUG off, whose pages name them by their manifest."""
    folder = tmp_path_factory.mktemp("static")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "ENV_FILE": "/dev/null",
        "DEBUG": "false",
        "SECRET_KEY": "collectstatic-" + "k" * 60,
        "ALLOWED_HOSTS": "portal.example.org",
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/unused",  # collectstatic never connects
        "EMAIL_URL": "dummymail://",
        "EMAIL_ALLOW_CONSOLE": "true",
        "STATIC_ROOT": str(folder),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return folder


# --- Real identity providers (tests/sso.py) --------------------------------------------------------


@pytest.fixture(scope="session")
def oidc_provider():
    """A real OpenID Connect provider in a thread; its issuer address. Its sign-in form takes
    any subject (``sub``); a subject's other claims are set with PUT {issuer}/users/<sub>."""
    import warnings

    import authlib.deprecate  # noqa: F401 - it turns its own warnings on when imported

    with warnings.catch_warnings():  # its Authlib warns of its own deprecations on import
        warnings.simplefilter("ignore")
        from oidc_provider_mock import (
            _app,  # noqa: F401 - imported here, its warnings muted
            run_server_in_thread,
        )

    with run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="session")
def idp_keys(tmp_path_factory):
    from tests.sso import make_key_and_certificate

    return make_key_and_certificate(tmp_path_factory.mktemp("idp"))


@pytest.fixture(scope="session")
def saml_metadata(idp_keys) -> str:
    """Metadata of a SAML identity provider that is not running (for pages and services)."""
    from tests.sso import idp_metadata

    return idp_metadata(
        entity_id="https://idp.springfield.example/metadata",
        sso_url="https://idp.springfield.example/sso",
        certificate=idp_keys[2],
    )
