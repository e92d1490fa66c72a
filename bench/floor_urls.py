"""The portal's URLs plus the framework floor's three routes (bench/floor_views.py), for `make
bench`'s server only (bench/floor_settings.py)."""

from django.urls import path

from bench.floor_views import FloorGenerateView, FloorRedeemView, floor_people
from pairing_portal.urls import *  # noqa: F403 - the portal's handlers and routes, unchanged
from pairing_portal.urls import urlpatterns as portal_urlpatterns

urlpatterns = [
    path("api/v1/floor/redeem", FloorRedeemView.as_view()),
    path("api/v1/floor/generate/<int:student_id>", FloorGenerateView.as_view()),
    path("floor/people/<int:course_id>", floor_people),
    *portal_urlpatterns,
]
