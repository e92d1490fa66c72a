"""`manage.py auth_provider_add`: an identity provider from the shell, as the Authentication page
adds it (the same service, the same checks)."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import AuditAction, AuditEvent, IdentityProvider
from accounts.sealed import unseal

pytestmark = pytest.mark.django_db


def add(*args) -> str:
    out = StringIO()
    call_command("auth_provider_add", *args, stdout=out)
    return out.getvalue()


def test_it_adds_an_openid_connect_provider_read_from_its_issuer(institution, oidc_provider):
    output = add(
        f"--institution={institution.pk}",
        "--oidc",
        f"--issuer={oidc_provider}",
        "--client-id=springfield-portal",
        "--client-secret=the-district-secret",
        "--name=Springfield Google",
        "--default",
    )
    provider = IdentityProvider.objects.select_related("app").get()
    assert "'Springfield Google' added to Springfield Schools" in output
    assert (provider.institution, provider.app.client_id) == (institution, "springfield-portal")
    assert unseal(provider.sealed_secret) == "the-district-secret"
    assert provider.is_default
    event = AuditEvent.objects.get(action=AuditAction.PROVIDER_ADDED)
    assert (event.actor_id, event.source) == (None, "command")


def test_it_adds_a_saml_provider_from_a_metadata_file(institution, saml_metadata, tmp_path):
    path = tmp_path / "idp.xml"
    path.write_text(saml_metadata)
    add(f"--institution={institution.pk}", "--saml", f"--metadata-file={path}", "--name=Federation")
    provider = IdentityProvider.objects.select_related("app").get()
    assert provider.app.settings["idp"]["sso_url"] == "https://idp.springfield.example/sso"


def test_it_says_what_is_wrong_and_adds_nothing(institution):
    with pytest.raises(CommandError, match="No institution"):
        add("--institution=999999", "--oidc")
    with pytest.raises(CommandError, match="client ID and the client secret"):
        add(f"--institution={institution.pk}", "--oidc", "--name=X", "--client-secret=s")
    with pytest.raises(CommandError, match="metadata address"):
        add(f"--institution={institution.pk}", "--saml", "--name=X")
    assert not IdentityProvider.objects.exists()
