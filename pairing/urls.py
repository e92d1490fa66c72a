from django.urls import path

from pairing import views, views_admin, views_codes, views_exports, views_links

urlpatterns = [
    path(
        "accounts/<int:institution_id>/users",
        views_admin.institution_users,
        name="institution_users",
    ),
    path(
        "accounts/<int:institution_id>/users/<int:user_id>",
        views_admin.institution_user,
        name="institution_user",
    ),
    path(
        "accounts/<int:institution_id>/users/<int:user_id>/observees",
        views_admin.institution_user_link,
        {"direction": "observees"},
        name="institution_user_add_observee",
    ),
    path(
        "accounts/<int:institution_id>/users/<int:user_id>/observers",
        views_admin.institution_user_link,
        {"direction": "observers"},
        name="institution_user_add_observer",
    ),
    path(
        "accounts/<int:institution_id>/links/<int:link_id>/remove",
        views_admin.institution_link_remove,
        name="institution_link_remove",
    ),
    path("", views.home, name="home"),
    path("profile/settings", views.profile_settings, name="profile_settings"),
    path("profile/pairing_code", views.profile_pairing_code, name="profile_pairing_code"),
    path("profile/observees", views.observees, name="observees"),
    path("profile/observees/<int:link_id>/remove", views.observee_remove, name="observee_remove"),
    path("register/observer", views.observer_sign_up_page, name="observer_sign_up"),
    path("courses/<int:course_id>/users", views.course_people, name="course_people"),
    path(
        "courses/<int:course_id>/users/<int:user_id>",
        views.course_user_details,
        name="course_user_details",
    ),
    path(
        "courses/<int:course_id>/users/<int:user_id>/pairing_code",
        views.course_user_pairing_code,
        name="course_user_pairing_code",
    ),
    path(
        "courses/<int:course_id>/users/<int:user_id>/observers",
        views.course_observer_add_page,
        name="course_observer_add",
    ),
    path(
        "courses/<int:course_id>/enrollments/<int:enrollment_id>/remove",
        views.course_observer_remove_page,
        name="course_observer_remove",
    ),
    path(
        "courses/<int:course_id>/observer_pairing_codes.csv",
        views.course_pairing_codes_csv,
        name="course_pairing_codes_csv",
    ),
    path(
        "courses/<int:course_id>/pairing_letters",
        views_codes.course_pairing_letters,
        name="course_pairing_letters",
    ),
    path(
        "profile/pairing_codes/revoke",
        views_codes.profile_pairing_codes_revoke,
        name="profile_pairing_codes_revoke",
    ),
    path(
        "courses/<int:course_id>/users/<int:user_id>/pairing_codes/revoke",
        views_codes.course_user_pairing_codes_revoke,
        name="course_user_pairing_codes_revoke",
    ),
    path(
        "accounts/<int:institution_id>/users/<int:user_id>/pairing_codes/revoke",
        views_codes.institution_user_pairing_codes_revoke,
        name="institution_user_pairing_codes_revoke",
    ),
    path(
        "accounts/<int:institution_id>/users/<int:user_id>/observers/clear",
        views_links.institution_user_observers_clear,
        name="institution_user_observers_clear",
    ),
    path(
        "profile/observers/<int:link_id>/remove",
        views_links.profile_observer_remove,
        name="profile_observer_remove",
    ),
    path(
        "accounts/<int:institution_id>/pairing_exports",
        views_exports.code_exports,
        name="code_exports",
    ),
    path(
        "accounts/<int:institution_id>/pairing_exports/<int:export_id>",
        views_exports.code_export,
        name="code_export",
    ),
    path(
        "accounts/<int:institution_id>/pairing_exports/<int:export_id>.json",
        views_exports.code_export_status,
        name="code_export_status",
    ),
    path(
        "accounts/<int:institution_id>/pairing_exports/<int:export_id>/download",
        views_exports.code_export_download,
        name="code_export_download",
    ),
]
