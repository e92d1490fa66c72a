from allauth.urls import build_provider_urlpatterns
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

handler400 = "pairing_portal.handlers.bad_request"
handler403 = "pairing_portal.handlers.forbidden"
handler404 = "pairing_portal.handlers.not_found"
handler500 = "pairing_portal.handlers.server_error"

urlpatterns = [
    path("api/v1/", include("api.urls")),
    path("", include("pairing.urls")),
    path("", include("accounts.urls")),
    path("", include("courses.urls")),
    path("", include("rostering.urls")),
    # Single sign-on: allauth's provider flows only (accounts/oidc/<id>/login/,
    # accounts/saml/<slug>/acs/, ...), never its own account pages; accounts.sso decides who.
    path("accounts/", include(build_provider_urlpatterns())),
    path("profile", RedirectView.as_view(pattern_name="profile_settings")),
    # The language switcher on every page posts to set_language here (no language in the paths).
    path("i18n/", include("django.conf.urls.i18n")),
    path("django-admin/", admin.site.urls),
]
