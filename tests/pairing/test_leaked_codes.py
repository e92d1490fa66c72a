"""Fixing a leaked code fast: revoke a student's active codes at once, clear all their observers."""

import pytest

from accounts.models import AuditAction, AuditEvent, SelfRegistration
from accounts.roles import Role
from courses.models import Enrollment, EnrollmentState
from pairing.errors import PairingError
from pairing.models import (
    ObserverLink,
    ObserverLinkSource,
    ObserverLinkState,
    PairingCode,
    PairingCodeState,
)
from pairing.services import (
    course_observer_add,
    observer_link_create,
    observers_clear,
    pairing_code_create,
    pairing_code_redeem,
    pairing_codes_active_count,
    pairing_codes_revoke_all,
)
from tests.factories import EnrollmentFactory, UserFactory


def make_codes(student, count: int) -> list[str]:
    return [pairing_code_create(student=student, by=student).code for _ in range(count)]


def test_a_student_revokes_all_their_active_codes_and_none_works_any_more(student, observer):
    codes = make_codes(student, 3)
    assert pairing_codes_active_count(student=student) == 3

    assert pairing_codes_revoke_all(student=student, by=student) == 3

    assert pairing_codes_active_count(student=student) == 0
    assert set(PairingCode.objects.values_list("state", flat=True)) == {PairingCodeState.REVOKED}
    with pytest.raises(PairingError) as refused:
        pairing_code_redeem(code=codes[0], observer=observer)
    assert refused.value.message == PairingError.INVALID_CODE


def test_revoking_leaves_used_codes_and_existing_links_alone(student, observer):
    used = make_codes(student, 1)[0]
    pairing_code_redeem(code=used, observer=observer)
    make_codes(student, 2)

    assert pairing_codes_revoke_all(student=student, by=student) == 2

    assert PairingCode.objects.filter(state=PairingCodeState.USED).count() == 1
    assert ObserverLink.objects.get().state == ObserverLinkState.ACTIVE


def test_revoking_is_recorded_with_the_count_but_no_code(student):
    make_codes(student, 2)
    pairing_codes_revoke_all(student=student, by=student)
    event = AuditEvent.objects.get(action=AuditAction.CODES_REVOKED)
    assert event.subject == student
    assert event.actor == student
    assert event.details == {"count": 2}


def test_a_teacher_given_the_generating_permission_may_revoke(
    course, student, teacher, teachers_may_generate
):
    make_codes(student, 1)
    assert pairing_codes_revoke_all(student=student, by=teacher) == 1


def test_a_teacher_without_the_permission_may_not(course, student, teacher):
    make_codes(student, 1)
    with pytest.raises(PairingError) as refused:
        pairing_codes_revoke_all(student=student, by=teacher)
    assert refused.value.message == PairingError.NOT_ALLOWED
    assert pairing_codes_active_count(student=student) == 1


def test_observers_classmates_and_other_schools_admins_may_not(
    course, student, observer, other_admin
):
    classmate = EnrollmentFactory(course=course, type=Role.STUDENT).user
    make_codes(student, 1)
    for outsider in (observer, classmate, other_admin):
        with pytest.raises(PairingError):
            pairing_codes_revoke_all(student=student, by=outsider)
    assert pairing_codes_active_count(student=student) == 1


def test_a_leaked_code_can_be_revoked_after_self_registration_is_switched_off(
    institution, student, admin
):
    make_codes(student, 1)
    institution.self_registration = SelfRegistration.NONE
    institution.save()
    assert pairing_codes_revoke_all(student=student, by=admin) == 1


def test_an_admin_clears_every_observer_of_a_student_in_one_step(course, student, observer, admin):
    second = UserFactory(institution=course.institution)
    teachers_pick = UserFactory(institution=course.institution)
    for person in (observer, second):
        observer_link_create(
            observer=person, student=student, by=admin, source=ObserverLinkSource.ADMIN
        )
    course_observer_add(course=course, observer=teachers_pick, student=student, by=admin)

    assert observers_clear(student=student, by=admin) == 3

    assert not ObserverLink.objects.filter(state=ObserverLinkState.ACTIVE).exists()
    assert (
        not Enrollment.objects.filter(type=Role.OBSERVER)
        .exclude(state=EnrollmentState.DELETED)
        .exists()
    )
    assert AuditEvent.objects.filter(action=AuditAction.LINK_REMOVED).count() == 2


def test_only_observer_admins_may_clear_observers(course, student, observer, teacher, admin):
    observer_link_create(
        observer=observer, student=student, by=admin, source=ObserverLinkSource.ADMIN
    )
    for person in (teacher, student, observer):
        with pytest.raises(PairingError):
            observers_clear(student=student, by=person)
    assert ObserverLink.objects.get().state == ObserverLinkState.ACTIVE
