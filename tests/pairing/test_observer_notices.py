"""Students hear about a new observer by e-mail: owed with the link, sent by the worker."""

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse

from accounts.errors import AccountError
from accounts.services import user_profile_update
from pairing.models import ObserverLink, ObserverLinkSource, ObserverLinkState, ObserverNotice
from pairing.notices import MAX_ATTEMPTS, new_observer_notices_send
from pairing.services import (
    observer_link_create,
    observer_links_create_many,
    pairing_code_create,
    pairing_code_redeem,
)
from tests.factories import EnrollmentFactory, UserFactory


def test_a_student_is_told_by_email_when_an_observer_links(student, observer):
    code = pairing_code_create(student=student, by=student).code
    pairing_code_redeem(code=code, observer=observer)
    assert mail.outbox == []  # nothing is sent inside the request

    assert new_observer_notices_send() == 1

    [message] = mail.outbox
    assert message.to == [student.email]
    assert "Pat Parent" in message.subject
    assert "parent@example.test" in message.body
    assert code not in message.body
    assert new_observer_notices_send() == 0  # sent once
    assert ObserverNotice.objects.get().sent_at is not None


def test_a_link_rolled_back_owes_nothing(student, observer):
    class Undo(Exception):
        pass

    @transaction.atomic
    def link_then_fail() -> None:
        observer_link_create(
            observer=observer, student=student, by=None, source=ObserverLinkSource.ADMIN
        )
        raise Undo

    with pytest.raises(Undo):
        link_then_fail()
    assert not ObserverNotice.objects.exists()
    assert new_observer_notices_send() == 0


def test_linking_again_while_linked_owes_nothing_more(student, observer):
    for _ in range(2):
        observer_link_create(
            observer=observer, student=student, by=None, source=ObserverLinkSource.ADMIN
        )
    assert ObserverNotice.objects.count() == 1


def test_a_bulk_link_owes_one_notice_per_new_link_and_sends_them_in_a_few_queries(
    course, django_assert_max_num_queries
):
    students = [EnrollmentFactory(course=course).user for _ in range(30)]
    parent = UserFactory(institution=course.institution)
    observer_links_create_many(
        institution_id=course.institution_id,
        pairs=[(parent.pk, s.pk) for s in students],
        by=None,
        source=ObserverLinkSource.SIS_IMPORT,
    )
    with django_assert_max_num_queries(4):
        assert new_observer_notices_send() == 30
    assert sorted(m.to[0] for m in mail.outbox) == sorted(s.email for s in students)


def test_a_mail_server_that_is_down_keeps_the_notice_owed_and_the_link_made(
    client, student, observer, settings
):
    # A real SMTP connection to a port nobody listens on: refused, as a down server would.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    code = pairing_code_create(student=student, by=student).code
    client.force_login(observer)
    response = client.post(reverse("observees"), {"code": code}, follow=True)
    assert "You are now observing Sam Student." in response.content.decode()
    assert ObserverLink.objects.get().state == ObserverLinkState.ACTIVE

    assert new_observer_notices_send() == 0
    notice = ObserverNotice.objects.get()
    assert notice.sent_at is None
    assert notice.attempts == 1

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # it is back
    assert new_observer_notices_send() == 1


def test_a_notice_the_server_keeps_refusing_is_given_up_on(student, observer, settings):
    observer_link_create(
        observer=observer, student=student, by=None, source=ObserverLinkSource.ADMIN
    )
    ObserverNotice.objects.update(attempts=MAX_ATTEMPTS)
    assert new_observer_notices_send() == 0
    assert mail.outbox == []


def test_a_name_with_a_line_break_cannot_reach_a_mail_header(student):
    with pytest.raises(AccountError) as refused:
        user_profile_update(
            user=student, name="Pat\nBcc: x@example.test", short_name="", sortable_name=""
        )
    assert refused.value.message == AccountError.NAME_HAS_CONTROL_CHARACTERS
    # One made before the rule (or behind its back) still gives a one-line subject, no Bcc.
    sneaky = UserFactory(institution=student.institution, name="Pat\nBcc: x@example.test")
    observer_link_create(observer=sneaky, student=student, by=None, source=ObserverLinkSource.ADMIN)
    new_observer_notices_send()
    [message] = mail.outbox
    assert message.message()["Subject"].startswith("Pat Bcc: x@example.test is now")
    assert message.recipients() == [student.email]
