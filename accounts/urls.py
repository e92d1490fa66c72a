from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views, views_login, views_sign_in, views_sso
from accounts.forms import PasswordResetRequestForm

urlpatterns = [
    path("login", views_login.LoginView.as_view(), name="login"),
    path("privacy", views.privacy, name="privacy"),
    path("register/teacher", views.teacher_sign_up_page, name="teacher_sign_up"),
    path("logout", views_login.LogoutView.as_view(), name="logout"),
    path(
        "password/reset",
        auth_views.PasswordResetView.as_view(form_class=PasswordResetRequestForm),
        name="password_reset",
    ),
    path(
        "password/reset/sent",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("password/change", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/change/done",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("invitation/<str:token>", views_sign_in.invitation_accept_page, name="invitation_accept"),
    # allauth's name for where it sends someone who cancelled at their identity provider.
    path("sso/cancelled", views_sso.sign_in_cancelled, name="socialaccount_login_cancelled"),
    path("institutions", views_sign_in.operator_institutions, name="operator_institutions"),
    path("profile/tokens", views.api_token_new, name="api_token_new"),
    path("users/<int:user_id>/act_as", views.act_as_begin, name="act_as_begin"),
    path("act_as/stop", views.act_as_end, name="act_as_end"),
    path(
        "profile/tokens/<int:token_id>/revoke",
        views.api_token_revoke_page,
        name="api_token_revoke",
    ),
    path("accounts/<int:institution_id>", views.institution_admin, name="institution_admin"),
    path(
        "accounts/<int:institution_id>/authentication",
        views.institution_authentication,
        name="institution_authentication",
    ),
    path(
        "accounts/<int:institution_id>/auth_providers/oidc",
        views_sso.identity_provider_add,
        {"kind": "oidc"},
        name="identity_provider_add_oidc",
    ),
    path(
        "accounts/<int:institution_id>/auth_providers/saml",
        views_sso.identity_provider_add,
        {"kind": "saml"},
        name="identity_provider_add_saml",
    ),
    path(
        "accounts/<int:institution_id>/auth_providers/<int:auth_provider_id>",
        views_sso.identity_provider_page,
        name="identity_provider",
    ),
    path(
        "accounts/<int:institution_id>/auth_providers/<int:auth_provider_id>/delete",
        views_sso.identity_provider_delete,
        name="identity_provider_delete",
    ),
    path(
        "accounts/<int:institution_id>/users/<int:user_id>/invitation",
        views_sign_in.institution_user_invite,
        name="institution_user_invite",
    ),
    path(
        "accounts/<int:institution_id>/invitations",
        views_sign_in.institution_invitations,
        name="institution_invitations",
    ),
    path(
        "accounts/<int:institution_id>/invitations/<int:batch_id>",
        views_sign_in.invitation_batch,
        name="invitation_batch",
    ),
    path(
        "accounts/<int:institution_id>/invitations/<int:batch_id>.json",
        views_sign_in.invitation_batch_status,
        name="invitation_batch_status",
    ),
    path(
        "accounts/<int:institution_id>/pairing_settings",
        views.institution_pairing_settings,
        name="institution_pairing_settings",
    ),
    path(
        "accounts/<int:institution_id>/audit_retention",
        views.institution_audit_retention,
        name="institution_audit_retention",
    ),
    path("accounts/<int:institution_id>/audit", views.institution_audit, name="institution_audit"),
    path(
        "accounts/<int:institution_id>/branding",
        views.institution_branding,
        name="institution_branding",
    ),
    path("institutions/<int:institution_id>/logo", views.institution_logo, name="institution_logo"),
    path(
        "institutions/<int:institution_id>/brand.css",
        views.institution_brand_css,
        name="institution_brand_css",
    ),
    path(
        "accounts/<int:institution_id>/permissions",
        views.institution_permissions,
        name="institution_permissions",
    ),
]
