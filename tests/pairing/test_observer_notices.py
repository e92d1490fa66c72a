"""Students hear about a new observer by e-mail: owed with the link, one job per notice, sent once
through a real SMTP server even when it refuses an address or is down for a while."""

import logging

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.errors import AccountError
from accounts.services import user_profile_update
from pairing.models import ObserverLink, ObserverLinkSource, ObserverLinkState, ObserverNotice
from pairing.notices import (
    NOTICE_TASK,
    NOTICES_QUEUE_TASK,
    NOTICES_QUEUED_AT_ONCE,
    NoticeNotSentYet,
    NoticeRefused,
    observer_notice_send,
)
from pairing.services import (
    observer_link_create,
    observer_links_create_many,
    pairing_code_create,
    pairing_code_redeem,
)
from tests.factories import EnrollmentFactory, UserFactory
from tests.jobs import jobs_of, make_retries_due, run_due_jobs


def test_a_student_is_told_by_email_when_an_observer_links(student, observer):
    code = pairing_code_create(student=student, by=student).code
    pairing_code_redeem(code=code, observer=observer)
    assert mail.outbox == []  # nothing is sent inside the request
    notice = ObserverNotice.objects.get()
    [job] = jobs_of(NOTICE_TASK)
    assert (job.args, job.status) == ({"notice_id": notice.pk}, "todo")

    assert observer_notice_send(notice_id=notice.pk)  # what the job does

    [message] = mail.outbox
    assert message.to == [student.email]
    assert "Pat Parent" in message.subject
    assert "parent@example.test" in message.body
    assert code not in message.body
    assert not observer_notice_send(notice_id=notice.pk)  # a retry after success sends nothing
    assert len(mail.outbox) == 1
    notice.refresh_from_db()
    assert notice.sent_at is not None


def test_a_link_rolled_back_owes_nothing(student, observer):
    class Undo(Exception):
        pass

    @transaction.atomic
    def link_then_fail() -> None:
        observer_link_create(
            observer=observer, student=student, by=None, source=ObserverLinkSource.ADMIN
        )
        assert len(jobs_of(NOTICE_TASK)) == 1  # queued in the link's transaction...
        raise Undo

    with pytest.raises(Undo):
        link_then_fail()
    assert not ObserverNotice.objects.exists()
    assert jobs_of(NOTICE_TASK) == []  # ...and gone with it


def test_linking_again_while_linked_owes_nothing_more(student, observer):
    for _ in range(2):
        observer_link_create(
            observer=observer, student=student, by=None, source=ObserverLinkSource.ADMIN
        )
    assert ObserverNotice.objects.count() == 1
    assert len(jobs_of(NOTICE_TASK)) == 1


def test_a_bulk_link_queues_its_jobs_in_as_many_statements_as_a_single_link(course):
    parent = UserFactory(institution=course.institution)

    def statements_to_link(count: int) -> int:
        students = [EnrollmentFactory(course=course).user for _ in range(count)]
        with CaptureQueriesContext(connection) as statements:
            observer_links_create_many(
                institution_id=course.institution_id,
                pairs=[(parent.pk, s.pk) for s in students],
                by=None,
                source=ObserverLinkSource.SIS_IMPORT,
            )
        return len(statements)

    assert statements_to_link(40) == statements_to_link(1)
    assert len(jobs_of(NOTICE_TASK)) == 41


def test_a_name_with_a_line_break_cannot_reach_a_mail_header(student):
    with pytest.raises(AccountError) as refused:
        user_profile_update(
            user=student, name="Pat\nBcc: x@example.test", short_name="", sortable_name=""
        )
    assert refused.value.message == AccountError.NAME_HAS_CONTROL_CHARACTERS
    # One made before the rule (or behind its back) still gives a one-line subject, no Bcc.
    sneaky = UserFactory(institution=student.institution, name="Pat\nBcc: x@example.test")
    observer_link_create(observer=sneaky, student=student, by=None, source=ObserverLinkSource.ADMIN)
    observer_notice_send(notice_id=ObserverNotice.objects.get().pk)
    [message] = mail.outbox
    assert message.message()["Subject"].startswith("Pat Bcc: x@example.test is now")
    assert message.recipients() == [student.email]


def test_a_notice_that_cannot_go_on_its_last_try_is_given_up(student, observer, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    observer_link_create(
        observer=observer, student=student, by=None, source=ObserverLinkSource.ADMIN
    )
    notice = ObserverNotice.objects.get()
    with pytest.raises(NoticeNotSentYet):
        observer_notice_send(notice_id=notice.pk)
    notice.refresh_from_db()
    assert (notice.sent_at, notice.gave_up_at) == (None, None)  # owed still: a retry comes
    with pytest.raises(NoticeNotSentYet):
        observer_notice_send(notice_id=notice.pk, last_try=True)
    notice.refresh_from_db()
    assert notice.gave_up_at is not None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert not observer_notice_send(notice_id=notice.pk)  # given up is given up


def test_an_address_no_email_can_carry_is_given_up_without_quoting_it(student, observer, caplog):
    User = type(student)
    User.objects.filter(pk=student.pk).update(email="kid\nBcc: all@school.example")
    observer_link_create(
        observer=observer, student=student, by=None, source=ObserverLinkSource.ADMIN
    )
    notice = ObserverNotice.objects.get()
    with pytest.raises(NoticeRefused) as refused:
        observer_notice_send(notice_id=notice.pk)
    assert "Bcc" not in str(refused.value)
    assert "Bcc" not in caplog.text
    assert mail.outbox == []
    notice.refresh_from_db()
    assert notice.gave_up_at is not None


# --- A real worker and a real SMTP server ---------------------------------------------------------


def _link_many(course, count: int) -> list:
    students = [EnrollmentFactory(course=course).user for _ in range(count)]
    parent = UserFactory(institution=course.institution, name="Pat Parent")
    observer_links_create_many(
        institution_id=course.institution_id,
        pairs=[(parent.pk, s.pk) for s in students],
        by=None,
        source=ObserverLinkSource.SIS_IMPORT,
    )
    return students


def test_an_imports_chunk_of_links_owes_its_notices_through_one_job_that_queues_each(
    job_queue, course, smtp_server
):
    many = NOTICES_QUEUED_AT_ONCE + 1
    students = _link_many(course, many)
    # The links' transaction queued one job, cheaply, and no notice's own job yet.
    assert jobs_of(NOTICE_TASK) == []
    [queueing] = jobs_of(NOTICES_QUEUE_TASK)
    assert len(queueing.args["notice_ids"]) == many

    run_due_jobs()
    run_due_jobs()  # another round finds nothing more to do

    assert sorted(smtp_server.mailbox.recipients()) == sorted(s.email for s in students)  # once
    assert [job.status for job in jobs_of(NOTICE_TASK)] == ["succeeded"] * many
    assert [job.status for job in jobs_of(NOTICES_QUEUE_TASK)] == ["succeeded"]


def test_queueing_the_notices_again_sends_none_twice(job_queue, course, smtp_server):
    from pairing.notices import observer_notices_queue

    _link_many(course, NOTICES_QUEUED_AT_ONCE + 1)
    run_due_jobs()
    ids = list(ObserverNotice.objects.values_list("pk", flat=True))

    assert observer_notices_queue(notice_ids=ids) == 0  # all sent: none is queued again
    assert len(smtp_server.mailbox.recipients()) == NOTICES_QUEUED_AT_ONCE + 1


def test_one_refused_address_fails_its_notice_alone_and_the_others_go_once(
    job_queue, course, smtp_server, caplog
):
    students = _link_many(course, 6)
    refused = students[2]
    refused.email = "gone@closed-school.example"
    refused.save(update_fields=["email"])
    smtp_server.mailbox.refuse = {refused.email}

    with caplog.at_level(logging.INFO):
        run_due_jobs()
        run_due_jobs()  # another round finds nothing more to do

    delivered = sorted(s.email for s in students if s != refused)
    assert smtp_server.mailbox.recipients() == delivered  # each once
    assert {notice.student_id: bool(notice.sent_at) for notice in ObserverNotice.objects.all()} == {
        s.pk: s != refused for s in students
    }
    assert ObserverNotice.objects.get(student=refused).gave_up_at is not None
    statuses = {job.args["notice_id"]: job.status for job in jobs_of(NOTICE_TASK)}
    refused_notice = ObserverNotice.objects.get(student=refused).pk
    assert statuses.pop(refused_notice) == "failed"  # never retried: the address is wrong
    assert set(statuses.values()) == {"succeeded"}
    # The logs say which domain refused, never whose address it was.
    assert "closed-school.example" in caplog.text
    assert "gone@" not in caplog.text


def test_a_mail_server_that_is_down_gets_the_notice_later_and_once(
    job_queue, client, student, observer, smtp_server
):
    smtp_server.stop()  # down: connections are refused
    code = pairing_code_create(student=student, by=student).code
    client.force_login(observer)
    response = client.post(reverse("observees"), {"code": code}, follow=True)
    assert "You are now observing Sam Student." in response.content.decode()

    run_due_jobs()
    [job] = jobs_of(NOTICE_TASK)
    assert (job.status, job.attempts) == ("todo", 1)  # to be retried, after a pause
    assert ObserverNotice.objects.get().sent_at is None
    assert ObserverLink.objects.get().state == ObserverLinkState.ACTIVE  # the link stays

    smtp_server.start()  # back
    run_due_jobs()
    assert smtp_server.mailbox.messages == []  # its retry is not due yet
    make_retries_due()
    run_due_jobs()
    assert smtp_server.mailbox.recipients() == [student.email]
    [job] = jobs_of(NOTICE_TASK)
    assert job.status == "succeeded"


def test_a_job_run_again_after_its_notice_went_out_sends_nothing(
    job_queue, student, observer, smtp_server
):
    observer_link_create(
        observer=observer, student=student, by=None, source=ObserverLinkSource.ADMIN
    )
    run_due_jobs()
    # As if its worker had died between sending and recording the job's end: it runs again.
    [job] = jobs_of(NOTICE_TASK)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE procrastinate_jobs SET status = 'todo' WHERE id = %s", [job.pk])
    run_due_jobs()
    assert [job.status for job in jobs_of(NOTICE_TASK)] == ["succeeded"]
    assert smtp_server.mailbox.recipients() == [student.email]
