from django.urls import path

from pairing.views import (
    codes,
    exports,
    home,
    institution_users,
    links,
    people,
    personal_data,
    sign_up,
)

urlpatterns = [
    path(
        "accounts/<int:institution_id>/users",
        institution_users.institution_users,
        name="institution_users",
    ),
    path(
        "accounts/<int:institution_id>/users/invitations",
        institution_users.institution_users_invite,
        name="institution_users_invite",
    ),
    path(
        "accounts/<int:institution_id>/users/<int:user_id>",
        institution_users.institution_user,
        name="institution_user",
    ),
    path(
        "accounts/<int:institution_id>/users/<int:user_id>/personal_data",
        personal_data.institution_user_data,
        name="institution_user_data",
    ),
    path(
        "accounts/<int:institution_id>/users/<int:user_id>/delete",
        personal_data.institution_user_delete,
        name="institution_user_delete",
    ),
    path(
        "accounts/<int:institution_id>/users/<int:user_id>/observees",
        links.institution_user_link,
        {"direction": "observees"},
        name="institution_user_add_observee",
    ),
    path(
        "accounts/<int:institution_id>/users/<int:user_id>/observers",
        links.institution_user_link,
        {"direction": "observers"},
        name="institution_user_add_observer",
    ),
    path(
        "accounts/<int:institution_id>/links/<int:link_id>/remove",
        links.institution_link_remove,
        name="institution_link_remove",
    ),
    path("", home.home, name="home"),
    path("profile/settings", home.profile_settings, name="profile_settings"),
    path("profile/pairing_code", codes.profile_pairing_code, name="profile_pairing_code"),
    path("profile/observees", links.observees, name="observees"),
    path("profile/observees/<int:link_id>/remove", links.observee_remove, name="observee_remove"),
    path("register/observer", sign_up.observer_sign_up_page, name="observer_sign_up"),
    path("courses/<int:course_id>/users", people.course_people, name="course_people"),
    path(
        "courses/<int:course_id>/users/<int:user_id>",
        people.course_user_details,
        name="course_user_details",
    ),
    path(
        "courses/<int:course_id>/users/<int:user_id>/pairing_code",
        codes.course_user_pairing_code,
        name="course_user_pairing_code",
    ),
    path(
        "courses/<int:course_id>/users/<int:user_id>/observers",
        people.course_observer_add_page,
        name="course_observer_add",
    ),
    path(
        "courses/<int:course_id>/enrollments/<int:enrollment_id>/remove",
        people.course_observer_remove_page,
        name="course_observer_remove",
    ),
    path(
        "courses/<int:course_id>/observer_pairing_codes.csv",
        codes.course_pairing_codes_csv,
        name="course_pairing_codes_csv",
    ),
    path(
        "courses/<int:course_id>/pairing_letters",
        codes.course_pairing_letters,
        name="course_pairing_letters",
    ),
    path(
        "profile/pairing_codes/revoke",
        codes.profile_pairing_codes_revoke,
        name="profile_pairing_codes_revoke",
    ),
    path(
        "courses/<int:course_id>/users/<int:user_id>/pairing_codes/revoke",
        codes.course_user_pairing_codes_revoke,
        name="course_user_pairing_codes_revoke",
    ),
    path(
        "accounts/<int:institution_id>/users/<int:user_id>/pairing_codes/revoke",
        codes.institution_user_pairing_codes_revoke,
        name="institution_user_pairing_codes_revoke",
    ),
    path(
        "accounts/<int:institution_id>/users/<int:user_id>/observers/clear",
        links.institution_user_observers_clear,
        name="institution_user_observers_clear",
    ),
    path(
        "profile/observers/<int:link_id>/remove",
        links.profile_observer_remove,
        name="profile_observer_remove",
    ),
    path(
        "accounts/<int:institution_id>/pairing_exports",
        exports.code_exports,
        name="code_exports",
    ),
    path(
        "accounts/<int:institution_id>/pairing_exports/<int:export_id>",
        exports.code_export,
        name="code_export",
    ),
    path(
        "accounts/<int:institution_id>/pairing_exports/<int:export_id>.json",
        exports.code_export_status,
        name="code_export_status",
    ),
    path(
        "accounts/<int:institution_id>/pairing_exports/<int:export_id>/download",
        exports.code_export_download,
        name="code_export_download",
    ),
]
