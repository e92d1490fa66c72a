"""Admins find users and link or unlink observers directly."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Permission, Role
from accounts.services import role_permission_set
from courses.models import Enrollment, EnrollmentState
from pairing.models import ObserverLink, ObserverLinkSource, ObserverLinkState
from pairing.services import observer_link_create
from tests.factories import UserFactory


def users_url(institution):
    return reverse("institution_users", args=[institution.pk])


def user_url(institution, user):
    return reverse("institution_user", args=[institution.pk, user.pk])


def test_an_admin_finds_a_user_by_name_email_or_sis_id(client, admin, student, institution):
    student.sis_user_id = "S-42"
    student.save()
    client.force_login(admin)
    for query in ("sam st", "SAM@example", "s-42"):
        page = client.get(users_url(institution), {"q": query}).content.decode()
        assert user_url(institution, student) in page, query
    assert "Nobody matches" in client.get(users_url(institution), {"q": "zzz"}).content.decode()


def test_the_user_page_shows_observers_and_observees(client, admin, student, observer, institution):
    observer_link_create(
        observer=observer, student=student, by=admin, source=ObserverLinkSource.ADMIN
    )
    client.force_login(admin)
    page = client.get(user_url(institution, student)).content.decode()
    assert "Observers of Sam Student" in page
    assert "Pat Parent" in page
    page = client.get(user_url(institution, observer)).content.decode()
    assert "Sam Student" in page


def test_an_admin_links_an_observer_by_email_and_the_enrollments_follow(
    client, admin, student, observer, institution, course
):
    client.force_login(admin)
    url = reverse("institution_user_add_observer", args=[institution.pk, student.pk])
    response = client.post(url, {"person": "PARENT@example.test"})
    assert response.url == user_url(institution, student)
    link = ObserverLink.objects.get(observer=observer, student=student)
    assert (link.state, link.source, link.created_by) == (
        ObserverLinkState.ACTIVE,
        ObserverLinkSource.ADMIN,
        admin,
    )
    assert Enrollment.objects.filter(user=observer, course=course, associated_user=student).exists()


def test_an_admin_links_a_student_to_observe_by_sis_id(
    client, admin, student, observer, institution
):
    student.sis_user_id = "S-7"
    student.save()
    client.force_login(admin)
    client.post(
        reverse("institution_user_add_observee", args=[institution.pk, observer.pk]),
        {"person": "S-7"},
    )
    assert ObserverLink.objects.filter(observer=observer, student=student, state="active").exists()


def test_an_unknown_person_or_oneself_links_nothing(client, admin, student, institution):
    client.force_login(admin)
    url = reverse("institution_user_add_observer", args=[institution.pk, student.pk])
    client.post(url, {"person": "nobody@example.test"})
    client.post(url, {"person": student.email})
    assert not ObserverLink.objects.exists()
    assert (
        "You can&#x27;t observe yourself."
        in client.get(user_url(institution, student)).content.decode()
    )


def test_an_admin_unlinks_and_the_enrollments_go(
    client, admin, student, observer, institution, course
):
    link = observer_link_create(
        observer=observer, student=student, by=admin, source=ObserverLinkSource.ADMIN
    )
    client.force_login(admin)
    response = client.post(
        reverse("institution_link_remove", args=[institution.pk, link.pk]),
        {"back_to_user": student.pk},
    )
    assert response.url == user_url(institution, student)
    assert ObserverLink.objects.get().state == ObserverLinkState.DELETED
    assert Enrollment.objects.get(user=observer).state == EnrollmentState.DELETED


@pytest.mark.parametrize("persona", ["teacher", "student", "observer"])
def test_non_admins_get_403(client, persona, request, institution, student):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(users_url(institution)).status_code == 403
    assert client.get(user_url(institution, student)).status_code == 403


def test_admins_of_another_institution_get_404(client, other_admin, institution, student):
    client.force_login(other_admin)
    assert client.get(users_url(institution)).status_code == 404
    assert client.get(user_url(institution, student)).status_code == 404


def test_an_admin_without_manage_user_observers_gets_403(client, admin, institution):
    role_permission_set(
        institution=institution,
        role=Role.ACCOUNT_ADMIN,
        permission=Permission.MANAGE_USER_OBSERVERS,
        enabled=False,
        by=None,
    )
    client.force_login(admin)
    assert client.get(users_url(institution)).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, institution):
    assert client.get(users_url(institution)).url.startswith(reverse("login"))


def test_the_act_as_button_shows_for_students_not_for_admins(client, admin, student, institution):
    client.force_login(admin)
    assert "Act as Sam Student" in client.get(user_url(institution, student)).content.decode()
    peer = UserFactory(institution=institution, is_account_admin=True, name="Peer Admin")
    assert "Act as Peer Admin" not in client.get(user_url(institution, peer)).content.decode()


def test_the_user_list_keeps_a_flat_query_count(client, admin, institution):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(users_url(institution)).status_code == 200
        return len(captured.captured_queries)

    client.force_login(admin)
    few = queries()
    UserFactory.create_batch(40, institution=institution)
    assert queries() == few


def test_linking_without_a_code_is_for_observer_admins_only(student, observer, teacher, admin):
    from pairing.errors import PairingError
    from pairing.models import ObserverLinkSource
    from pairing.services import observer_link_create_by_admin

    for person in (teacher, observer):
        with pytest.raises(PairingError, match=PairingError.NOT_ALLOWED_TO_LINK_BY_ID):
            observer_link_create_by_admin(
                observer=observer, student=student, by=person, source=ObserverLinkSource.ADMIN
            )
    link = observer_link_create_by_admin(
        observer=observer, student=student, by=admin, source=ObserverLinkSource.ADMIN
    )
    assert link.created_by == admin
