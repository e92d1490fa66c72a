"""Students hear about a new observer by e-mail, once the link is committed."""

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse

from accounts.errors import AccountError
from accounts.services import user_profile_update
from pairing.models import ObserverLink, ObserverLinkSource, ObserverLinkState
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


def test_a_mail_server_that_is_down_loses_the_notice_not_the_link(
    client, student, observer, settings, django_capture_on_commit_callbacks
):
    # A real SMTP connection to a port nobody listens on: refused, as a down server would.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    code = pairing_code_create(student=student, by=student).code
    client.force_login(observer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("observees"), {"code": code}, follow=True)
    assert response.status_code == 200
    assert "You are now observing Sam Student." in response.content.decode()
    assert ObserverLink.objects.get().state == ObserverLinkState.ACTIVE


def test_a_name_with_a_line_break_cannot_reach_a_mail_header(
    student, django_capture_on_commit_callbacks
):
    with pytest.raises(AccountError) as refused:
        user_profile_update(
            user=student, name="Pat\nBcc: x@example.test", short_name="", sortable_name=""
        )
    assert refused.value.message == AccountError.NAME_HAS_CONTROL_CHARACTERS
    # One made before the rule (or behind its back) still gives a one-line subject, no Bcc.
    sneaky = UserFactory(institution=student.institution, name="Pat\nBcc: x@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        observer_link_create(
            observer=sneaky, student=student, by=None, source=ObserverLinkSource.ADMIN
        )
    [message] = mail.outbox
    assert message.message()["Subject"].startswith("Pat Bcc: x@example.test is now")
    assert message.recipients() == [student.email]
