"""Single sign-on in Chromium, through a real OpenID Connect provider and a real SAML 2.0 identity
provider: a person with an account in the institution gets in; anybody else, someone of another
institution, and a tampered, forged or replayed answer are refused, and each is recorded.

Two institutions on their own hosts (springfield.test, shelbyville.test: Chromium maps both to the
live server), each offering only its own providers on its log-in page.
"""

import re
from urllib.parse import parse_qsl

import pytest
import requests
from allauth.socialaccount.models import SocialAccount

from accounts.models import AuditAction, AuditEvent, IdentityProvider, Institution, MatchBy, User
from accounts.services import identity_provider_add_oidc, identity_provider_add_saml
from tests.browser.helpers import expect
from tests.factories import PASSWORD, InstitutionFactory, UserFactory
from tests.sso import SIS_ID

pytestmark = pytest.mark.slow


@pytest.fixture
def people(institution, hosts):
    """Alice of Springfield (springfield.test), Bob of Shelbyville (shelbyville.test)."""
    Institution.objects.filter(pk=institution.pk).update(domain="springfield.test")
    shelbyville = InstitutionFactory(name="Shelbyville Schools", domain="shelbyville.test")
    alice = UserFactory(
        institution=institution,
        name="Alice Able",
        email="alice@springfield.test",
        sis_user_id="S-ALICE",
    )
    bob = UserFactory(institution=shelbyville, name="Bob Baker", email="bob@shelbyville.test")
    return alice, bob


@pytest.fixture
def oidc(institution, oidc_provider, people):
    def add(**rules) -> IdentityProvider:
        return identity_provider_add_oidc(
            institution=institution,
            name="Springfield Google",
            issuer=oidc_provider,
            client_id="springfield-portal",
            client_secret="the-district-secret",
            by=None,
            **rules,
        )

    return add


@pytest.fixture
def saml(institution, saml_idp, people, hosts, live_server):
    def add(**rules) -> IdentityProvider:
        provider = identity_provider_add_saml(
            institution=institution,
            name="Springfield Federation",
            metadata_url=f"{saml_idp.base}/metadata",
            by=None,
            **rules,
        )
        # The IdP's admin registers the portal from its metadata, as the portal serves it.
        metadata = requests.get(
            f"{live_server.url}/accounts/saml/{provider.app.client_id}/metadata/",
            headers={"Host": hosts["springfield"].removeprefix("http://")},
            timeout=10,
        )
        assert metadata.status_code == 200, metadata.text
        saml_idp.trust(metadata.text)
        return provider

    return add


def oidc_sign_in(page, site: str, subject: str) -> None:
    page.goto(f"{site}/login?local=1")
    page.get_by_role("button", name="Sign in with Springfield Google").click()
    page.locator("input[name=sub]").fill(subject)  # the provider's own sign-in form
    page.get_by_role("button", name="Authorize").click()


def saml_sign_in(page, site: str, email: str, sis_id: str = "") -> None:
    page.goto(f"{site}/login?local=1")
    page.get_by_role("button", name="Sign in with Springfield Federation").click()
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("SIS id").fill(sis_id)
    page.get_by_role("button", name="Sign in at the IdP").click()


def signed_in_as(page, user: User) -> None:
    expect(page.get_by_role("heading", name=f"Welcome, {user.short_name}")).to_be_visible()


def refused(page, words: str) -> None:
    expect(page.locator("#sso-refused")).to_contain_text(words)


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))


# --- OpenID Connect -------------------------------------------------------------------------------


def test_oidc_signs_in_someone_with_an_account_from_the_discovery_page(page, hosts, oidc, people):
    alice, _ = people
    oidc()
    oidc_sign_in(page, hosts["springfield"], "alice@springfield.test")
    signed_in_as(page, alice)
    event = AuditEvent.objects.get(action=AuditAction.SSO_SIGNED_IN)
    assert (event.actor_id, event.details["provider"]) == (alice.pk, "Springfield Google")


def test_oidc_refuses_someone_without_an_account_and_makes_none(page, hosts, oidc):
    oidc()
    oidc_sign_in(page, hosts["springfield"], "stranger@springfield.test")
    refused(page, "Your school has no account in this portal for stranger@springfield.test")
    assert not User.objects.filter(email="stranger@springfield.test").exists()
    event = AuditEvent.objects.get(action=AuditAction.SSO_REFUSED)
    assert event.details["email"] == "stranger@springfield.test"


def test_oidc_refuses_a_person_of_another_institution(page, hosts, oidc, people):
    oidc()
    oidc_sign_in(page, hosts["springfield"], "bob@shelbyville.test")
    refused(page, "no account in this portal for bob@shelbyville.test")
    assert actions() == [AuditAction.PROVIDER_ADDED, AuditAction.SSO_REFUSED]


def test_another_institutions_host_neither_offers_nor_runs_the_provider(page, hosts, oidc):
    provider = oidc()
    page.goto(f"{hosts['shelbyville']}/login")
    expect(page.get_by_role("button", name="Sign in with Springfield Google")).to_have_count(0)
    response = page.goto(f"{hosts['shelbyville']}/accounts/oidc/{provider.app.provider_id}/login/")
    assert response.status == 404


def test_oidc_refuses_a_forged_answer(page, hosts, oidc):
    oidc()

    def forge(route):  # the provider's redirect back to the portal, its state changed
        if route.request.method != "POST":
            route.continue_()
            return
        answer = route.fetch(max_redirects=0)
        location = re.sub(r"state=[^&]+", "state=forged", answer.headers["location"])
        route.fulfill(response=answer, headers={**answer.headers, "location": location})

    page.route(re.compile(r".*/oauth2/authorize.*"), forge)
    oidc_sign_in(page, hosts["springfield"], "alice@springfield.test")
    refused(page, "cannot trust")
    assert actions()[-1] == AuditAction.SSO_FAILED
    assert not AuditEvent.objects.filter(action=AuditAction.SSO_SIGNED_IN).exists()


def test_someone_who_cancels_at_the_provider_is_told_so(page, hosts, oidc):
    oidc()
    states = []

    def deny_with_state(route):
        # The test provider leaves the state out of its "denied" answer; a real one keeps it.
        if route.request.method != "POST":
            route.continue_()
            return
        answer = route.fetch(max_redirects=0)
        location = f"{answer.headers['location']}&state={states[0]}"
        route.fulfill(response=answer, headers={**answer.headers, "location": location})

    page.route(re.compile(r".*/oauth2/authorize.*"), deny_with_state)
    page.goto(f"{hosts['springfield']}/login?local=1")
    page.get_by_role("button", name="Sign in with Springfield Google").click()
    page.locator("input[name=sub]").fill("alice@springfield.test")
    states.extend(re.findall(r"[?&]state=([^&]+)", page.url))  # at the provider's page
    page.locator("button[value=deny]").click()
    expect(page.get_by_role("heading", name="Sign-in cancelled")).to_be_visible()
    failed = AuditEvent.objects.get(action=AuditAction.SSO_FAILED)
    assert failed.details["error"] == "cancelled"


def test_oidc_matches_by_the_sis_id_claim_when_the_admin_says_so(
    page, hosts, oidc, oidc_provider, people
):
    alice, _ = people
    oidc(match_by=MatchBy.SIS_ID, sis_id_claim="student_number")
    requests.put(
        f"{oidc_provider}/users/u-4711",
        json={"email": "a.able@mail.example", "student_number": "S-ALICE"},
        timeout=5,
    )
    oidc_sign_in(page, hosts["springfield"], "u-4711")
    signed_in_as(page, alice)


def test_oidc_never_signs_in_an_admin_whose_address_the_provider_asserts(
    page, hosts, oidc, institution
):
    chief = UserFactory(institution=institution, email="chief@springfield.test")
    User.objects.filter(pk=chief.pk).update(is_account_admin=True)
    oidc()
    oidc_sign_in(page, hosts["springfield"], "chief@springfield.test")
    refused(page, "administrators log in with their password")
    assert not SocialAccount.objects.filter(user=chief).exists()
    event = AuditEvent.objects.get(action=AuditAction.SSO_REFUSED)
    assert event.details["reason"] == "privileged"


def test_oidc_does_not_match_an_address_the_provider_says_is_unverified(
    page, hosts, oidc, oidc_provider, people
):
    oidc()
    requests.put(
        f"{oidc_provider}/users/u-0815",
        json={"email": "alice@springfield.test", "email_verified": "false"},
        timeout=5,
    )
    oidc_sign_in(page, hosts["springfield"], "u-0815")
    refused(page, "Your school has no account in this portal")
    assert not SocialAccount.objects.exists()


def test_oidc_makes_an_account_only_where_the_admin_allows_it(page, hosts, oidc, institution):
    oidc(create_accounts=True)
    oidc_sign_in(page, hosts["springfield"], "newbie@springfield.test")
    newbie = User.objects.get(email="newbie@springfield.test")
    signed_in_as(page, newbie)
    assert newbie.institution == institution
    assert not newbie.has_usable_password()
    assert AuditAction.SSO_ACCOUNT_CREATED in actions()


def test_a_default_provider_is_where_the_log_in_page_goes_and_local_shows_the_form(
    page, hosts, oidc, people
):
    alice, _ = people
    provider = oidc()
    IdentityProvider.objects.filter(pk=provider.pk).update(is_default=True)
    page.goto(f"{hosts['springfield']}/login")
    expect(page.locator("input[name=sub]")).to_be_visible()  # at the provider already
    page.goto(f"{hosts['springfield']}/login?local=1")
    page.get_by_label("E-mail").fill(alice.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    signed_in_as(page, alice)


def test_a_sign_in_through_a_provider_does_not_lead_to_another_institutions_host(
    page, hosts, oidc, people, settings
):
    alice, _ = people
    # As in production, where the hosts have no port: allauth's own rule would take any host the
    # portal answers to.
    other = hosts["shelbyville"].removeprefix("http://")
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, other]
    provider = oidc()
    IdentityProvider.objects.filter(pk=provider.pk).update(is_default=True)
    # The default provider starts from the log-in page's own address, ``next`` and all.
    page.goto(f"{hosts['springfield']}/login?next={hosts['shelbyville']}/courses")
    page.locator("input[name=sub]").fill(alice.email)
    page.get_by_role("button", name="Authorize").click()
    signed_in_as(page, alice)
    assert page.url.startswith(hosts["springfield"])


# --- SAML 2.0 -------------------------------------------------------------------------------------


def test_saml_signs_in_someone_with_an_account(page, hosts, saml, people):
    alice, _ = people
    saml()
    saml_sign_in(page, hosts["springfield"], "alice@springfield.test")
    signed_in_as(page, alice)
    assert AuditEvent.objects.filter(action=AuditAction.SSO_SIGNED_IN, actor_id=alice.pk).exists()


def test_saml_refuses_someone_without_an_account(page, hosts, saml):
    saml()
    saml_sign_in(page, hosts["springfield"], "stranger@springfield.test")
    refused(page, "no account in this portal for stranger@springfield.test")
    assert not User.objects.filter(email="stranger@springfield.test").exists()


def test_saml_refuses_a_person_of_another_institution(page, hosts, saml):
    saml()
    saml_sign_in(page, hosts["springfield"], "bob@shelbyville.test")
    refused(page, "bob@shelbyville.test")
    assert actions()[-1] == AuditAction.SSO_REFUSED


def test_saml_matches_by_the_sis_id_attribute(page, hosts, saml, people):
    alice, _ = people
    saml(match_by=MatchBy.SIS_ID, sis_id_claim=SIS_ID)
    saml_sign_in(page, hosts["springfield"], "someone@idp.example", sis_id="S-ALICE")
    signed_in_as(page, alice)


def test_saml_refuses_a_response_changed_after_it_was_signed(page, hosts, saml, saml_idp):
    saml()
    # Signed for a stranger, then made to name Alice.
    saml_idp.tamper = lambda xml: xml.replace("stranger@springfield.test", "alice@springfield.test")
    try:
        saml_sign_in(page, hosts["springfield"], "stranger@springfield.test")
        refused(page, "cannot trust")
    finally:
        saml_idp.tamper = None
    failed = AuditEvent.objects.get(action=AuditAction.SSO_FAILED)
    assert "Signature validation failed" in failed.details["saml_reason"]
    assert not AuditEvent.objects.filter(action=AuditAction.SSO_SIGNED_IN).exists()


def test_saml_refuses_an_unsigned_response(page, hosts, saml, saml_idp):
    saml()
    saml_idp.tamper = lambda xml: re.sub(
        r"<(\w+):Signature[ >].*?</\1:Signature>", "", xml, flags=re.S
    )
    try:
        saml_sign_in(page, hosts["springfield"], "alice@springfield.test")
        refused(page, "cannot trust")
    finally:
        saml_idp.tamper = None
    assert actions()[-1] == AuditAction.SSO_FAILED


def test_saml_refuses_a_response_replayed_from_another_browser(page, new_page, hosts, saml, people):
    alice, _ = people
    provider = saml()
    posted = []
    page.on("request", lambda r: posted.append(r.post_data) if r.url.endswith("/acs/") else None)
    saml_sign_in(page, hosts["springfield"], "alice@springfield.test")
    signed_in_as(page, alice)

    other = new_page()
    acs = f"{hosts['springfield']}/accounts/saml/{provider.app.client_id}/acs/"
    fields = "".join(
        f'<input type="hidden" name="{name}" value="{value}">'
        for name, value in parse_qsl(posted[0])
    )
    other.set_content(f'<form method="post" action="{acs}">{fields}<button>Replay</button></form>')
    other.get_by_role("button", name="Replay").click()
    refused(other, "cannot trust")
    assert actions()[-2:] == [AuditAction.SSO_SIGNED_IN, AuditAction.SSO_FAILED]
