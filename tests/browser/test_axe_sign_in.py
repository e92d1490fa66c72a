"""axe-core finds no WCAG 2.x A or AA violation on the pages of signing in: the discovery log-in
page, identity providers, invitations (sent, accepted, broken), refused sign-ins, operators."""

import pytest

from accounts.models import Institution, InvitationBatch, User
from accounts.services import (
    identity_provider_add_oidc,
    identity_provider_add_saml,
    invitation_create,
    invitation_link_issue,
    user_create,
)
from tests.browser.helpers import assert_no_axe_violations, log_in

pytestmark = pytest.mark.slow


@pytest.fixture
def providers(institution, oidc_provider, saml_metadata, live_server):
    host = live_server.url.removeprefix("http://").rsplit(":", 1)[0]
    Institution.objects.filter(pk=institution.pk).update(domain=host)
    oidc = identity_provider_add_oidc(
        institution=institution,
        name="Springfield Google",
        issuer=oidc_provider,
        client_id="portal",
        client_secret="secret",
        by=None,
    )
    saml = identity_provider_add_saml(
        institution=institution, name="Springfield Federation", metadata_xml=saml_metadata, by=None
    )
    return oidc, saml


@pytest.fixture
def newcomer(institution):
    return user_create(institution=institution, email="nia@example.test", name="Nia Newcomer")


def test_the_pages_of_signing_in_by_a_provider_or_an_invitation(page, providers, newcomer):
    page.goto("/login?local=1")
    page.get_by_role("button", name="Sign in with Springfield Google").wait_for()
    assert_no_axe_violations(page)
    page.goto(f"/accounts/oidc/{providers[0].app.provider_id}/login/")  # the "Continue" page
    assert_no_axe_violations(page)
    page.goto("/sso/cancelled")
    assert_no_axe_violations(page)
    page.goto(f"/accounts/saml/{providers[1].app.client_id}/acs/finish/")  # nothing waited for
    page.locator("#sso-refused").wait_for()
    assert_no_axe_violations(page)

    link = invitation_link_issue(person=newcomer, by=None, base_url="http://x/")
    page.goto("/invitation/" + link.rsplit("/", 1)[1])
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Set my password and sign in").click()  # empty: errors
    page.locator(".error").first.wait_for()
    assert_no_axe_violations(page)
    page.goto("/invitation/no-such-link")
    assert_no_axe_violations(page)


def test_the_pages_of_an_admin_setting_up_sign_in(page, admin, institution, providers, newcomer):
    invitation_create(person=newcomer, by=admin)
    batch = InvitationBatch.objects.create(
        institution=institution, requested_by=admin, user_ids=[newcomer.pk]
    )
    log_in(page, admin)
    base = f"/accounts/{institution.pk}"
    for path in (
        f"{base}/authentication",
        f"{base}/auth_providers/{providers[0].pk}",
        f"{base}/auth_providers/{providers[1].pk}",
        f"{base}/invitations",
        f"{base}/invitations/{batch.pk}",
        f"{base}/users/{newcomer.pk}",
    ):
        page.goto(path)
        assert_no_axe_violations(page)
    page.goto(f"{base}/authentication")
    page.get_by_role("button", name="Add this provider").first.click()  # empty: errors
    page.locator(".error").first.wait_for()
    assert_no_axe_violations(page)


def test_the_operators_page(page, institution):
    operator = User.objects.create_superuser(
        "ops@example.test", "an-operator-passphrase", name="Ops"
    )
    log_in(page, operator, password="an-operator-passphrase")
    page.goto("/institutions")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Make it and invite its admin").click()  # empty: errors
    page.locator(".error").first.wait_for()
    assert_no_axe_violations(page)
