"""The pages behind "Revoke all codes" and "Remove all observers", and a student removing an observer."""

from django.urls import reverse

from accounts.services import institution_pairing_settings_set
from pairing.models import ObserverLink, ObserverLinkSource, ObserverLinkState
from pairing.services import (
    observer_link_create,
    pairing_code_create,
    pairing_codes_active_count,
)


def test_a_student_revokes_their_codes_from_user_settings(client, student):
    for _ in range(2):
        pairing_code_create(student=student, by=student)
    client.force_login(student)

    response = client.post(reverse("profile_pairing_codes_revoke"), follow=True)

    assert pairing_codes_active_count(student=student) == 0
    assert "2 pairing codes were revoked" in response.content.decode()


def test_revoking_with_nothing_active_says_so(client, student):
    client.force_login(student)
    response = client.post(reverse("profile_pairing_codes_revoke"), follow=True)
    assert "There were no active pairing codes to revoke." in response.content.decode()


def test_a_teacher_with_the_permission_revokes_from_user_details(
    client, course, student, teacher, teachers_may_generate
):
    pairing_code_create(student=student, by=student)
    client.force_login(teacher)
    url = reverse("course_user_pairing_codes_revoke", args=[course.pk, student.pk])

    response = client.post(url)

    assert response.status_code == 302
    assert pairing_codes_active_count(student=student) == 0


def test_a_teacher_without_it_gets_403_and_outsiders_404(
    client, course, student, teacher, other_admin
):
    pairing_code_create(student=student, by=student)
    url = reverse("course_user_pairing_codes_revoke", args=[course.pk, student.pk])
    client.force_login(teacher)
    assert client.post(url).status_code == 403
    client.force_login(other_admin)
    assert client.post(url).status_code == 404
    assert client.get(url).status_code == 405
    assert pairing_codes_active_count(student=student) == 1


def test_an_admin_revokes_codes_and_clears_observers_from_the_users_page(
    client, institution, student, observer, admin
):
    pairing_code_create(student=student, by=student)
    observer_link_create(
        observer=observer, student=student, by=admin, source=ObserverLinkSource.ADMIN
    )
    client.force_login(admin)

    client.post(reverse("institution_user_pairing_codes_revoke", args=[institution.pk, student.pk]))
    response = client.post(
        reverse("institution_user_observers_clear", args=[institution.pk, student.pk]), follow=True
    )

    assert pairing_codes_active_count(student=student) == 0
    assert ObserverLink.objects.get().state == ObserverLinkState.DELETED
    assert "1 observer was removed from Sam Student." in response.content.decode()


def test_teachers_and_other_schools_may_not_clear_observers(
    client, institution, student, observer, teacher, other_admin, admin
):
    observer_link_create(
        observer=observer, student=student, by=admin, source=ObserverLinkSource.ADMIN
    )
    url = reverse("institution_user_observers_clear", args=[institution.pk, student.pk])
    client.force_login(teacher)
    assert client.post(url).status_code == 403
    client.force_login(other_admin)
    assert client.post(url).status_code == 404
    assert ObserverLink.objects.get().state == ObserverLinkState.ACTIVE


def test_a_student_removes_an_observer_only_where_allowed(
    client, institution, student, observer, admin
):
    link = observer_link_create(
        observer=observer, student=student, by=admin, source=ObserverLinkSource.ADMIN
    )
    url = reverse("profile_observer_remove", args=[link.pk])
    client.force_login(student)
    assert client.post(url).status_code == 403
    assert ObserverLink.objects.get().state == ObserverLinkState.ACTIVE

    institution_pairing_settings_set(
        institution=institution, code_lifetime_days=7, students_may_remove_observers=True, by=admin
    )
    response = client.post(url, follow=True)
    assert "Pat Parent no longer observes you." in response.content.decode()
    assert ObserverLink.objects.get().state == ObserverLinkState.DELETED


def test_an_observer_cannot_use_the_students_remove_page(client, student, observer, admin):
    link = observer_link_create(
        observer=observer, student=student, by=admin, source=ObserverLinkSource.ADMIN
    )
    client.force_login(observer)
    assert client.post(reverse("profile_observer_remove", args=[link.pk])).status_code == 404
