"""/api/v1 routes, without trailing slashes: canvasapi never sends one, and a redirect loses a POST."""

from django.urls import path, register_converter
from drf_spectacular.views import SpectacularJSONAPIView

from api import views_accounts as accounts
from api import views_courses as courses
from api import views_users as users
from pairing_portal.middleware import accepts_bodies_up_to
from rostering.sis_csv import MAX_FILE_BYTES


class UserRef:
    """A user as Canvas names one in a path: ``self``, an id, or ``sis_user_id:`` and an SIS id
    (resolved within the caller's institution by api.access)."""

    regex = r"self|[0-9]+|sis_user_id:[^/]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)


class CourseRef(UserRef):
    """An id, or ``sis_course_id:`` and an SIS id."""

    regex = r"[0-9]+|sis_course_id:[^/]+"


class AccountRef(UserRef):
    """An institution (Canvas's root account): an id, or ``self``, the caller's own."""

    regex = r"self|[0-9]+"


register_converter(UserRef, "user")
register_converter(CourseRef, "course")
register_converter(AccountRef, "account")


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
        "users/<user:user_ref>/observees/<user:observee_id>",
        users.ObserveeView.as_view(),
        name="api_observee",
    ),
    path("users/<user:user_ref>/observers", users.ObserversView.as_view(), name="api_observers"),
    path(
        "users/<user:user_ref>/observers/<user:observer_id>",
        users.ObserverView.as_view(),
        name="api_observer",
    ),
    path("users/<user:user_ref>/courses", users.UserCoursesView.as_view(), name="api_user_courses"),
    path(
        "users/<user:user_ref>/enrollments",
        users.UserEnrollmentsView.as_view(),
        name="api_user_enrollments",
    ),
    path("accounts/<account:account_id>", accounts.AccountView.as_view(), name="api_account"),
    path(
        "accounts/<account:account_id>/users",
        users.AccountUsersView.as_view(),
        name="api_account_users",
    ),
    path(
        "accounts/<account:account_id>/sis_imports",
        # The upload's own cap (the SIS Import page's): the whole body is refused above it.
        accepts_bodies_up_to(MAX_FILE_BYTES + 1024 * 1024)(accounts.SisImportsView.as_view()),
        name="api_sis_imports",
    ),
    path(
        "accounts/<account:account_id>/sis_imports/<int:import_id>",
        accounts.SisImportView.as_view(),
        name="api_sis_import",
    ),
    path("courses", users.CurrentUserCoursesView.as_view(), name="api_courses"),
    path("courses/<course:course_id>", courses.CourseView.as_view(), name="api_course"),
    path(
        "courses/<course:course_id>/search_users",
        courses.CourseUsersView.as_view(),
        name="api_course_search_users",
    ),
    path(
        "courses/<course:course_id>/users",
        courses.CourseUsersView.as_view(),
        name="api_course_users",
    ),
    path(
        "courses/<course:course_id>/users/<user:user_id>",
        courses.CourseUserView.as_view(),
        name="api_course_user",
    ),
    path(
        "courses/<course:course_id>/enrollments",
        courses.CourseEnrollmentsView.as_view(),
        name="api_course_enrollments",
    ),
    path(
        "courses/<course:course_id>/enrollments/<int:enrollment_id>",
        courses.CourseEnrollmentView.as_view(),
        name="api_course_enrollment",
    ),
]
