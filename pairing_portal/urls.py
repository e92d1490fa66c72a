from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", include("pairing.urls")),
    path("", include("accounts.urls")),
    path("", include("courses.urls")),
    path("profile", RedirectView.as_view(pattern_name="profile_settings")),
    path("django-admin/", admin.site.urls),
]
