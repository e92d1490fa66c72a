from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views
from accounts.forms import PasswordResetRequestForm

urlpatterns = [
    path("login", views.LoginView.as_view(), name="login"),
    path("privacy", views.privacy, name="privacy"),
    path("register/teacher", views.teacher_sign_up_page, name="teacher_sign_up"),
    path("logout", views.LogoutView.as_view(), name="logout"),
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
