"""Authentication → Authentication providers: an admin adds, changes and removes the identity
providers of their institution (OpenID Connect, SAML 2.0). Signing in through them: accounts.sso."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import get_identity_provider_for_user, get_institution_for_user
from accounts.errors import AccountError, SignInError
from accounts.forms_sign_in import OidcProviderForm, ProviderSettingsForm, SamlProviderForm
from accounts.models import MatchBy
from accounts.services import (
    OidcPreset,
    identity_provider_add_oidc,
    identity_provider_add_saml,
    identity_provider_remove,
    identity_provider_update,
)
from accounts.sso import service_provider_details
from accounts.views import authentication_page_render

# Which field shows a service's refusal: the one it is about, else the form as a whole.
FIELD_OF = {
    SignInError.CLIENT_REQUIRED: "client_id",
    SignInError.TENANT_REQUIRED: "tenant",
    SignInError.DISCOVERY_FAILED: "issuer",
    SignInError.METADATA_REQUIRED: "metadata_url",
    SignInError.METADATA_INVALID: "metadata_xml",
    SignInError.METADATA_UNREACHABLE: "metadata_url",
    SignInError.SIS_ID_CLAIM_REQUIRED: "sis_id_claim",
    SignInError.PROVIDER_NAME_REQUIRED: "name",
    SignInError.PROVIDER_NAME_TAKEN: "name",
    SignInError.PROVIDER_NAME_TOO_LONG: "name",
}


def _field_for(error: AccountError, form) -> str | None:
    field = FIELD_OF.get(error.message)
    return field if field in form.fields else None


def _rules(data: dict) -> dict:
    return {
        "match_by": MatchBy(data["match_by"]),
        "sis_id_claim": data["sis_id_claim"],
        "create_accounts": data["create_accounts"],
    }


@require_POST
@login_required
def identity_provider_add(request, institution_id: int, kind: str):
    """Add an OpenID Connect (``kind`` "oidc") or SAML ("saml") provider; the configuration or
    metadata is read now, so a wrong address is said at once."""
    institution = get_institution_for_user(request.user, institution_id, write=True)
    form_class = OidcProviderForm if kind == "oidc" else SamlProviderForm
    form = form_class(request.POST, prefix=kind)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if kind == "oidc":
                provider = identity_provider_add_oidc(
                    institution=institution,
                    name=data["name"],
                    preset=OidcPreset(data["preset"]),
                    issuer=data["issuer"],
                    tenant=data["tenant"],
                    client_id=data["client_id"],
                    client_secret=data["client_secret"],
                    by=request.user,
                    **_rules(data),
                )
            else:
                provider = identity_provider_add_saml(
                    institution=institution,
                    name=data["name"],
                    metadata_url=data["metadata_url"],
                    metadata_xml=data["metadata_xml"],
                    by=request.user,
                    **_rules(data),
                )
        except AccountError as error:
            form.add_error(_field_for(error, form), error.translated)
        else:
            messages.success(
                request,
                gettext("%(name)s added. Give its administrator the details below.")
                % {"name": provider.app.name},
            )
            return redirect("identity_provider", institution.pk, provider.pk)
    forms = {"oidc_form": form} if kind == "oidc" else {"saml_form": form}
    return authentication_page_render(request, institution, status=400, **forms)


@require_http_methods(["GET", "POST"])
@login_required
def identity_provider_page(request, institution_id: int, auth_provider_id: int):
    """One provider: what its own administrator needs from the portal, and its settings here."""
    provider = get_identity_provider_for_user(request.user, institution_id, auth_provider_id)
    initial = {
        "match_by": provider.match_by,
        "sis_id_claim": provider.sis_id_claim,
        "create_accounts": provider.create_accounts,
        "is_default": provider.is_default,
    }
    form = ProviderSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            identity_provider_update(
                provider=provider,
                is_default=form.cleaned_data["is_default"],
                by=request.user,
                **_rules(form.cleaned_data),
            )
        except AccountError as error:
            form.add_error(_field_for(error, form), error.translated)
        else:
            messages.success(request, gettext("Provider settings saved."))
            return redirect("identity_provider", provider.institution_id, provider.pk)
    return render(
        request,
        "accounts/identity_provider.html",
        {
            "institution": provider.institution,
            "provider": provider,
            "details": service_provider_details(request, provider),
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@require_POST
@login_required
def identity_provider_delete(request, institution_id: int, auth_provider_id: int):
    provider = get_identity_provider_for_user(request.user, institution_id, auth_provider_id)
    name = provider.app.name
    identity_provider_remove(provider=provider, by=request.user)
    messages.success(
        request,
        gettext("%(name)s removed: nobody signs in through it any more.") % {"name": name},
    )
    return redirect("institution_authentication", institution_id)


@require_GET
def sign_in_cancelled(request):
    """Where allauth sends someone who cancelled at the provider (its name for this page)."""
    return render(request, "accounts/sso_refused.html", {"reason": "cancelled"})
