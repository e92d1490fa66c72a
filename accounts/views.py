from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.access import get_institution_for_user
from accounts.forms import PermissionsForm, SelfRegistrationForm
from accounts.models import SelfRegistration
from accounts.permissions import permission_table
from accounts.roles import PERMISSION_RULES, Role
from accounts.selectors import institution_for_host
from accounts.services import institution_self_registration_set, role_permission_set


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        institution = institution_for_host(self.request.get_host())
        context["sign_up_open"] = (
            institution is not None and institution.self_registration != SelfRegistration.NONE
        )
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
        messages.success(request, "Authentication settings saved.")
        return redirect("institution_authentication", institution.pk)
    return render(
        request, "accounts/authentication.html", {"institution": institution, "form": form}
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
        messages.success(request, "Permissions saved.")
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
