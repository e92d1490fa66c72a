"""Authentication → Authentication providers: an admin adds OpenID Connect and SAML 2.0 identity
providers (read from a real provider's configuration or metadata), sets who they sign in, makes
one the default, removes them; the log-in page offers them. Signing in: tests/browser."""

import re

import pytest
from allauth.socialaccount.models import SocialApp
from django.urls import reverse

from accounts.errors import SignInError
from accounts.models import AuditAction, AuditEvent, IdentityProvider, Institution, MatchBy
from accounts.sealed import seal, unseal
from accounts.services import (
    OidcPreset,
    identity_provider_add_oidc,
    identity_provider_add_saml,
    identity_provider_update,
)
from accounts.services.identity_providers import oidc_issuer
from tests.sso import SamlIdentityProvider

pytestmark = pytest.mark.django_db
SECRET = "s3cret-of-the-district-0123456789"


@pytest.fixture
def on_its_host(institution):
    """Visitors at testserver belong to the institution (its domain)."""
    Institution.objects.filter(pk=institution.pk).update(domain="testserver")
    institution.refresh_from_db()
    return institution


def add_oidc(client, institution, **fields):
    data = {
        "oidc-preset": "other",
        "oidc-name": "Springfield Keycloak",
        "oidc-client_id": "portal",
        "oidc-client_secret": SECRET,
        "oidc-match_by": "email",
        **{f"oidc-{key}": value for key, value in fields.items()},
    }
    return client.post(reverse("identity_provider_add_oidc", args=[institution.pk]), data)


def oidc(institution, issuer, **rules):
    return identity_provider_add_oidc(
        institution=institution,
        name=rules.pop("name", "Springfield Keycloak"),
        issuer=issuer,
        client_id="portal",
        client_secret=SECRET,
        by=None,
        **rules,
    )


def test_an_admin_adds_an_openid_connect_provider_read_from_its_configuration(
    client, institution, admin, oidc_provider
):
    client.force_login(admin)
    response = add_oidc(client, institution, issuer=oidc_provider)

    provider = IdentityProvider.objects.select_related("app").get()
    assert response["Location"] == reverse("identity_provider", args=[institution.pk, provider.pk])
    assert provider.institution == institution
    assert provider.app.provider == "openid_connect"
    assert provider.app.provider_id == f"i{institution.pk}-springfield-keycloak"
    assert provider.app.settings == {"server_url": oidc_provider}
    assert provider.sign_in_origin == oidc_provider  # where its authorize page is
    page = client.get(response["Location"]).content.decode()
    assert f"/accounts/oidc/{provider.app.provider_id}/login/callback/" in page
    event = AuditEvent.objects.get(action=AuditAction.PROVIDER_ADDED)
    assert (event.actor, event.details["issuer"]) == (admin, oidc_provider)


def test_the_client_secret_is_kept_encrypted_and_never_shown_again(
    client, institution, admin, oidc_provider
):
    client.force_login(admin)
    add_oidc(client, institution, issuer=oidc_provider)
    provider = IdentityProvider.objects.select_related("app").get()
    assert provider.app.secret == ""
    assert SECRET not in provider.sealed_secret
    assert unseal(provider.sealed_secret) == SECRET
    for url in (
        reverse("identity_provider", args=[institution.pk, provider.pk]),
        reverse("institution_authentication", args=[institution.pk]),
    ):
        assert SECRET not in client.get(url).content.decode()
    assert not AuditEvent.objects.filter(details__icontains=SECRET).exists()


def test_a_sealed_secret_survives_a_new_secret_key_kept_as_fallback(settings):
    sealed = seal(SECRET)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "another-secret-key-" + "x" * 50
    assert unseal(sealed) == SECRET
    settings.SECRET_KEY_FALLBACKS = []
    assert unseal(sealed) is None


def test_an_issuer_that_cannot_be_read_is_said_at_once_and_nothing_is_saved(
    client, institution, admin
):
    client.force_login(admin)
    response = add_oidc(client, institution, issuer="http://127.0.0.1:9/nothing-here")
    assert response.status_code == 400
    assert "could not read the provider" in response.content.decode()
    assert SECRET not in response.content.decode()  # not even echoed in the form
    insecure = add_oidc(client, institution, issuer="http://sso.springfield.example")
    assert "starting with https://" in insecure.content.decode()
    assert not IdentityProvider.objects.exists()
    assert not SocialApp.objects.exists()


def test_google_and_microsoft_are_presets_and_microsoft_needs_a_tenant():
    assert oidc_issuer(preset=OidcPreset.GOOGLE, issuer="", tenant="") == (
        "https://accounts.google.com"
    )
    tenant = "8d3c1e2a-0000-4000-8000-00000000abcd"
    assert oidc_issuer(preset=OidcPreset.MICROSOFT, issuer="", tenant=tenant) == (
        f"https://login.microsoftonline.com/{tenant}/v2.0"
    )
    for wrong in ("", "common", "organizations", "a/b"):
        with pytest.raises(SignInError, match="tenant ID"):
            oidc_issuer(preset=OidcPreset.MICROSOFT, issuer="", tenant=wrong)


def test_an_admin_adds_a_saml_provider_from_pasted_metadata(
    client, institution, admin, saml_metadata
):
    client.force_login(admin)
    data = {
        "saml-name": "Springfield Federation",
        "saml-metadata_xml": saml_metadata,
        "saml-match_by": "sis_id",
        "saml-sis_id_claim": "urn:oid:1.3.6.1.4.1.5923.1.1.1.6",
    }
    response = client.post(reverse("identity_provider_add_saml", args=[institution.pk]), data)
    provider = IdentityProvider.objects.select_related("app").get()
    assert response.status_code == 302
    idp = provider.app.settings["idp"]
    assert idp["entity_id"] == "https://idp.springfield.example/metadata"
    assert idp["sso_url"] == "https://idp.springfield.example/sso"
    assert provider.app.settings["advanced"]["want_assertion_signed"] is True
    assert provider.app.client_id == provider.app.provider_id
    assert provider.sign_in_origin == "https://idp.springfield.example"
    assert provider.match_by == MatchBy.SIS_ID
    page = client.get(response["Location"]).content.decode()
    acs = f"http://testserver/accounts/saml/{provider.app.client_id}/acs/"
    assert acs in page
    assert "SPSSODescriptor" in page  # the service provider's metadata, for the IdP's admin


def test_a_saml_provider_by_metadata_address_follows_the_address(institution, idp_keys):
    key, certificate, body = idp_keys
    with SamlIdentityProvider(key_file=key, certificate_file=certificate, certificate=body) as idp:
        provider = identity_provider_add_saml(
            institution=institution,
            name="Federation",
            metadata_url=f"{idp.base}/metadata",
            by=None,
        )
    assert provider.app.settings["idp"] == {
        "entity_id": idp.entity_id,
        "metadata_url": f"{idp.base}/metadata",
    }
    assert provider.sign_in_origin == idp.base


@pytest.mark.parametrize(
    ("metadata", "problem"),
    [
        ("", "metadata address"),
        ("not xml at all", "not SAML 2.0 identity provider metadata"),
        ('<!DOCTYPE x [<!ENTITY e "y">]><x>&e;</x>', "not SAML 2.0 identity provider metadata"),
        ("<EntityDescriptor/>", "not SAML 2.0 identity provider metadata"),
    ],
)
def test_metadata_that_is_not_an_identity_providers_is_refused(institution, metadata, problem):
    with pytest.raises(SignInError, match=problem):
        identity_provider_add_saml(
            institution=institution, name="F", metadata_xml=metadata, by=None
        )
    assert not SocialApp.objects.exists()


def test_names_are_unique_in_an_institution_and_matching_by_sis_id_needs_a_claim(
    institution, oidc_provider
):
    oidc(institution, oidc_provider)
    with pytest.raises(SignInError, match="already has a provider of that name"):
        oidc(institution, oidc_provider, name="springfield keycloak")
    with pytest.raises(SignInError, match="carries the SIS ID"):
        oidc(institution, oidc_provider, name="Other", match_by=MatchBy.SIS_ID)


def test_one_provider_at_a_time_is_the_default(institution, admin, oidc_provider, saml_metadata):
    first = oidc(institution, oidc_provider)
    second = identity_provider_add_saml(
        institution=institution, name="Federation", metadata_xml=saml_metadata, by=None
    )
    for provider in (first, second):
        identity_provider_update(
            provider=provider,
            match_by=MatchBy.EMAIL,
            sis_id_claim="",
            create_accounts=False,
            is_default=True,
            by=admin,
        )
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_default, second.is_default) == (False, True)
    changed = AuditEvent.objects.filter(action=AuditAction.PROVIDER_CHANGED).first()
    assert changed.details["is_default"] == {"from": False, "to": True}


def test_an_admin_changes_and_removes_a_provider(client, institution, admin, oidc_provider):
    provider = oidc(institution, oidc_provider)
    client.force_login(admin)
    url = reverse("identity_provider", args=[institution.pk, provider.pk])
    response = client.post(
        url, {"match_by": "sis_id", "sis_id_claim": "employee_id", "create_accounts": "on"}
    )
    assert response.status_code == 302
    provider.refresh_from_db()
    assert (provider.match_by, provider.sis_id_claim, provider.create_accounts) == (
        "sis_id",
        "employee_id",
        True,
    )
    missing = client.post(url, {"match_by": "sis_id", "sis_id_claim": " "})
    assert missing.status_code == 400
    assert "carries the SIS ID" in missing.content.decode()

    client.post(reverse("identity_provider_delete", args=[institution.pk, provider.pk]))
    assert not IdentityProvider.objects.exists()
    assert not SocialApp.objects.exists()
    assert AuditEvent.objects.filter(action=AuditAction.PROVIDER_REMOVED).exists()


def test_only_the_institutions_admins_reach_its_providers(
    client, institution, teacher, other_admin, oidc_provider
):
    provider = oidc(institution, oidc_provider)
    url = reverse("identity_provider", args=[institution.pk, provider.pk])
    client.force_login(teacher)
    assert client.get(url).status_code == 403
    assert add_oidc(client, institution, issuer=oidc_provider).status_code == 403
    client.force_login(other_admin)
    assert client.get(url).status_code == 404
    own = reverse("identity_provider", args=[other_admin.institution_id, provider.pk])
    assert client.get(own).status_code == 404  # not a provider of theirs
    assert (
        client.post(own.replace(str(provider.pk), str(provider.pk)) + "/delete").status_code == 404
    )
    assert IdentityProvider.objects.count() == 1


# --- The log-in page: the institution's discovery page -------------------------------------------


def test_the_log_in_page_offers_the_hosts_providers_and_lets_their_forms_go_there(
    client, on_its_host, oidc_provider
):
    provider = oidc(on_its_host, oidc_provider)
    response = client.get(reverse("login"))
    page = response.content.decode()
    assert "Sign in with Springfield Keycloak" in page
    assert f'action="/accounts/oidc/{provider.app.provider_id}/login/"' in page
    assert 'name="password"' in page  # parents keep their passwords
    policy = response["Content-Security-Policy"]
    assert f"form-action 'self' {oidc_provider};" in policy
    assert "'unsafe-inline'" not in policy


def test_another_hosts_log_in_page_does_not_offer_them(
    client, institution, other_admin, oidc_provider
):
    oidc(institution, oidc_provider)
    Institution.objects.filter(pk=other_admin.institution_id).update(domain="testserver")
    page = client.get(reverse("login")).content.decode()
    assert "Sign in with" not in page
    provider = IdentityProvider.objects.get()
    assert client.get(f"/accounts/oidc/{provider.app.provider_id}/login/").status_code == 404


def test_a_default_provider_takes_the_log_in_page_straight_to_it_and_local_shows_the_form(
    client, on_its_host, oidc_provider
):
    provider = oidc(on_its_host, oidc_provider)
    IdentityProvider.objects.filter(pk=provider.pk).update(is_default=True)
    response = client.get(reverse("login"), {"next": "/courses"})
    assert response.status_code == 302
    assert response["Location"].startswith(f"{oidc_provider}/oauth2/authorize?")
    assert re.search(r"[?&]state=", response["Location"])
    assert "code_challenge=" in response["Location"]  # PKCE
    local = client.get(reverse("login"), {"local": "1"})
    assert local.status_code == 200
    assert 'name="password"' in local.content.decode()


def test_a_provider_out_of_reach_is_a_failed_sign_in_not_a_server_error(client, on_its_host):
    app = SocialApp.objects.create(
        provider="openid_connect",
        provider_id=f"i{on_its_host.pk}-gone",
        name="Gone",
        client_id="portal",
        settings={"server_url": "http://127.0.0.1:9"},
    )
    IdentityProvider.objects.create(
        institution=on_its_host, app=app, sign_in_origin="http://127.0.0.1:9"
    )
    response = client.post(f"/accounts/oidc/{app.provider_id}/login/")
    assert response.status_code == 400
    assert "did not work" in response.content.decode()
    assert AuditEvent.objects.get(action=AuditAction.SSO_FAILED).institution == on_its_host


def test_self_registration_still_decides_who_signs_up(client, on_its_host, oidc_provider):
    oidc(on_its_host, oidc_provider)
    on_its_host.self_registration = "none"
    on_its_host.save()
    assert "Parents sign up here" not in client.get(reverse("login")).content.decode()
    on_its_host.self_registration = "observer"
    on_its_host.save()
    assert "Parents sign up here" in client.get(reverse("login")).content.decode()
