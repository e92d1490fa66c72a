"""/api/v1 routes, without trailing slashes: canvasapi never sends one, and a redirect loses a POST."""

from django.urls import path, register_converter
from drf_spectacular.views import SpectacularJSONAPIView

from api import views_courses as courses
from api import views_users as users


class UserRef:
    regex = r"self|[0-9]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)


register_converter(UserRef, "user")


urlpatterns = [
    path(
        "openapi.json",
        SpectacularJSONAPIView.as_view(authentication_classes=[], permission_classes=[]),
        name="api_openapi",
    ),
    path("users/<user:user_ref>", users.UserView.as_view(), name="api_user"),
    path("users/<user:user_ref>/profile", users.UserProfileView.as_view(), name="api_user_profile"),
    path(
        "users/<user:user_ref>/observer_pairing_codes",
        users.PairingCodeCreateView.as_view(),
        name="api_pairing_codes",
    ),
    path("users/<user:user_ref>/observees", users.ObserveesView.as_view(), name="api_observees"),
    path(
        "users/<user:user_ref>/observees/<int:observee_id>",
        users.ObserveeView.as_view(),
        name="api_observee",
    ),
    path("users/<user:user_ref>/observers", users.ObserversView.as_view(), name="api_observers"),
    path(
        "users/<user:user_ref>/observers/<int:observer_id>",
        users.ObserverView.as_view(),
        name="api_observer",
    ),
    path("users/<user:user_ref>/courses", users.UserCoursesView.as_view(), name="api_user_courses"),
    path(
        "users/<user:user_ref>/enrollments",
        users.UserEnrollmentsView.as_view(),
        name="api_user_enrollments",
    ),
    path(
        "accounts/<int:account_id>/users",
        users.AccountUsersView.as_view(),
        name="api_account_users",
    ),
    path("courses", users.CurrentUserCoursesView.as_view(), name="api_courses"),
    path("courses/<int:course_id>", courses.CourseView.as_view(), name="api_course"),
    path(
        "courses/<int:course_id>/search_users",
        courses.CourseUsersView.as_view(),
        name="api_course_search_users",
    ),
    path(
        "courses/<int:course_id>/users", courses.CourseUsersView.as_view(), name="api_course_users"
    ),
    path(
        "courses/<int:course_id>/users/<int:user_id>",
        courses.CourseUserView.as_view(),
        name="api_course_user",
    ),
    path(
        "courses/<int:course_id>/enrollments",
        courses.CourseEnrollmentsView.as_view(),
        name="api_course_enrollments",
    ),
    path(
        "courses/<int:course_id>/enrollments/<int:enrollment_id>",
        courses.CourseEnrollmentView.as_view(),
        name="api_course_enrollment",
    ),
]
