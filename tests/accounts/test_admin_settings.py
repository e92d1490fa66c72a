"""An admin's Authentication (self registration) and Permissions pages, and what they switch."""

import re

import pytest
from django.urls import reverse

from accounts.models import Institution, RolePermission, SelfRegistration
from accounts.permissions import permission_table, user_has_permission
from accounts.roles import PERMISSION_RULES, Permission, Role

SETTINGS_PAGES = ["institution_authentication", "institution_permissions"]
# What each page would change if it accepted the post: self registration off, every box unticked.
HOSTILE_POSTS = {"institution_authentication": {"self_registration": "none"}}


def page_url(name, institution):
    return reverse(name, args=[institution.pk])


def ticked_boxes(page: str) -> dict[str, bool]:
    """Every checkbox on the page, by name, and whether it is ticked."""
    return {
        match["name"]: " checked" in match[0]
        for match in re.finditer(r'<input type="checkbox" name="(?P<name>[^"]+)"[^>]*>', page)
    }


def post_permissions(client, institution, **boxes: bool):
    """Post the Permissions form as a browser would: the page's ticked boxes, with ``boxes`` changed."""
    page = client.get(page_url("institution_permissions", institution)).content.decode()
    ticked = {**ticked_boxes(page), **boxes}
    data = {name: "on" for name, on in ticked.items() if on}
    return client.post(page_url("institution_permissions", institution), data)


def box(permission: Permission, role: Role) -> str:
    return f"{permission.value}__{role.value}"


# --- Who may open them -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SETTINGS_PAGES)
def test_anonymous_visitors_are_sent_to_log_in(client, institution, name):
    for response in (
        client.get(page_url(name, institution)),
        client.post(page_url(name, institution), HOSTILE_POSTS.get(name, {})),
    ):
        assert response.status_code == 302
        assert response.url.startswith(reverse("login") + "?next=")
    institution.refresh_from_db()
    assert institution.self_registration == SelfRegistration.OBSERVER
    assert not RolePermission.objects.exists()


@pytest.mark.parametrize("name", SETTINGS_PAGES)
def test_a_teacher_of_the_institution_is_forbidden(client, institution, teacher, name):
    client.force_login(teacher)
    assert client.get(page_url(name, institution)).status_code == 403
    assert client.post(page_url(name, institution), HOSTILE_POSTS.get(name, {})).status_code == 403
    institution.refresh_from_db()
    assert institution.self_registration == SelfRegistration.OBSERVER
    assert not RolePermission.objects.exists()


@pytest.mark.parametrize("name", SETTINGS_PAGES)
def test_an_admin_of_another_institution_gets_not_found(client, institution, other_admin, name):
    client.force_login(other_admin)
    assert client.get(page_url(name, institution)).status_code == 404
    assert client.post(page_url(name, institution), HOSTILE_POSTS.get(name, {})).status_code == 404
    institution.refresh_from_db()
    assert institution.self_registration == SelfRegistration.OBSERVER
    assert not RolePermission.objects.exists()


@pytest.mark.parametrize("name", SETTINGS_PAGES)
def test_other_methods_are_not_allowed(client, institution, admin, name):
    client.force_login(admin)
    assert client.put(page_url(name, institution)).status_code == 405


# --- Authentication: self registration ------------------------------------------------------------


def test_an_admin_sees_the_current_self_registration_setting(client, institution, admin):
    client.force_login(admin)
    response = client.get(page_url("institution_authentication", institution))
    assert response.status_code == 200
    radios = re.findall(
        r'<input type="radio" name="self_registration" value="(\w+)"[^>]*>',
        response.content.decode(),
    )
    assert radios == ["none", "observer", "all"]
    checked = re.findall(
        r'<input type="radio" name="self_registration" value="(\w+)"[^>]*checked',
        response.content.decode(),
    )
    assert checked == ["observer"]


@pytest.mark.parametrize("value", [SelfRegistration.NONE, SelfRegistration.ALL])
def test_an_admin_changes_self_registration(client, institution, admin, value):
    client.force_login(admin)
    url = page_url("institution_authentication", institution)
    response = client.post(url, {"self_registration": value})
    assert response.status_code == 302
    assert response.url == url
    institution.refresh_from_db()
    assert institution.self_registration == value
    page = client.get(url)
    assert "Authentication settings saved." in page.content.decode()
    assert page.context["form"]["self_registration"].value() == value


def test_a_choice_that_does_not_exist_is_refused(client, institution, admin):
    client.force_login(admin)
    response = client.post(
        page_url("institution_authentication", institution), {"self_registration": "parents"}
    )
    assert response.status_code == 200
    assert "self_registration" in response.context["form"].errors
    assert Institution.objects.get(pk=institution.pk).self_registration == SelfRegistration.OBSERVER


def test_self_registration_off_takes_pairing_away_from_students_and_on_gives_it_back(
    client, institution, admin, student
):
    settings_url = reverse("profile_settings")
    client.force_login(student)
    assert ">Pair with Observer</button>" in client.get(settings_url).content.decode()

    client.force_login(admin)
    client.post(page_url("institution_authentication", institution), {"self_registration": "none"})
    client.force_login(student)
    assert ">Pair with Observer</button>" not in client.get(settings_url).content.decode()
    assert client.post(reverse("profile_pairing_code"), follow=True).status_code == 403
    assert not student.pairing_codes.exists()

    client.force_login(admin)
    client.post(page_url("institution_authentication", institution), {"self_registration": "all"})
    client.force_login(student)
    assert ">Pair with Observer</button>" in client.get(settings_url).content.decode()
    assert client.post(reverse("profile_pairing_code"), follow=True).status_code == 200
    assert student.pairing_codes.count() == 1


# --- Permissions ---------------------------------------------------------------------------------


def test_the_permissions_page_has_a_box_for_each_switchable_pair_ticked_as_the_defaults(
    client, institution, admin
):
    client.force_login(admin)
    response = client.get(page_url("institution_permissions", institution))
    assert response.status_code == 200
    expected = {
        box(permission, role): role in rule.default_roles
        for permission, rule in PERMISSION_RULES.items()
        for role in rule.configurable_roles
    }
    assert ticked_boxes(response.content.decode()) == expected
    assert "StudentEnrollment" not in "".join(expected)


def test_posting_the_form_unchanged_stores_nothing(client, institution, admin):
    client.force_login(admin)
    response = post_permissions(client, institution)
    assert response.status_code == 302
    assert response.url == page_url("institution_permissions", institution)
    assert not RolePermission.objects.exists()
    assert "Permissions saved." in client.get(response.url).content.decode()


def test_an_admin_lets_teachers_make_pairing_codes_and_only_that_change_is_stored(
    client, course, institution, admin, teacher
):
    permission = Permission.GENERATE_OBSERVER_PAIRING_CODE
    client.force_login(admin)

    post_permissions(client, institution, **{box(permission, Role.TEACHER): True})

    row = RolePermission.objects.get()
    assert (row.institution, row.role, row.permission, row.enabled, row.updated_by) == (
        institution,
        Role.TEACHER,
        permission,
        True,
        admin,
    )
    assert permission_table(institution_id=institution.pk)[(Role.TEACHER, permission)]
    assert user_has_permission(teacher, permission, course=course)
    page = client.get(page_url("institution_permissions", institution)).content.decode()
    assert ticked_boxes(page)[box(permission, Role.TEACHER)]


def test_posting_the_whole_form_saves_every_change_and_an_unticked_box_is_off(
    client, course, institution, admin, teacher
):
    client.force_login(admin)
    post_permissions(
        client,
        institution,
        **{
            box(Permission.GENERATE_OBSERVER_PAIRING_CODE, Role.TA): True,
            box(Permission.ADD_OBSERVER_TO_COURSE, Role.TEACHER): False,
            box(Permission.REMOVE_OBSERVER_FROM_COURSE, Role.DESIGNER): False,
        },
    )
    table = permission_table(institution_id=institution.pk)
    assert table[(Role.TA, Permission.GENERATE_OBSERVER_PAIRING_CODE)]
    assert not table[(Role.TEACHER, Permission.ADD_OBSERVER_TO_COURSE)]
    assert not table[(Role.DESIGNER, Permission.REMOVE_OBSERVER_FROM_COURSE)]
    assert RolePermission.objects.count() == 3
    assert not user_has_permission(teacher, Permission.ADD_OBSERVER_TO_COURSE, course=course)
    assert user_has_permission(teacher, Permission.REMOVE_OBSERVER_FROM_COURSE, course=course)


@pytest.mark.parametrize(
    "field",
    [
        "generate_observer_pairing_code__StudentEnrollment",
        "manage_user_observers__TeacherEnrollment",
        "generate_observer_pairing_code__parents",
    ],
)
def test_a_box_for_a_pair_that_cannot_be_switched_is_ignored(client, institution, admin, field):
    client.force_login(admin)
    response = post_permissions(client, institution, **{field: True})
    assert response.status_code == 302
    assert not RolePermission.objects.exists()
    table = permission_table(institution_id=institution.pk)
    assert not table[(Role.STUDENT, Permission.GENERATE_OBSERVER_PAIRING_CODE)]
    assert not table[(Role.TEACHER, Permission.MANAGE_USER_OBSERVERS)]


def test_the_teachers_pair_with_observer_button_follows_the_permissions_page(
    client, course, institution, admin, teacher, student
):
    details_url = reverse("course_user_details", args=[course.pk, student.pk])
    code_url = reverse("course_user_pairing_code", args=[course.pk, student.pk])
    client.force_login(teacher)
    assert ">Pair with Observer</button>" not in client.get(details_url).content.decode()

    client.force_login(admin)
    post_permissions(
        client, institution, **{box(Permission.GENERATE_OBSERVER_PAIRING_CODE, Role.TEACHER): True}
    )
    client.force_login(teacher)
    assert ">Pair with Observer</button>" in client.get(details_url).content.decode()
    assert client.post(code_url).status_code == 302

    client.force_login(admin)
    post_permissions(
        client, institution, **{box(Permission.ALLOW_COURSE_ADMIN_ACTIONS, Role.TEACHER): False}
    )
    client.force_login(teacher)
    assert ">Pair with Observer</button>" not in client.get(details_url).content.decode()
    assert client.post(code_url).status_code == 403
    assert student.pairing_codes.count() == 1
