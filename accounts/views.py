from datetime import UTC, datetime, time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import get_api_token_for_user, get_institution_for_user
from accounts.errors import AccountError
from accounts.forms import (
    ApiTokenForm,
    AuditFilterForm,
    AuditRetentionForm,
    LoginForm,
    PairingSettingsForm,
    PermissionsForm,
    SelfRegistrationForm,
)
from accounts.forms_sign_in import OidcProviderForm, SamlProviderForm
from accounts.middleware import SESSION_KEY as ACT_AS_SESSION_KEY
from accounts.middleware import client_address
from accounts.models import SelfRegistration, User
from accounts.permissions import permission_table
from accounts.roles import PERMISSION_RULES, Role
from accounts.selectors import audit_events, identity_providers_of, institution_for_host
from accounts.services import (
    act_as_start,
    act_as_stop,
    api_token_create,
    api_token_revoke,
    institution_audit_retention_set,
    institution_pairing_settings_set,
    institution_self_registration_set,
    role_permission_set,
)
from accounts.sso import content_security_policy, providers_for_host


@require_GET
def privacy(request):
    """What the portal keeps about people and for how long: public, for parents to read first.

    The audit trail's retention is the institution's own (Authentication → Data retention): the
    reader's, or else the one this host belongs to."""
    institution = (
        request.user.institution
        if request.user.is_authenticated
        else institution_for_host(request.get_host())
    )
    return render(
        request,
        "accounts/privacy.html",
        {
            "session_days": settings.SESSION_COOKIE_AGE // 86400,
            "audit_years": institution.audit_retention_years if institution else None,
        },
    )


class LogoutView(auth_views.LogoutView):
    """Logging out while acting as someone also ends (and records the end of) the acting."""

    def post(self, request, *args, **kwargs):
        if getattr(request, "act_as", None) is not None:
            act_as_stop(session=request.act_as)
        return super().post(request, *args, **kwargs)


class LoginView(auth_views.LoginView):
    """The log-in page, and the institution's discovery page: "Sign in with" each identity
    provider of the institution whose host this is, and the password form (parents keep local
    accounts). With a default provider, a visit goes straight to it; ?local=1 shows the page."""

    redirect_authenticated_user = True
    authentication_form = LoginForm

    def dispatch(self, request, *args, **kwargs):
        self.providers = providers_for_host(request)
        response = super().dispatch(request, *args, **kwargs)
        response.headers["Content-Security-Policy"] = content_security_policy(self.providers)
        return response

    def get(self, request, *args, **kwargs):
        default = next((provider for provider in self.providers if provider.is_default), None)
        if default is not None and not request.GET.get("local"):
            # Starts allauth's sign-in (its state kept in this session) without its own page.
            return default.app.get_provider(request).redirect_from_request(request)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        institution = institution_for_host(self.request.get_host())
        context["sign_up_open"] = (
            institution is not None and institution.self_registration != SelfRegistration.NONE
        )
        context["identity_providers"] = [
            (provider.app.name, provider.app.get_provider(self.request).get_login_url(self.request))
            for provider in self.providers
        ]
        return context


@require_http_methods(["GET", "POST"])
@login_required
def institution_authentication(request, institution_id: int):
    institution = get_institution_for_user(request.user, institution_id, write=True)
    form = SelfRegistrationForm(
        request.POST or None, initial={"self_registration": institution.self_registration}
    )
    if request.method == "POST" and form.is_valid():
        institution_self_registration_set(
            institution=institution,
            value=SelfRegistration(form.cleaned_data["self_registration"]),
            by=request.user,
        )
        messages.success(request, gettext("Authentication settings saved."))
        return redirect("institution_authentication", institution.pk)
    return authentication_page_render(request, institution, form=form)


@require_POST
@login_required
def institution_pairing_settings(request, institution_id: int):
    """Authentication → Pairing codes: their lifetime, and whether students may remove observers."""
    institution = get_institution_for_user(request.user, institution_id, write=True)
    pairing_form = PairingSettingsForm(request.POST)
    if pairing_form.is_valid():
        try:
            institution_pairing_settings_set(
                institution=institution, by=request.user, **pairing_form.cleaned_data
            )
        except AccountError as error:
            pairing_form.add_error("code_lifetime_days", error.translated)
        else:
            messages.success(request, gettext("Pairing settings saved."))
            return redirect("institution_authentication", institution.pk)
    return authentication_page_render(request, institution, pairing_form=pairing_form)


@require_POST
@login_required
def institution_audit_retention(request, institution_id: int):
    """Authentication → Data retention: how long the audit trail keeps its entries."""
    institution = get_institution_for_user(request.user, institution_id, write=True)
    retention_form = AuditRetentionForm(request.POST)
    if retention_form.is_valid():
        try:
            institution_audit_retention_set(
                institution=institution,
                years=retention_form.cleaned_data["audit_retention_years"],
                by=request.user,
            )
        except AccountError as error:
            retention_form.add_error("audit_retention_years", error.translated)
        else:
            messages.success(request, gettext("Data retention saved."))
            return redirect("institution_authentication", institution.pk)
    return authentication_page_render(request, institution, retention_form=retention_form)


def authentication_page_render(
    request,
    institution,
    *,
    form=None,
    pairing_form=None,
    retention_form=None,
    oidc_form=None,
    saml_form=None,
    status=200,
):
    """The Authentication page: self-registration, identity providers, pairing codes and data
    retention, each with its own form (a form with errors is shown as it was sent)."""
    return render(
        request,
        "accounts/authentication.html",
        {
            "institution": institution,
            "form": form
            or SelfRegistrationForm(initial={"self_registration": institution.self_registration}),
            "pairing_form": pairing_form
            or PairingSettingsForm(
                initial={
                    "code_lifetime_days": institution.pairing_code_lifetime_days,
                    "students_may_remove_observers": institution.students_may_remove_observers,
                }
            ),
            "retention_form": retention_form
            or AuditRetentionForm(
                initial={"audit_retention_years": institution.audit_retention_years or ""}
            ),
            "providers": identity_providers_of(institution=institution),
            "oidc_form": oidc_form or OidcProviderForm(prefix="oidc"),
            "saml_form": saml_form or SamlProviderForm(prefix="saml"),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def institution_permissions(request, institution_id: int):
    institution = get_institution_for_user(request.user, institution_id, write=True)
    table = permission_table(institution_id=institution.pk)
    form = PermissionsForm(request.POST or None, table=table)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            for permission, role, enabled in form.choices():
                if table[(role, permission)] != enabled:
                    role_permission_set(
                        institution=institution,
                        role=role,
                        permission=permission,
                        enabled=enabled,
                        by=request.user,
                    )
        messages.success(request, gettext("Permissions saved."))
        return redirect("institution_permissions", institution.pk)
    rows = [
        (
            permission,
            [
                (role, form[PermissionsForm.field_name(permission, role)])
                if role in rule.configurable_roles
                else (role, None)
                for role in Role
            ],
        )
        for permission, rule in PERMISSION_RULES.items()
    ]
    return render(
        request,
        "accounts/permissions.html",
        {
            "institution": institution,
            "form": form,
            "roles": list(Role),
            "rows": rows,
            "table": table,
        },
    )


NO_TOKENS_WHILE_ACTING = _("Access tokens cannot be made or revoked while acting as someone else.")


@require_POST
@login_required
@never_cache
def api_token_new(request):
    """Approved Integrations → New Access Token: the token is shown on this response only."""
    if request.act_as is not None:
        # A token would outlive the acting, and let the admin be that person at will.
        raise PermissionDenied(NO_TOKENS_WHILE_ACTING)
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        expires_on = form.cleaned_data["expires_on"]
        expires_at = datetime.combine(expires_on, time.min, tzinfo=UTC) if expires_on else None
        try:
            issued = api_token_create(
                user=request.user, purpose=form.cleaned_data["purpose"], expires_at=expires_at
            )
        except AccountError as error:
            field = (
                "expires_on" if error.message == AccountError.TOKEN_EXPIRY_IN_PAST else "purpose"
            )
            form.add_error(field, error.translated)
        else:
            return render(request, "accounts/api_token_created.html", {"issued": issued})
    return render(request, "accounts/api_token_form.html", {"form": form}, status=400)


@require_POST
@login_required
def api_token_revoke_page(request, token_id: int):
    if request.act_as is not None:
        raise PermissionDenied(NO_TOKENS_WHILE_ACTING)
    token = get_api_token_for_user(request.user, token_id)
    api_token_revoke(token=token, by=request.user)
    messages.success(
        request,
        gettext("The token for “%(purpose)s” no longer works.") % {"purpose": token.purpose},
    )
    return redirect("profile_settings")


@require_POST
@login_required
def act_as_begin(request, user_id: int):
    """Start seeing the portal as another user of the institution (needs act_as_user)."""
    actor = request.real_user
    if request.act_as is not None:
        messages.error(
            request, gettext("Stop acting as %(name)s first.") % {"name": request.user.name}
        )
        return redirect("home")
    subject = User.objects.filter(pk=user_id, institution_id=actor.institution_id).first()
    if subject is None:
        raise Http404("No such user.")
    try:
        session = act_as_start(actor=actor, subject=subject, client_address=client_address(request))
    except AccountError as error:
        raise PermissionDenied(error.translated) from None
    request.session[ACT_AS_SESSION_KEY] = session.pk
    messages.info(request, gettext("You are now acting as %(name)s.") % {"name": subject.name})
    return redirect("home")


@require_POST
@login_required
def act_as_end(request):
    session = request.act_as
    if session is not None:
        act_as_stop(session=session)
        request.session.pop(ACT_AS_SESSION_KEY, None)
        messages.info(
            request,
            gettext("You stopped acting as %(name)s.") % {"name": session.subject.name},
        )
    return redirect("home")


AUDIT_PAGE_SIZE = 50


@require_GET
@login_required
def institution_audit(request, institution_id: int):
    """The audit trail, for the institution's admins to read and filter (nobody can edit it)."""
    institution = get_institution_for_user(request.user, institution_id, write=True)
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    events = audit_events(institution_id=institution.pk, **filters)
    page = Paginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/audit.html",
        {"institution": institution, "form": form, "page": page, "query": query.urlencode()},
    )
