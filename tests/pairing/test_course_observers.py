"""Course-only observers: staff link an observer to one student in one course from User Details,
and remove observers there, without any institution-wide link."""

import pytest
from django.urls import reverse

from accounts.roles import Permission, Role
from accounts.services import role_permission_set
from courses.models import Enrollment, EnrollmentState
from pairing.errors import PairingError
from pairing.models import ObserverLink, ObserverLinkSource, ObserverLinkState
from pairing.services import course_observer_add, enrollment_upsert, observer_link_create
from tests.factories import CourseFactory, EnrollmentFactory, InstitutionFactory, UserFactory


def details_url(course, member):
    return reverse("course_user_details", args=[course.pk, member.pk])


def add_url(course, student):
    return reverse("course_observer_add", args=[course.pk, student.pk])


def remove_url(course, enrollment):
    return reverse("course_observer_remove", args=[course.pk, enrollment.pk])


def observer_enrollments(observer):
    return Enrollment.objects.filter(user=observer, type=Role.OBSERVER)


@pytest.fixture
def course_observer(course, teacher, student, observer):
    """The observer, linked to the student in ``course`` only, by the teacher."""
    return course_observer_add(course=course, observer=observer, student=student, by=teacher)


# --- Linking ---------------------------------------------------------------------------------------


def test_a_teacher_links_an_observer_to_a_student_in_this_course_only(
    client, course, teacher, student, observer
):
    other_course = CourseFactory(institution=course.institution)
    EnrollmentFactory(course=other_course, user=student, type=Role.STUDENT)
    client.force_login(teacher)

    response = client.post(add_url(course, student), {"email": "Parent@Example.TEST"})

    assert response.status_code == 302
    assert response.url == details_url(course, student)
    enrollment = observer_enrollments(observer).get()
    assert (enrollment.course, enrollment.associated_user, enrollment.state) == (
        course,
        student,
        EnrollmentState.ACTIVE,
    )
    assert not ObserverLink.objects.exists()
    page = client.get(response.url).content.decode()
    assert "Pat Parent now observes Sam Student in this course." in page
    assert f'action="{remove_url(course, enrollment)}"' in page


def test_the_linked_observer_sees_the_course_but_not_its_people(
    client, course, student, observer, course_observer
):
    client.force_login(observer)
    home = client.get(reverse("home")).content.decode()
    assert "Sam Student" in home
    assert f'href="{reverse("course_detail", args=[course.pk])}"' in home
    detail = client.get(reverse("course_detail", args=[course.pk]))
    assert detail.status_code == 200
    assert "observing Sam Student" in detail.content.decode()
    assert client.get(reverse("course_people", args=[course.pk])).status_code == 403


def test_linking_again_after_a_removal_restores_the_same_enrollment(
    client, course, teacher, student, observer, course_observer
):
    client.force_login(teacher)
    client.post(remove_url(course, course_observer))
    client.post(add_url(course, student), {"email": observer.email})
    assert observer_enrollments(observer).get().pk == course_observer.pk
    course_observer.refresh_from_db()
    assert course_observer.state == EnrollmentState.ACTIVE


@pytest.mark.parametrize(
    "email",
    ["nobody@example.test", "olga@shelbyville.test", "stranger@elsewhere.test"],
)
def test_someone_without_an_account_at_this_school_is_not_linked(
    client, course, teacher, student, other_admin, email
):
    UserFactory(institution=InstitutionFactory(), email="stranger@elsewhere.test")
    client.force_login(teacher)
    response = client.post(add_url(course, student), {"email": email}, follow=True)
    assert PairingError.OBSERVER_NOT_FOUND in response.content.decode()
    assert not Enrollment.objects.filter(type=Role.OBSERVER).exists()


def test_a_deactivated_observer_is_not_linked(client, course, teacher, student, observer):
    observer.is_active = False
    observer.save()
    client.force_login(teacher)
    response = client.post(add_url(course, student), {"email": observer.email}, follow=True)
    assert PairingError.OBSERVER_NOT_FOUND in response.content.decode()
    assert not observer_enrollments(observer).exists()


def test_a_missing_email_is_asked_for(client, course, teacher, student):
    client.force_login(teacher)
    response = client.post(add_url(course, student), {"email": "not-an-address"}, follow=True)
    assert "Please enter the observer&#x27;s e-mail address." in response.content.decode()
    assert not Enrollment.objects.filter(type=Role.OBSERVER).exists()


def test_a_student_cannot_be_linked_to_observe_themself(client, course, teacher, student):
    client.force_login(teacher)
    response = client.post(add_url(course, student), {"email": student.email}, follow=True)
    assert "You can&#x27;t observe yourself." in response.content.decode()
    assert not Enrollment.objects.filter(type=Role.OBSERVER).exists()


def test_only_a_student_of_the_course_can_be_observed(client, course, teacher, observer):
    client.force_login(teacher)
    response = client.post(add_url(course, teacher), {"email": observer.email}, follow=True)
    assert PairingError.STUDENT_NOT_IN_COURSE in response.content.decode()
    assert not observer_enrollments(observer).exists()


def test_a_student_sees_the_roster_but_may_not_link_observers(client, course, student, observer):
    client.force_login(student)
    details = client.get(details_url(course, student))
    assert details.status_code == 200
    assert "Link an observer in this course" not in details.content.decode()
    response = client.post(add_url(course, student), {"email": observer.email})
    assert response.status_code == 403
    assert not observer_enrollments(observer).exists()


def test_an_observer_not_in_the_course_gets_not_found(client, course, student, observer):
    client.force_login(observer)
    assert client.post(add_url(course, student), {"email": observer.email}).status_code == 404
    assert not observer_enrollments(observer).exists()


def test_an_admin_of_another_institution_gets_not_found(client, course, student, other_admin):
    client.force_login(other_admin)
    assert client.post(add_url(course, student), {"email": other_admin.email}).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, course, student, course_observer):
    for url in (add_url(course, student), remove_url(course, course_observer)):
        response = client.post(url, {"email": "parent@example.test"})
        assert response.status_code == 302
        assert response.url.startswith(reverse("login") + "?next=")
    course_observer.refresh_from_db()
    assert course_observer.state == EnrollmentState.ACTIVE


def test_get_is_not_allowed(client, course, teacher, student, course_observer):
    client.force_login(teacher)
    assert client.get(add_url(course, student)).status_code == 405
    assert client.get(remove_url(course, course_observer)).status_code == 405


def test_a_teacher_the_admin_took_the_permission_from_sees_no_form_and_is_forbidden(
    client, course, institution, admin, teacher, student, observer
):
    role_permission_set(
        institution=institution,
        role=Role.TEACHER,
        permission=Permission.ADD_OBSERVER_TO_COURSE,
        enabled=False,
        by=admin,
    )
    client.force_login(teacher)
    assert (
        "Link an observer in this course"
        not in client.get(details_url(course, student)).content.decode()
    )
    assert client.post(add_url(course, student), {"email": observer.email}).status_code == 403
    assert not observer_enrollments(observer).exists()

    client.force_login(admin)
    assert (
        "Link an observer in this course"
        in client.get(details_url(course, student)).content.decode()
    )


# --- Removing --------------------------------------------------------------------------------------


def test_a_teacher_removes_a_course_only_observer(
    client, course, teacher, student, observer, course_observer
):
    client.force_login(teacher)
    response = client.post(remove_url(course, course_observer))
    assert response.status_code == 302
    assert response.url == details_url(course, student)
    course_observer.refresh_from_db()
    assert course_observer.state == EnrollmentState.DELETED
    page = client.get(response.url).content.decode()
    assert "Pat Parent no longer observes in this course." in page
    assert "Nobody observes Sam Student in this course." in page

    client.force_login(observer)
    assert client.get(reverse("course_detail", args=[course.pk])).status_code == 404


def test_an_observer_linked_institution_wide_can_be_removed_from_one_course(
    client, course, teacher, student, observer
):
    other_course = CourseFactory(institution=course.institution)
    EnrollmentFactory(course=other_course, user=student, type=Role.STUDENT)
    link = observer_link_create(
        observer=observer, student=student, by=None, source=ObserverLinkSource.ADMIN
    )
    here = observer_enrollments(observer).get(course=course)
    client.force_login(teacher)

    assert client.post(remove_url(course, here)).url == details_url(course, student)

    here.refresh_from_db()
    assert here.state == EnrollmentState.DELETED
    assert observer_enrollments(observer).get(course=other_course).state == EnrollmentState.ACTIVE
    link.refresh_from_db()
    assert link.state == ObserverLinkState.ACTIVE


def test_a_removal_here_stays_when_the_student_is_enrolled_again_unchanged(
    client, course, teacher, student, observer
):
    # Canvas mirrors later changes of the student's enrollment onto linked observers, but never
    # revives an observer enrollment deleted on purpose (a SIS re-sync must not undo the teacher).
    observer_link_create(
        observer=observer, student=student, by=None, source=ObserverLinkSource.ADMIN
    )
    here = observer_enrollments(observer).get(course=course)
    client.force_login(teacher)
    client.post(remove_url(course, here))

    enrollment_upsert(course=course, user=student, type=Role.STUDENT, state=EnrollmentState.ACTIVE)

    here.refresh_from_db()
    assert here.state == EnrollmentState.DELETED


def test_a_student_may_not_remove_their_observer(client, course, student, course_observer):
    client.force_login(student)
    assert client.post(remove_url(course, course_observer)).status_code == 403
    course_observer.refresh_from_db()
    assert course_observer.state == EnrollmentState.ACTIVE


def test_a_teacher_without_the_remove_permission_is_forbidden(
    client, course, institution, admin, teacher, student, course_observer
):
    role_permission_set(
        institution=institution,
        role=Role.TEACHER,
        permission=Permission.REMOVE_OBSERVER_FROM_COURSE,
        enabled=False,
        by=admin,
    )
    client.force_login(teacher)
    page = client.get(details_url(course, student)).content.decode()
    assert "Pat Parent" in page
    assert f'action="{remove_url(course, course_observer)}"' not in page
    assert client.post(remove_url(course, course_observer)).status_code == 403
    course_observer.refresh_from_db()
    assert course_observer.state == EnrollmentState.ACTIVE


def test_only_observer_enrollments_can_be_removed_here(client, course, teacher, student):
    enrollment = student.enrollments.get()
    client.force_login(teacher)
    response = client.post(remove_url(course, enrollment), follow=True)
    assert PairingError.NOT_AN_OBSERVER_ENROLLMENT in response.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.state == EnrollmentState.ACTIVE


def test_an_enrollment_of_another_course_is_not_found_here(
    client, course, teacher, student, observer
):
    other_course = CourseFactory(institution=course.institution)
    EnrollmentFactory(course=other_course, user=student, type=Role.STUDENT)
    EnrollmentFactory(course=other_course, user=teacher, type=Role.TEACHER)
    elsewhere = course_observer_add(
        course=other_course, observer=observer, student=student, by=teacher
    )
    client.force_login(teacher)
    assert client.post(remove_url(course, elsewhere)).status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.state == EnrollmentState.ACTIVE
