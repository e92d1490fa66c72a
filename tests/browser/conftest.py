"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

Nothing is downloaded at test time: the browser is the system's (``/usr/bin/chromium``, or the
path in ``PLAYWRIGHT_CHROMIUM``) and axe-core comes from ``node_modules`` (``make install`` runs
``npm ci``). Without them every test here is skipped with the reason; with
``CI_REQUIRE_BROWSER=1`` (as ``.ci/run`` sets) they fail instead, so CI cannot pass by skipping.

The server runs in another thread, so the data is committed (``transactional_db``): the personas of
tests/conftest.py are reused, with ``institution`` switched to a committed one.
"""

import os

import pytest

from accounts.roles import Role
from tests.browser.helpers import AXE_PATH, BASE_DIR
from tests.factories import EnrollmentFactory, InstitutionFactory, UserFactory

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    # Two institutions' own host names (single sign-on), both served by the one live server.
    "--host-resolver-rules=MAP springfield.test 127.0.0.1, MAP shelbyville.test 127.0.0.1",
]
# Fail fast: a locator that is not there in 10 s will not come (the default is 30 s).
TIMEOUT_MS = 10_000


def _chromium_path() -> str:
    return os.environ.get("PLAYWRIGHT_CHROMIUM", "/usr/bin/chromium")


def _missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the Python package playwright is not installed (make install)"
    chromium = _chromium_path()
    if not os.access(chromium, os.X_OK):
        return f"no Chromium at {chromium} (apt-get install chromium, or set PLAYWRIGHT_CHROMIUM)"
    if not AXE_PATH.is_file():
        return f"axe-core is not installed at {AXE_PATH.relative_to(BASE_DIR)} (npm ci)"
    return None


@pytest.fixture(scope="package")
def _browser_available():
    reason = _missing()
    if reason is None:
        return
    if os.environ.get("CI_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests cannot run: {reason}; CI_REQUIRE_BROWSER=1 forbids skipping")
    pytest.skip(f"browser tests skipped: {reason}")


@pytest.fixture(autouse=True)
def _require_browser(_browser_available):
    """Every test here skips (or, in CI, fails) with the reason when the browser is missing."""


@pytest.fixture(scope="package")
def browser(_browser_available):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop running on this thread while it is started, and
    # Django then refuses ORM calls from it (SynchronousOnlyOperation). The tests make their data
    # in the ordinary synchronous way between browser calls, so the check is lifted here, and only
    # for as long as the browser runs (the package's tests), never for the rest of the suite.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=_chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_page(browser, live_server):
    """Open a page in a fresh browser context (own cookies), as many as a test needs."""
    contexts = []

    def open_page(*, width: int = 1280, height: int = 800, **options):
        options.setdefault("locale", "en-US")
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": width, "height": height}, **options
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


# --- Personas, committed for the live server -----------------------------------------------------


@pytest.fixture
def institution(transactional_db):
    return InstitutionFactory(name="Springfield Schools")  # self-registration "observer"


@pytest.fixture
def classmates(course):
    """Two more students in the course, so that the roster and the export have several rows."""
    people = [
        UserFactory(
            institution=course.institution,
            name=name,
            email=f"{name.split()[0].lower()}@example.test",
            sis_user_id=sis_id,
        )
        for name, sis_id in (("Ava Adams", "S0001"), ("Ben Brooks", "S0002"))
    ]
    for person in people:
        EnrollmentFactory(course=course, user=person, type=Role.STUDENT)
    return people


# --- Two institutions on their own hosts, with real identity providers (single sign-on) ----------


@pytest.fixture
def hosts(live_server, settings):
    """The live server as each institution's own host: {"springfield": url, "shelbyville": url}."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "springfield.test", "shelbyville.test"]
    port = live_server.url.rsplit(":", 1)[1]
    return {name: f"http://{name}.test:{port}" for name in ("springfield", "shelbyville")}


@pytest.fixture(scope="session")
def saml_idp(idp_keys):
    """A real SAML 2.0 identity provider (pysaml2's, signing with Debian's xmlsec1). Without
    xmlsec1 its tests are skipped with the reason, or fail in CI (CI_REQUIRE_BROWSER=1)."""
    from tests.sso import SamlIdentityProvider, xmlsec1_missing

    reason = xmlsec1_missing()
    if reason is not None:
        if os.environ.get("CI_REQUIRE_BROWSER") == "1":
            pytest.fail(f"SAML tests cannot run: {reason}; CI_REQUIRE_BROWSER=1 forbids skipping")
        pytest.skip(f"SAML tests skipped: {reason}")
    key, certificate, body = idp_keys
    with SamlIdentityProvider(key_file=key, certificate_file=certificate, certificate=body) as idp:
        yield idp
