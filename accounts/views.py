from datetime import UTC, datetime, time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import get_api_token_for_user, get_institution_for_user
from accounts.errors import AccountError, AttemptsPaused, LowContrast
from accounts.forms import (
    ApiTokenForm,
    AuditFilterForm,
    AuditRetentionForm,
    BrandingForm,
    PairingSettingsForm,
    PermissionsForm,
    SelfRegistrationForm,
    SignUpForm,
)
from accounts.forms_sign_in import OidcProviderForm, SamlProviderForm
from accounts.middleware import SESSION_KEY as ACT_AS_SESSION_KEY
from accounts.middleware import client_address
from accounts.models import Institution, SelfRegistration, User
from accounts.permissions import permission_table
from accounts.roles import PERMISSION_RULES, Role
from accounts.selectors import audit_events, identity_providers_of, institution_for_host
from accounts.services import (
    act_as_start,
    act_as_stop,
    api_token_create,
    api_token_revoke,
    institution_audit_retention_set,
    institution_branding_set,
    institution_pairing_settings_set,
    institution_self_registration_set,
    role_permission_set,
    sign_up_open_to_everyone,
    teacher_sign_up,
)
from accounts.services.branding import LOGO_FORMATS
from accounts.throttle import wait_in_words


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


@require_http_methods(["GET", "POST"])
def teacher_sign_up_page(request):
    """Teachers make their own account while the school allows all account types."""
    if request.user.is_authenticated:
        return redirect("home")
    institution = institution_for_host(request.get_host())
    if not sign_up_open_to_everyone(institution):
        return render(request, "pairing/sign_up_disabled.html", {"for_everyone": True}, status=403)
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            teacher = teacher_sign_up(
                institution=institution,
                name=data["name"],
                email=data["email"],
                password=data["password"],
            )
        except AttemptsPaused as paused:
            form.add_error(None, gettext(paused.message) % {"wait": wait_in_words(paused.until)})
        except AccountError as error:
            form.add_error(
                "email" if error.message == AccountError.EMAIL_TAKEN else "name", error.translated
            )
        else:
            login(request, teacher, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                gettext(
                    "Welcome! Your account is ready. The school office adds you to your courses."
                ),
            )
            return redirect("home")
    if form.errors:
        form.ask_for_passwords_again()
    return render(
        request, "accounts/teacher_sign_up.html", {"form": form, "institution": institution}
    )


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


LOGO_CONTENT_TYPES = frozenset(LOGO_FORMATS.values())

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


@require_http_methods(["GET", "POST"])
@login_required
def institution_branding(request, institution_id: int):
    """Branding: the school's display name, logo and colour, on every page, e-mail and letter."""
    institution = get_institution_for_user(request.user, institution_id, write=True)
    form = BrandingForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        initial={
            "display_name": institution.display_name,
            "brand_color": institution.brand_color,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            institution_branding_set(
                institution=institution,
                display_name=data["display_name"],
                brand_color=data["brand_color"],
                logo=data["logo"],
                remove_logo=data["remove_logo"],
                by=request.user,
            )
        except LowContrast as error:
            form.add_error("brand_color", error.translated)
        except AccountError as error:
            form.add_error(_BRANDING_FIELDS.get(error.message, "logo"), error.translated)
        else:
            messages.success(request, gettext("Branding saved."))
            return redirect("institution_branding", institution.pk)
    return render(
        request,
        "accounts/branding.html",
        {"institution": institution, "form": form},
        status=400 if form.errors else 200,
    )


_BRANDING_FIELDS = {
    AccountError.DISPLAY_NAME_TOO_LONG: "display_name",
    AccountError.BRAND_COLOR_INVALID: "brand_color",
}
# A logo or colour changes its address (?v=…) when it changes: a year of caching is safe.
BRANDING_CACHE = "public, max-age=31536000, immutable"


@require_GET
def institution_logo(request, institution_id: int):
    """The school's logo, for everyone (the log-in page shows it): served with the content type
    its check found when it was uploaded, never one guessed from the file."""
    institution = get_object_or_404(Institution, pk=institution_id)
    if not institution.logo or institution.logo_content_type not in LOGO_CONTENT_TYPES:
        raise Http404("No logo.")
    try:
        response = FileResponse(
            institution.logo.open("rb"), content_type=institution.logo_content_type
        )
    except FileNotFoundError:
        raise Http404("No logo.") from None
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = BRANDING_CACHE
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Content-Disposition"] = "inline"
    return response


@require_GET
def institution_brand_css(request, institution_id: int):
    """The school's colour as CSS custom properties (a stylesheet, since the CSP refuses inline
    styles). The colour was checked for contrast with white text when it was saved."""
    institution = get_object_or_404(Institution, pk=institution_id)
    if not institution.brand_color:
        raise Http404("No brand colour.")
    colour = institution.brand_color  # #rrggbb: the database's constraint holds it
    response = HttpResponse(
        f":root {{ --brand: {colour}; --brand-strong: {colour}; --on-brand: #fff; }}\n",
        content_type="text/css; charset=utf-8",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = BRANDING_CACHE
    return response


@require_GET
@login_required
def institution_admin(request, institution_id: int):
    """Admin: the institution's admin pages at a glance (the global navigation's "Admin")."""
    institution = get_institution_for_user(request.user, institution_id, write=True)
    return render(request, "accounts/institution_admin.html", {"institution": institution})
