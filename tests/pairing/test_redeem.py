"""Redeeming a code links an observer to a student across the institution, and spends the code."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.roles import Role
from courses.models import CourseState, Enrollment, EnrollmentState
from pairing.errors import PairingError
from pairing.models import ObserverLink, ObserverLinkState, PairingCode, PairingCodeState
from pairing.services import (
    enrollment_upsert,
    observer_link_create,
    observer_link_remove,
    pairing_code_create,
    pairing_code_redeem,
)
from tests.factories import CourseFactory, EnrollmentFactory, UserFactory
from tests.pairing.helpers import new_code


def observer_enrollments(observer):
    return Enrollment.objects.filter(user=observer, type=Role.OBSERVER)


def test_a_valid_code_links_the_observer_and_is_spent(student, observer):
    issued = pairing_code_create(student=student, by=student)
    link = pairing_code_redeem(code=issued.code, observer=observer).link
    assert (link.observer, link.student, link.state) == (
        observer,
        student,
        ObserverLinkState.ACTIVE,
    )
    assert link.institution == student.institution
    record = PairingCode.objects.get(pk=issued.record.pk)
    assert record.state == PairingCodeState.USED
    assert record.used_by == observer
    assert record.ended_at is not None


def test_the_observer_follows_the_student_into_every_current_course(course, student, observer):
    invited_course = CourseFactory(institution=course.institution)
    EnrollmentFactory(course=invited_course, user=student, state=EnrollmentState.INVITED)
    finished_course = CourseFactory(institution=course.institution)
    EnrollmentFactory(course=finished_course, user=student, state=EnrollmentState.COMPLETED)

    pairing_code_redeem(code=new_code(student), observer=observer)

    rows = {e.course_id: e for e in observer_enrollments(observer)}
    assert set(rows) == {course.pk, invited_course.pk}
    for enrollment in rows.values():
        assert enrollment.associated_user == student
        assert enrollment.state == EnrollmentState.ACTIVE  # invited becomes active for observers


def test_a_used_code_cannot_be_used_again(student, observer):
    code = new_code(student)
    pairing_code_redeem(code=code, observer=observer)
    second_parent = UserFactory(institution=student.institution)
    with pytest.raises(PairingError, match=PairingError.INVALID_CODE):
        pairing_code_redeem(code=code, observer=second_parent)
    assert not ObserverLink.objects.filter(observer=second_parent).exists()


def test_an_expired_code_is_invalid(student, observer):
    issued = pairing_code_create(student=student, by=student)
    PairingCode.objects.filter(pk=issued.record.pk).update(
        created_at=timezone.now() - timedelta(days=8),
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    with pytest.raises(PairingError, match=PairingError.INVALID_CODE):
        pairing_code_redeem(code=issued.code, observer=observer)


def test_a_replaced_code_is_invalid(student, observer):
    first = new_code(student)
    for _ in range(5):
        new_code(student)
    with pytest.raises(PairingError, match=PairingError.INVALID_CODE):
        pairing_code_redeem(code=first, observer=observer)


@pytest.mark.parametrize("typed", ["zzzzzz", "", "not a code", "<script>"])
def test_unknown_and_malformed_codes_get_the_same_message(observer, typed):
    with pytest.raises(PairingError) as caught:
        pairing_code_redeem(code=typed, observer=observer)
    assert caught.value.message == PairingError.INVALID_CODE == "Invalid pairing code"


def test_codes_are_case_sensitive(student, observer):
    code = new_code(student)
    with pytest.raises(PairingError, match=PairingError.INVALID_CODE):
        pairing_code_redeem(code=code.swapcase(), observer=observer)


def test_surrounding_spaces_are_forgiven(student, observer):
    pairing_code_redeem(code=f"  {new_code(student)} ", observer=observer)
    assert ObserverLink.objects.filter(observer=observer, student=student).exists()


def test_nobody_observes_themself_and_the_code_survives(student):
    issued = pairing_code_create(student=student, by=student)
    with pytest.raises(PairingError, match=PairingError.CANNOT_OBSERVE_SELF):
        pairing_code_redeem(code=issued.code, observer=student)
    assert PairingCode.objects.get(pk=issued.record.pk).state == PairingCodeState.ACTIVE


def test_a_code_for_a_student_already_observed_is_not_spent(student, observer):
    pairing_code_redeem(code=new_code(student), observer=observer)
    issued = pairing_code_create(student=student, by=student)
    assert pairing_code_redeem(code=issued.code, observer=observer).already_linked
    assert PairingCode.objects.get(pk=issued.record.pk).state == PairingCodeState.ACTIVE


def test_a_code_from_another_institution_is_invalid_here(student, other_admin):
    parent_elsewhere = UserFactory(institution=other_admin.institution)
    with pytest.raises(PairingError, match=PairingError.INVALID_CODE):
        pairing_code_redeem(code=new_code(student), observer=parent_elsewhere)


def test_an_observer_may_link_several_students(course, student, observer):
    sibling = EnrollmentFactory(course=CourseFactory(institution=course.institution)).user
    pairing_code_redeem(code=new_code(student), observer=observer)
    pairing_code_redeem(code=new_code(sibling), observer=observer)
    assert set(
        ObserverLink.objects.filter(observer=observer).values_list("student", flat=True)
    ) == {
        student.pk,
        sibling.pk,
    }


def test_a_student_may_observe_someone_else(course, student):
    # Any account can be an observer: a student mentoring a younger one, for instance.
    younger = EnrollmentFactory(course=CourseFactory(institution=course.institution)).user
    link = pairing_code_redeem(code=new_code(younger), observer=student).link
    assert link.observer == student


# --- Links over time ------------------------------------------------------------------------------


def test_a_course_the_student_joins_later_is_observed_too(course, student, observer):
    pairing_code_redeem(code=new_code(student), observer=observer)
    later = CourseFactory(institution=course.institution, name="Chemistry")
    enrollment_upsert(course=later, user=student, type=Role.STUDENT)
    assert observer_enrollments(observer).filter(course=later, associated_user=student).exists()


def test_a_dropped_student_takes_the_observer_out_of_the_course(course, student, observer):
    pairing_code_redeem(code=new_code(student), observer=observer)
    enrollment_upsert(course=course, user=student, type=Role.STUDENT, state=EnrollmentState.DELETED)
    assert observer_enrollments(observer).get(course=course).state == EnrollmentState.DELETED


def test_removing_the_link_removes_every_observer_enrollment_for_that_student(
    course, student, observer, teacher
):
    pairing_code_redeem(code=new_code(student), observer=observer)
    other_course = CourseFactory(institution=course.institution, state=CourseState.AVAILABLE)
    EnrollmentFactory(
        course=other_course, user=observer, type=Role.OBSERVER, associated_user=student
    )
    sibling = EnrollmentFactory(course=course).user
    EnrollmentFactory(course=course, user=observer, type=Role.OBSERVER, associated_user=sibling)

    link = ObserverLink.objects.get(observer=observer, student=student)
    observer_link_remove(link=link, by=observer)

    link.refresh_from_db()
    assert link.state == ObserverLinkState.DELETED
    assert link.removed_by == observer
    states = {(e.course_id, e.associated_user_id): e.state for e in observer_enrollments(observer)}
    assert states[(course.pk, student.pk)] == EnrollmentState.DELETED
    assert states[(other_course.pk, student.pk)] == EnrollmentState.DELETED  # course-only one too
    assert states[(course.pk, sibling.pk)] == EnrollmentState.ACTIVE  # another student's stays


def test_a_removed_link_is_restored_by_a_new_code_without_a_second_row(student, observer):
    pairing_code_redeem(code=new_code(student), observer=observer)
    observer_link_remove(link=ObserverLink.objects.get(observer=observer), by=observer)
    pairing_code_redeem(code=new_code(student), observer=observer)
    link = ObserverLink.objects.get(observer=observer, student=student)
    assert link.state == ObserverLinkState.ACTIVE
    assert link.removed_at is None
    assert observer_enrollments(observer).get().state == EnrollmentState.ACTIVE


def test_removing_a_link_twice_says_it_is_already_gone(student, observer):
    link = pairing_code_redeem(code=new_code(student), observer=observer).link
    observer_link_remove(link=link, by=observer)
    with pytest.raises(PairingError, match=PairingError.LINK_NOT_FOUND):
        observer_link_remove(link=link, by=observer)


def test_a_student_cannot_remove_their_observer(student, observer):
    link = pairing_code_redeem(code=new_code(student), observer=observer).link
    with pytest.raises(PairingError, match=PairingError.NOT_ALLOWED_TO_REMOVE_LINK):
        observer_link_remove(link=link, by=student)


def test_an_admin_can_remove_a_link(student, observer, admin, other_admin):
    link = pairing_code_redeem(code=new_code(student), observer=observer).link
    with pytest.raises(PairingError):
        observer_link_remove(link=link, by=other_admin)
    observer_link_remove(link=link, by=admin)
    assert ObserverLink.objects.get(pk=link.pk).removed_by == admin


def test_linking_is_idempotent(course, student, observer):
    from pairing.models import ObserverLinkSource

    for _ in range(2):
        observer_link_create(
            observer=observer, student=student, by=None, source=ObserverLinkSource.ADMIN
        )
    assert ObserverLink.objects.count() == 1
    assert observer_enrollments(observer).count() == 1


def test_the_database_refuses_a_link_to_oneself(student):
    from tests.db import refused_by

    with refused_by("observer_link_cannot_observe_self"):
        ObserverLink.objects.create(
            observer=student, student=student, institution=student.institution, source="admin"
        )


def test_a_student_restored_to_a_course_brings_the_observer_back(course, student, observer):
    pairing_code_redeem(code=new_code(student), observer=observer)
    enrollment_upsert(course=course, user=student, type=Role.STUDENT, state=EnrollmentState.DELETED)
    enrollment_upsert(course=course, user=student, type=Role.STUDENT, state=EnrollmentState.ACTIVE)
    assert observer_enrollments(observer).get(course=course).state == EnrollmentState.ACTIVE


def test_an_invited_student_accepting_keeps_an_observer_removed_by_hand_removed(
    course, student, observer, teacher
):
    from pairing.services import course_observer_remove

    enrollment_upsert(course=course, user=student, type=Role.STUDENT, state=EnrollmentState.INVITED)
    pairing_code_redeem(code=new_code(student), observer=observer)
    course_observer_remove(enrollment=observer_enrollments(observer).get(course=course), by=teacher)
    enrollment_upsert(course=course, user=student, type=Role.STUDENT, state=EnrollmentState.ACTIVE)
    assert observer_enrollments(observer).get(course=course).state == EnrollmentState.DELETED


def test_two_people_cannot_observe_each_other_in_one_course(course, student, teacher):
    from pairing.services import course_observer_add

    classmate = EnrollmentFactory(course=course).user
    course_observer_add(course=course, observer=classmate, student=student, by=teacher)
    with pytest.raises(PairingError, match=PairingError.OBSERVING_EACH_OTHER):
        course_observer_add(course=course, observer=student, student=classmate, by=teacher)
