"""Students hear about a new observer by e-mail, once the link is committed."""

import pytest
from django.core import mail
from django.db import transaction

from pairing.models import ObserverLinkSource
from pairing.services import (
    observer_link_create,
    observer_links_create_many,
    pairing_code_create,
    pairing_code_redeem,
)
from tests.factories import EnrollmentFactory, UserFactory


def test_a_student_is_told_by_email_when_an_observer_links(
    student, observer, django_capture_on_commit_callbacks
):
    code = pairing_code_create(student=student, by=student).code
    with django_capture_on_commit_callbacks(execute=True):
        pairing_code_redeem(code=code, observer=observer)

    [message] = mail.outbox
    assert message.to == [student.email]
    assert "Pat Parent" in message.subject
    assert "parent@example.test" in message.body
    assert code not in message.body


def test_nothing_is_sent_before_the_commit_or_for_a_link_rolled_back(
    student, observer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        observer_link_create(
            observer=observer, student=student, by=None, source=ObserverLinkSource.ADMIN
        )
    assert mail.outbox == []
    assert len(callbacks) == 1

    class Undo(Exception):
        pass

    @transaction.atomic
    def link_then_fail() -> None:
        observer_link_create(
            observer=UserFactory(institution=student.institution),
            student=student,
            by=None,
            source=ObserverLinkSource.ADMIN,
        )
        raise Undo

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Undo):
        link_then_fail()
    assert mail.outbox == []


def test_linking_again_while_linked_sends_nothing(
    student, observer, django_capture_on_commit_callbacks
):
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            observer_link_create(
                observer=observer, student=student, by=None, source=ObserverLinkSource.ADMIN
            )
    assert len(mail.outbox) == 1


def test_a_bulk_link_sends_one_notice_per_new_link_in_a_fixed_number_of_queries(
    course, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    students = [EnrollmentFactory(course=course).user for _ in range(30)]
    parent = UserFactory(institution=course.institution)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        observer_links_create_many(
            institution_id=course.institution_id,
            pairs=[(parent.pk, s.pk) for s in students],
            by=None,
            source=ObserverLinkSource.SIS_IMPORT,
        )
    with django_assert_max_num_queries(1):
        for callback in callbacks:
            callback()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(s.email for s in students)
