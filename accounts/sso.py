"""Single sign-on through an institution's identity providers, on django-allauth's flows.

allauth runs the protocols (OpenID Connect with PKCE, SAML 2.0 with signed assertions); these
adapters decide what is the portal's to decide:

- which providers a visitor is offered: those of the institution whose host they use, never
  another's (``list_apps``: every allauth lookup of a provider goes through it);
- who is signed in (accounts.services.sso_people decides): only someone who already has an
  active account in that institution, matched by a verified login e-mail or by SIS ID (a claim or
  attribute the admin names), or linked by an earlier sign-in, and never an admin or a platform
  operator; anybody else sees a page that says so, and no account is made, unless the admin lets
  that provider make accounts for new people;
- the audit trail: every sign-in, refusal and failure.

Attempts are not counted here: the provider authenticates people, and what comes back is bound
to this browser's session (state, nonce, PKCE, InResponseTo) and signed, so there is nothing to
guess at on the portal's side.
"""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.base import AuthError, AuthProcess
from allauth.socialaccount.providers.saml.utils import build_sp_config
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from onelogin.saml2.settings import OneLogin_Saml2_Settings

from accounts.audit import audit_record
from accounts.errors import AccountError, SignInError
from accounts.models import AuditAction, IdentityProvider, ProviderKind, User
from accounts.outbound import checked_session
from accounts.sealed import unseal
from accounts.selectors import institution_for_host
from accounts.services import (
    redirect_target_allowed,
    sso_account_may_be_made,
    sso_email_trusted,
    sso_person_match,
    user_create,
)
from accounts.sso_discovery import saml_idp_current
from pairing_portal.middleware import CONTENT_SECURITY_POLICY


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return False  # allauth's own sign-up is never used (sign-up: pairing.views.sign_up)

    def is_safe_url(self, url):
        """Where a sign-in through a provider may lead (its ``next``, a SAML RelayState): the
        rule of the password log-in, not allauth's (which takes any host in ALLOWED_HOSTS)."""
        return context.request is not None and redirect_target_allowed(
            url=url, request=context.request
        )


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def list_apps(self, request, provider=None, client_id=None):
        """The providers of the institution whose host the request uses, with their secrets."""
        request = request or context.request  # a few of allauth's own calls pass none
        institution = institution_for_host(request.get_host()) if request is not None else None
        if institution is None:
            return []
        rows = IdentityProvider.objects.filter(institution=institution).select_related("app")
        if provider:
            rows = rows.filter(Q(app__provider=provider) | Q(app__provider_id=provider))
        if client_id:
            rows = rows.filter(app__client_id=client_id)
        apps = []
        for row in rows:
            app = row.app
            app.secret = unseal(row.sealed_secret) or ""  # only ever in memory
            idp = app.settings.get("idp") or {}
            if app.provider == ProviderKind.SAML and idp.get("metadata_url"):
                # The metadata as accounts.outbound reads it (public addresses only), not by
                # allauth's own reading, which would connect wherever the address leads.
                try:
                    current = saml_idp_current(
                        metadata_url=idp["metadata_url"], entity_id=idp["entity_id"]
                    )
                except SignInError as error:
                    raise ImmediateHttpResponse(
                        sign_in_failed(
                            request, provider_name=app.name, details={"error": error.message}
                        )
                    ) from None
                app.settings = {**app.settings, "idp": current}
            apps.append(app)
        return apps

    def get_requests_session(self):
        """allauth's calls to providers (configuration, keys, tokens, user info): to public
        addresses only (accounts.outbound)."""
        return checked_session()

    def pre_social_login(self, request, sociallogin):
        """Match the person the provider vouches for to an account of its institution, or
        refuse (ImmediateHttpResponse: allauth shows that page instead of signing in)."""
        # Only signing in: never "connect" or "redirect", whatever the form that started it said.
        sociallogin.state["process"] = AuthProcess.LOGIN
        provider = _provider_of(sociallogin)
        seen = _who(sociallogin, provider)
        try:  # accounts.services.sso_people: who this is, and who never signs in this way
            user = sso_person_match(
                provider=provider,
                email=seen["email"],
                sis_id=seen["sis_id"],
                linked=sociallogin.user if sociallogin.is_existing else None,
            )
        except SignInError:
            raise _refusal(request, provider, seen, reason="privileged") from None
        if user is not None:
            if not sociallogin.is_existing:
                sociallogin.connect(request, user)  # the link; allauth then signs them in
            _signed_in(provider, user, seen)
            return
        if not sociallogin.is_existing and sso_account_may_be_made(
            provider=provider, email=seen["email"]
        ):
            return  # allauth signs them up: save_user below makes the account
        raise _refusal(request, provider, seen)

    def is_open_for_signup(self, request, sociallogin):
        return _provider_of(sociallogin).create_accounts

    def save_user(self, request, sociallogin, form=None):
        """A new person, where the admin lets the provider make accounts (pre_social_login)."""
        provider = _provider_of(sociallogin)
        seen = _who(sociallogin, provider)
        claims = claims_of(sociallogin)
        name = claims.get("name") or " ".join(
            str(claims[key]) for key in ("given_name", "family_name") if claims.get(key)
        )
        try:
            user = user_create(
                institution=provider.institution,
                email=seen["email"],
                name=str(name or "").strip() or seen["email"].split("@")[0],
                sis_user_id=seen["sis_id"] or None,
            )
        except AccountError as error:  # an SIS ID another person has, a name too long…
            raise _refusal(request, provider, {**seen, "error": error.message}) from None
        sociallogin.user = user
        sociallogin.save(request)
        audit_record(
            action=AuditAction.SSO_ACCOUNT_CREATED,
            institution=provider.institution_id,
            actor=user,
            subject=user,
            details={"provider": provider.app.name},
        )
        _signed_in(provider, user, seen)
        return user

    def on_authentication_error(
        self, request, provider, error=None, exception=None, extra_context=None
    ):
        """Anything the protocol refused (a forged state or code, a bad signature, a response
        meant for someone else, the person cancelling at the provider)."""
        extra = extra_context or {}
        response = sign_in_failed(
            request,
            provider_name=getattr(getattr(provider, "app", None), "name", None),
            details={
                "error": str(error or ""),
                "exception": exception.__class__.__name__ if exception else "",
                "saml_errors": extra.get("saml_errors"),
                "saml_reason": str(extra.get("saml_last_error_reason") or "")[:300],
            },
            cancelled=error == AuthError.CANCELLED,
        )
        raise ImmediateHttpResponse(response)


def sign_in_failed(
    request, *, provider_name: str | None, details: dict, cancelled: bool = False
) -> HttpResponse:
    """Record a failed sign-in; the page that says so (or that the person cancelled it)."""
    institution = institution_for_host(request.get_host())
    audit_record(
        action=AuditAction.SSO_FAILED,
        institution=institution,
        actor=None,
        details={"provider": provider_name, **{k: v for k, v in details.items() if v}},
    )
    reason = "cancelled" if cancelled else "failed"
    return render(request, "accounts/sso_refused.html", {"reason": reason}, status=400)


def claims_of(sociallogin) -> dict:
    """What the provider said of the person: OpenID Connect claims (the ID token's, then the
    user info's), or SAML attributes (the first value of each), by name."""
    data = sociallogin.account.extra_data or {}
    if _is_saml(sociallogin):
        return {
            name: (values[0] if isinstance(values, list) and values else values)
            for name, values in data.items()
        }
    return {**(data.get("id_token") or {}), **(data.get("userinfo") or {})}


def _is_saml(sociallogin) -> bool:
    return sociallogin.provider.app.provider == ProviderKind.SAML


def _provider_of(sociallogin) -> IdentityProvider:
    return IdentityProvider.objects.select_related("institution", "app").get(
        app_id=sociallogin.provider.app.pk
    )


def _who(sociallogin, provider: IdentityProvider) -> dict[str, str]:
    claims = claims_of(sociallogin)
    email = (sociallogin.user.email if sociallogin.user else "") or claims.get("email") or ""
    sis_id = claims.get(provider.sis_id_claim) if provider.sis_id_claim else None
    return {
        "provider": provider.app.name,
        # A provider that says it has not checked the address: it matches nobody by e-mail.
        "email": sso_email_trusted(email=email, email_verified=claims.get("email_verified")),
        "sis_id": str(sis_id or "").strip()[:255],
    }


def _signed_in(provider: IdentityProvider, user: User, seen: dict) -> None:
    audit_record(
        action=AuditAction.SSO_SIGNED_IN,
        institution=provider.institution_id,
        actor=user,
        subject=user,
        details={"provider": seen["provider"]},
    )


def _refusal(
    request, provider: IdentityProvider, seen: dict, *, reason: str = "no_account"
) -> ImmediateHttpResponse:
    """Nobody to sign in (the page tells the person to ask their school), or an admin's account
    (the page tells them to use their password): recorded either way."""
    details = {key: value for key, value in seen.items() if value}
    if reason != "no_account":
        details["reason"] = reason
    audit_record(
        action=AuditAction.SSO_REFUSED,
        institution=provider.institution_id,
        actor=None,
        details=details,
    )
    return ImmediateHttpResponse(
        render(
            request,
            "accounts/sso_refused.html",
            {"reason": reason, "who": seen["email"] or seen["sis_id"]},
            status=403,
        )
    )


def providers_for_host(request) -> list[IdentityProvider]:
    """The identity providers of the institution whose host the request uses (the log-in page)."""
    institution = institution_for_host(request.get_host())
    if institution is None:
        return []
    return list(
        IdentityProvider.objects.filter(institution=institution)
        .select_related("app")
        .order_by("-is_default", "app__name")
    )


def content_security_policy(providers: list[IdentityProvider]) -> str:
    """The portal's CSP, with forms allowed to lead to the providers' sign-in pages.

    A "Sign in with" form posts to the portal, which redirects to the provider; browsers hold
    that redirect to the submitting page's form-action too, so the page must name each origin.
    """
    origins = sorted({provider.sign_in_origin for provider in providers if provider.sign_in_origin})
    if not origins:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace(
        "form-action 'self'", " ".join(["form-action 'self'", *origins])
    )


def service_provider_details(request, provider: IdentityProvider) -> dict[str, str]:
    """What the identity provider's own admin needs to know of the portal, for this host: the
    OpenID Connect redirect URI, or the SAML service provider's entity id, ACS and metadata."""
    app = provider.app
    if app.provider == ProviderKind.OIDC:
        callback = reverse("openid_connect_callback", kwargs={"provider_id": app.provider_id})
        return {"redirect_uri": request.build_absolute_uri(callback)}
    service_provider = build_sp_config(request, app.settings, app.client_id)
    config = {
        "strict": True,
        "sp": service_provider,
        "security": {
            "wantAssertionsSigned": True,
            "authnRequestsSigned": False,
            "allowSingleLabelDomains": True,
        },
    }
    metadata = OneLogin_Saml2_Settings(settings=config, sp_validation_only=True).get_sp_metadata()
    return {
        "entity_id": service_provider["entityId"],
        "acs_url": service_provider["assertionConsumerService"]["url"],
        "metadata_url": request.build_absolute_uri(
            reverse("saml_metadata", kwargs={"organization_slug": app.client_id})
        ),
        "metadata": metadata.decode() if isinstance(metadata, bytes) else metadata,
    }
