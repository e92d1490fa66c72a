"""Per-institution pairing settings: how long codes last, and whether students may remove observers."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.errors import AccountError
from accounts.models import AuditAction, AuditEvent
from accounts.services import institution_pairing_settings_set
from pairing.errors import PairingError
from pairing.models import ObserverLinkSource, ObserverLinkState
from pairing.services import (
    observer_link_create,
    observer_link_remove,
    pairing_code_create,
    pairing_codes_create_for_course,
)
from tests.db import refused_by


def set_settings(institution, *, days=7, students_remove=False, by=None):
    return institution_pairing_settings_set(
        institution=institution,
        code_lifetime_days=days,
        students_may_remove_observers=students_remove,
        by=by,
    )


def test_codes_last_seven_days_unless_the_institution_says_otherwise(institution, student, admin):
    assert pairing_code_create(student=student, by=student).lifetime_days == 7

    set_settings(institution, days=21, by=admin)
    student.refresh_from_db()
    issued = pairing_code_create(student=student, by=student)

    assert issued.lifetime_days == 21
    assert abs(issued.record.expires_at - (timezone.now() + timedelta(days=21))) < timedelta(
        minutes=1
    )


def test_the_export_uses_the_institutions_lifetime(course, student, admin):
    set_settings(course.institution, days=1, by=admin)
    course.refresh_from_db()
    [(_student, issued)] = pairing_codes_create_for_course(course=course, by=admin)
    assert issued.lifetime_days == 1


@pytest.mark.parametrize("days", [0, 31, -1])
def test_lifetimes_outside_one_to_thirty_days_are_refused(institution, admin, days):
    with pytest.raises(AccountError) as refused:
        set_settings(institution, days=days, by=admin)
    assert refused.value.message == AccountError.CODE_LIFETIME_OUT_OF_RANGE
    institution.refresh_from_db()
    assert institution.pairing_code_lifetime_days == 7


def test_the_database_refuses_an_out_of_range_lifetime_too(institution):
    institution.pairing_code_lifetime_days = 90
    with refused_by("institution_code_lifetime_in_range"):
        institution.save()


def test_only_the_institutions_admins_change_pairing_settings(
    institution, teacher, student, other_admin
):
    for person in (teacher, student, other_admin):
        with pytest.raises(AccountError) as refused:
            set_settings(institution, days=3, by=person)
        assert refused.value.message == AccountError.NOT_AN_ADMIN


def test_a_change_is_recorded_with_before_and_after(institution, admin):
    set_settings(institution, days=14, students_remove=True, by=admin)
    set_settings(institution, days=14, students_remove=True, by=admin)  # no change, no entry
    event = AuditEvent.objects.get(action=AuditAction.PAIRING_SETTINGS_CHANGED)
    assert event.actor == admin
    assert event.details == {
        "pairing_code_lifetime_days": {"from": 7, "to": 14},
        "students_may_remove_observers": {"from": False, "to": True},
    }


def test_students_may_not_remove_their_observers_by_default(institution, student, observer):
    link = observer_link_create(
        observer=observer, student=student, by=None, source=ObserverLinkSource.ADMIN
    )
    with pytest.raises(PairingError) as refused:
        observer_link_remove(link=link, by=student)
    assert refused.value.message == PairingError.NOT_ALLOWED_TO_REMOVE_LINK


def test_students_may_remove_their_observers_where_the_institution_allows_it(
    institution, student, observer, admin
):
    set_settings(institution, students_remove=True, by=admin)
    link = observer_link_create(
        observer=observer, student=student, by=None, source=ObserverLinkSource.ADMIN
    )
    assert observer_link_remove(link=link, by=student).state == ObserverLinkState.DELETED
