"""The portal connects to identity providers at public addresses only (accounts.outbound): an
admin types the addresses, and must not make the servers fetch from this computer, its private
network or a cloud's metadata service. Checked where the connection is opened (so a name that
changes its address between a check and the request gains nothing), for the portal's own reading
of a provider and for allauth's calls during a sign-in. SSO_ALLOW_PRIVATE_ADDRESSES turns it off
(the test providers run on this computer: tests/conftest.py turns it on for every other test)."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from allauth.socialaccount.models import SocialApp

from accounts.errors import SignInError
from accounts.models import AuditAction, AuditEvent, IdentityProvider, Institution
from accounts.outbound import address_allowed, checked_session
from accounts.services import identity_provider_add_oidc, identity_provider_add_saml
from accounts.sso import SocialAccountAdapter
from tests.sso import SamlIdentityProvider

pytestmark = pytest.mark.django_db


@pytest.fixture
def public_only(settings):
    settings.SSO_ALLOW_PRIVATE_ADDRESSES = False


@pytest.fixture
def counting_server():
    """An HTTP server on 127.0.0.1 that counts the requests it gets (none must arrive)."""
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_port, hits
    server.shutdown()


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # a cloud's metadata service
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",  # noqa: S104 - an address to refuse, not one to bind
        "240.0.0.1",  # reserved
        "224.0.0.1",  # multicast
        "::1",
        "fe80::1%eth0",
        "fc00::1",
        "::ffff:10.0.0.1",  # an IPv4 private address written as IPv6
        "::ffff:127.0.0.1",
    ],
)
def test_private_loopback_link_local_and_reserved_addresses_are_refused(public_only, address):
    assert not address_allowed(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "142.250.74.78", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(public_only, address):
    assert address_allowed(address)


def test_the_setting_allows_every_address(settings):
    settings.SSO_ALLOW_PRIVATE_ADDRESSES = True
    assert address_allowed("169.254.169.254")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_the_connection_itself_refuses_a_name_or_address_that_leads_here(
    public_only, counting_server, host
):
    port, hits = counting_server
    with pytest.raises(requests.ConnectionError), checked_session() as session:
        session.get(f"http://{host}:{port}/.well-known/openid-configuration")
    assert hits == []


def test_redirects_are_checked_like_the_first_request(public_only, counting_server, settings):
    port, hits = counting_server
    settings.SSO_ALLOW_PRIVATE_ADDRESSES = True
    with checked_session() as session:
        assert session.get(f"http://127.0.0.1:{port}/allowed").status_code == 200
    settings.SSO_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(requests.ConnectionError), checked_session() as session:
        session.get(f"http://127.0.0.1:{port}/refused")
    assert hits == ["/allowed"]


def test_allauths_calls_during_a_sign_in_go_through_the_same_check(public_only, counting_server):
    port, hits = counting_server
    with (
        pytest.raises(requests.ConnectionError),
        SocialAccountAdapter().get_requests_session() as session,
    ):
        session.get(f"http://localhost:{port}/jwks")
    assert hits == []


def test_an_admin_cannot_add_a_provider_on_this_computer(public_only, institution, oidc_provider):
    with pytest.raises(SignInError) as refused:
        identity_provider_add_oidc(
            institution=institution,
            name="Here",
            issuer=oidc_provider,
            client_id="portal",
            client_secret="secret",
            by=None,
        )
    assert refused.value.message == SignInError.ADDRESS_NOT_PUBLIC
    with pytest.raises(SignInError) as refused:
        identity_provider_add_saml(
            institution=institution,
            name="Metadata service",
            metadata_url="https://169.254.169.254/latest/meta-data/",
            by=None,
        )
    assert refused.value.message == SignInError.ADDRESS_NOT_PUBLIC
    assert not IdentityProvider.objects.exists()


def test_the_page_says_why(client, public_only, institution, admin, oidc_provider):
    client.force_login(admin)
    response = client.post(
        f"/accounts/{institution.pk}/auth_providers/oidc",
        {
            "oidc-preset": "other",
            "oidc-name": "Here",
            "oidc-issuer": oidc_provider,
            "oidc-client_id": "portal",
            "oidc-client_secret": "secret",
            "oidc-match_by": "email",
        },
    )
    assert response.status_code == 400
    assert "does not connect to" in response.content.decode()


@pytest.fixture
def on_its_host(institution):
    Institution.objects.filter(pk=institution.pk).update(domain="testserver")
    return institution


def test_an_oidc_sign_in_does_not_read_a_configuration_here(
    client, settings, on_its_host, counting_server
):
    """A provider saved while private addresses were allowed (or whose name now leads here)."""
    port, hits = counting_server
    app = SocialApp.objects.create(
        provider="openid_connect",
        provider_id=f"i{on_its_host.pk}-here",
        name="Here",
        client_id="portal",
        settings={"server_url": f"http://127.0.0.1:{port}"},
    )
    IdentityProvider.objects.create(institution=on_its_host, app=app)
    settings.SSO_ALLOW_PRIVATE_ADDRESSES = False
    response = client.post(f"/accounts/oidc/{app.provider_id}/login/")
    assert response.status_code == 400
    assert "did not work" in response.content.decode()
    assert hits == []
    assert AuditEvent.objects.filter(action=AuditAction.SSO_FAILED).exists()


def test_a_saml_sign_in_reads_metadata_through_the_check_not_around_it(
    client, settings, on_its_host, idp_keys
):
    key, certificate, body = idp_keys
    with SamlIdentityProvider(key_file=key, certificate_file=certificate, certificate=body) as idp:
        provider = identity_provider_add_saml(
            institution=on_its_host,
            name="Federation",
            metadata_url=f"{idp.base}/metadata",
            by=None,
        )
        login = f"/accounts/saml/{provider.app.client_id}/login/"
        settings.SSO_ALLOW_PRIVATE_ADDRESSES = False
        refused = client.post(login, HTTP_HOST="testserver")
        assert refused.status_code == 400
        assert "did not work" in refused.content.decode()
        settings.SSO_ALLOW_PRIVATE_ADDRESSES = True
        allowed = client.post(login, HTTP_HOST="testserver")
        assert allowed.status_code == 302
        assert allowed["Location"].startswith(f"{idp.base}/sso/redirect")
