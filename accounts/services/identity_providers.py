"""An institution's identity providers (OpenID Connect, SAML 2.0): adding, changing, removing.

Each is an allauth SocialApp (what allauth reads to run the protocol) and an IdentityProvider
row (the portal's rules for it), made and removed together. accounts.sso decides who signs in.
"""

import re

from allauth.socialaccount.models import SocialApp
from django.db import IntegrityError, transaction
from django.db.models import TextChoices
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from accounts.audit import audit_record
from accounts.errors import SignInError
from accounts.models import AuditAction, IdentityProvider, Institution, MatchBy, ProviderKind, User
from accounts.sealed import seal
from accounts.services.institutions import require_admin_of
from accounts.sso_discovery import (
    checked_address,
    oidc_configuration,
    origin_of,
    saml_metadata_fetch,
    saml_metadata_read,
)


class OidcPreset(TextChoices):
    OTHER = "other", _("Another OpenID Connect provider")
    GOOGLE = "google", "Google"
    MICROSOFT = "microsoft", "Microsoft"


GOOGLE_ISSUER = "https://accounts.google.com"
# The tenant's own issuer: "common" or "organizations" would let any Microsoft tenant sign in.
MICROSOFT_ISSUER = "https://login.microsoftonline.com/{tenant}/v2.0"
TENANT_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z.-]{2,99}")
# SAML attributes that usually carry the e-mail address and the name (OID, then Microsoft's).
SAML_ATTRIBUTES = {
    "email": [
        "urn:oid:0.9.2342.19200300.100.1.3",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        "mail",
        "email",
    ],
    "name": [
        "urn:oid:2.16.840.1.113730.3.1.241",
        "http://schemas.microsoft.com/identity/claims/displayname",
        "displayName",
    ],
    "first_name": ["urn:oid:2.5.4.42", "givenName"],
    "last_name": ["urn:oid:2.5.4.4", "sn"],
}
# Signed assertions only; SHA-1 signatures and sign-ins the provider starts are refused. Host
# names of one label (localhost, an intranet's "portal") are addresses like any other.
SAML_SECURITY = {
    "want_assertion_signed": True,
    "reject_idp_initiated_sso": True,
    "reject_deprecated_algorithm": True,
    "allow_single_label_domains": True,
}


def oidc_issuer(*, preset: OidcPreset, issuer: str, tenant: str) -> str:
    if preset == OidcPreset.GOOGLE:
        return GOOGLE_ISSUER
    if preset == OidcPreset.MICROSOFT:
        tenant = tenant.strip()
        if not TENANT_ID.fullmatch(tenant) or tenant.lower() in ("common", "organizations"):
            raise SignInError(SignInError.TENANT_REQUIRED)
        return MICROSOFT_ISSUER.format(tenant=tenant)
    return checked_address(issuer)


def identity_provider_add_oidc(
    *,
    institution: Institution,
    name: str,
    client_id: str,
    client_secret: str,
    by: User | None,
    issuer: str = "",
    preset: OidcPreset = OidcPreset.OTHER,
    tenant: str = "",
    match_by: MatchBy = MatchBy.EMAIL,
    sis_id_claim: str = "",
    create_accounts: bool = False,
) -> IdentityProvider:
    """Add an OpenID Connect provider; its configuration is read now (SignInError if not)."""
    require_admin_of(institution, by)
    name = name.strip() or (OidcPreset(preset).label if preset != OidcPreset.OTHER else "")
    _check_rules(institution=institution, name=name, match_by=match_by, sis_id_claim=sis_id_claim)
    client_id, client_secret = client_id.strip(), client_secret.strip()
    if not client_id or not client_secret:
        raise SignInError(SignInError.CLIENT_REQUIRED)
    issuer = oidc_issuer(preset=OidcPreset(preset), issuer=issuer, tenant=tenant)
    configuration = oidc_configuration(issuer)
    return _provider_save(
        institution=institution,
        app=SocialApp(
            provider=ProviderKind.OIDC,
            name=name,
            client_id=client_id,
            settings={"server_url": issuer},
        ),
        rules={
            "match_by": match_by,
            "sis_id_claim": sis_id_claim.strip(),
            "create_accounts": create_accounts,
            "sealed_secret": seal(client_secret),
            "sign_in_origin": origin_of(configuration["authorization_endpoint"]),
        },
        by=by,
        details={"issuer": issuer},
    )


def identity_provider_add_saml(
    *,
    institution: Institution,
    name: str,
    by: User | None,
    metadata_url: str = "",
    metadata_xml: str = "",
    match_by: MatchBy = MatchBy.EMAIL,
    sis_id_claim: str = "",
    create_accounts: bool = False,
) -> IdentityProvider:
    """Add a SAML 2.0 identity provider from its metadata: by address (read again at sign-ins,
    so a new certificate is followed) or pasted (read now, kept as it is)."""
    require_admin_of(institution, by)
    name = name.strip()
    _check_rules(institution=institution, name=name, match_by=match_by, sis_id_claim=sis_id_claim)
    metadata_url = metadata_url.strip()
    if metadata_url:
        idp = saml_metadata_read(saml_metadata_fetch(metadata_url))
        idp_settings = {"entity_id": idp["entity_id"], "metadata_url": metadata_url}
    elif metadata_xml.strip():
        idp = saml_metadata_read(metadata_xml)
        idp_settings = idp
    else:
        raise SignInError(SignInError.METADATA_REQUIRED)
    mapping = {key: list(names) for key, names in SAML_ATTRIBUTES.items()}
    return _provider_save(
        institution=institution,
        app=SocialApp(
            provider=ProviderKind.SAML,
            name=name,
            settings={
                "idp": idp_settings,
                "attribute_mapping": mapping,
                "advanced": dict(SAML_SECURITY),
            },
        ),
        rules={
            "match_by": match_by,
            "sis_id_claim": sis_id_claim.strip(),
            "create_accounts": create_accounts,
            "sign_in_origin": origin_of(idp["sso_url"]),
        },
        by=by,
        details={"entity_id": idp["entity_id"]},
    )


@transaction.atomic
def identity_provider_update(
    *,
    provider: IdentityProvider,
    match_by: MatchBy,
    sis_id_claim: str,
    create_accounts: bool,
    is_default: bool,
    by: User | None,
) -> IdentityProvider:
    """How people are matched, whether the provider may make accounts, and whether the log-in
    page goes straight to it (one default per institution: the previous one stops being it)."""
    require_admin_of(provider.institution, by)
    sis_id_claim = sis_id_claim.strip()
    if match_by == MatchBy.SIS_ID and not sis_id_claim:
        raise SignInError(SignInError.SIS_ID_CLAIM_REQUIRED)
    wanted = {
        "match_by": MatchBy(match_by),
        "sis_id_claim": sis_id_claim,
        "create_accounts": create_accounts,
        "is_default": is_default,
    }
    before = {field: getattr(provider, field) for field in wanted}
    changed = [field for field, value in wanted.items() if before[field] != value]
    if not changed:
        return provider
    if is_default:
        IdentityProvider.objects.filter(institution=provider.institution, is_default=True).exclude(
            pk=provider.pk
        ).update(is_default=False)
    for field in changed:
        setattr(provider, field, wanted[field])
    provider.save(update_fields=changed)
    audit_record(
        action=AuditAction.PROVIDER_CHANGED,
        institution=provider.institution_id,
        actor=by,
        details={
            "provider": provider.app.name,
            **{field: {"from": before[field], "to": wanted[field]} for field in changed},
        },
    )
    return provider


@transaction.atomic
def identity_provider_remove(*, provider: IdentityProvider, by: User | None) -> None:
    """Remove the provider (its SocialApp and the links it made to people); people it signed in
    keep their accounts, and sign in otherwise from now on."""
    require_admin_of(provider.institution, by)
    audit_record(
        action=AuditAction.PROVIDER_REMOVED,
        institution=provider.institution_id,
        actor=by,
        details={"provider": provider.app.name, "kind": provider.app.provider},
    )
    provider.app.delete()  # its IdentityProvider and SocialAccounts go with it (CASCADE)


def _provider_save(
    *, institution: Institution, app: SocialApp, rules: dict, by: User | None, details: dict
) -> IdentityProvider:
    # allauth finds a provider by these ids across the whole portal (URLs, people's links): the
    # institution's id keeps them unique, the name makes them readable.
    slug = f"i{institution.pk}-{slugify(app.name)[:40] or 'provider'}"
    app.provider_id = slug
    if app.provider == ProviderKind.SAML:
        app.client_id = slug  # the "organization" in allauth's SAML URLs
    try:
        with transaction.atomic():
            if SocialApp.objects.filter(provider_id=slug).exists():
                raise SignInError(SignInError.PROVIDER_NAME_TAKEN)
            app.save()
            provider = IdentityProvider.objects.create(institution=institution, app=app, **rules)
            audit_record(
                action=AuditAction.PROVIDER_ADDED,
                institution=institution,
                actor=by,
                details={"provider": app.name, "kind": app.provider, **details},
            )
    except IntegrityError:
        raise SignInError(SignInError.PROVIDER_NAME_TAKEN) from None
    return provider


def _check_rules(*, institution: Institution, name: str, match_by: str, sis_id_claim: str) -> None:
    if not name:
        raise SignInError(SignInError.PROVIDER_NAME_REQUIRED)
    if len(name) > SocialApp._meta.get_field("name").max_length:
        raise SignInError(SignInError.PROVIDER_NAME_TOO_LONG)
    if match_by == MatchBy.SIS_ID and not sis_id_claim.strip():
        raise SignInError(SignInError.SIS_ID_CLAIM_REQUIRED)
    if IdentityProvider.objects.filter(institution=institution, app__name__iexact=name).exists():
        raise SignInError(SignInError.PROVIDER_NAME_TAKEN)
