"""Platform operators (superusers): every institution's admin pages open to them, and they make new
institutions with a first admin, on /institutions as `create_institution` does."""

import pytest
from django.urls import reverse

from accounts.models import AuditAction, AuditEvent, Institution, Invitation, User
from accounts.permissions import is_platform_operator
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(db):
    return User.objects.create_superuser("ops@example.test", None, name="Ops Operator")


def test_an_operator_opens_any_institutions_admin_pages(client, operator, institution, other_admin):
    client.force_login(operator)
    for place in (institution, other_admin.institution):
        for name in (
            "institution_authentication",
            "institution_permissions",
            "institution_audit",
            "sis_imports",
            "institution_users",
            "institution_invitations",
        ):
            assert client.get(reverse(name, args=[place.pk])).status_code == 200, name


def test_an_operators_change_is_recorded_as_theirs(client, operator, institution):
    client.force_login(operator)
    url = reverse("institution_authentication", args=[institution.pk])
    assert client.post(url, {"self_registration": "all"}).status_code == 302
    event = AuditEvent.objects.get(action=AuditAction.SELF_REGISTRATION_CHANGED)
    assert (event.actor, event.institution) == (operator, institution)


def test_a_deactivated_superuser_is_no_operator(client, operator, institution):
    User.objects.filter(pk=operator.pk).update(is_active=False)
    operator.refresh_from_db()
    assert not is_platform_operator(operator)


def test_an_admin_still_reaches_only_their_own_institution(client, admin, other_admin):
    client.force_login(admin)
    url = reverse("institution_authentication", args=[other_admin.institution_id])
    assert client.get(url).status_code == 404


def test_an_operator_makes_an_institution_and_invites_its_first_admin(client, operator):
    client.force_login(operator)
    response = client.post(
        reverse("operator_institutions"),
        {
            "name": "Ogdenville Schools",
            "admin_email": "it@ogdenville.example",
            "admin_name": "Oli IT",
            "domain": "portal.ogdenville.example",
            "self_registration": "observer",
        },
        follow=True,
    )
    page = response.content.decode()
    assert (
        "Ogdenville Schools is ready: an invitation is on its way to it@ogdenville.example" in page
    )
    institution = Institution.objects.get(name="Ogdenville Schools")
    admin = User.objects.get(email="it@ogdenville.example")
    assert (admin.institution, admin.is_account_admin) == (institution, True)
    invitation = Invitation.objects.get()
    assert (invitation.user, invitation.invited_by) == (admin, operator)
    assert invitation.base_url == "http://portal.ogdenville.example/"
    made = AuditEvent.objects.get(action=AuditAction.INSTITUTION_CREATED)
    assert made.actor == operator
    assert reverse("institution_authentication", args=[institution.pk]) in page


def test_a_taken_name_makes_nothing_and_says_so(client, operator, institution):
    client.force_login(operator)
    response = client.post(
        reverse("operator_institutions"),
        {"name": "springfield schools", "admin_email": "x@y.example", "self_registration": "none"},
    )
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    assert Institution.objects.count() == 1
    assert not User.objects.filter(email="x@y.example").exists()


def test_nobody_else_knows_the_institutions_page(client, admin):
    url = reverse("operator_institutions")
    assert client.get(url)["Location"].startswith("/login?next=")
    client.force_login(admin)
    assert client.get(url).status_code == 404
    assert client.post(url, {"name": "X", "admin_email": "x@y.example"}).status_code == 404
    assert Institution.objects.count() == 1


def test_the_django_admin_makes_a_person_with_an_institution_and_invites_them(
    client, operator, institution
):
    client.force_login(operator)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "institution": institution.pk,
            "is_account_admin": "on",
            "email": "second.admin@springfield.example",
            "name": "Second Admin",
            "sortable_name": "Admin, Second",
            "short_name": "Second",
            "is_active": "on",
            "time_zone": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    person = User.objects.get(email="second.admin@springfield.example")
    assert (person.institution, person.is_account_admin) == (institution, True)
    assert not person.has_usable_password()
    client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "send_invitations", "_selected_action": [person.pk]},
    )
    assert Invitation.objects.get().user == person


def test_the_django_admin_never_moves_a_person_to_another_institution(
    client, operator, institution, other_admin
):
    person = UserFactory(institution=institution)
    client.force_login(operator)
    page = client.get(reverse("admin:accounts_user_change", args=[person.pk])).content.decode()
    assert 'name="institution"' not in page
