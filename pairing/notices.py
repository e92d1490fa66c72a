"""E-mails to students about their observers: owed in the link's transaction, one job each.

A notice is a row (``ObserverNotice``) and a queued job (``pairing.observer_notice_send``), both
written in the transaction that makes the link, so a rolled-back link owes nothing and a committed
one is never forgotten. The job sends that one notice; the row is the record that it was sent.

Queueing a job costs some 0.2 ms (its row, its event): a roster import's thousand new links would
spend most of their time on it. So past NOTICES_QUEUED_AT_ONCE, the link's transaction queues one
job instead (``pairing.observer_notices_queue``, also written only if it commits), and the worker
running it queues the notices' own jobs, one each, as before.
"""

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.mail import school_sender, school_signature
from accounts.models import User
from pairing.models import ObserverNotice
from pairing_portal.jobs import jobs_defer

logger = logging.getLogger(__name__)

NOTICE_TASK = "pairing.observer_notice_send"
NOTICES_QUEUE_TASK = "pairing.observer_notices_queue"
NOTICES_QUEUED_AT_ONCE = 100  # a redemption's one, a page's few; more are queued by a job
OLD_NOTICES_KEPT_DAYS = 30


class NoticeNotSentYet(Exception):
    """The mail server could not take the notice now (down, slow, a 4xx answer): try later."""


class NoticeRefused(Exception):
    """The mail server refused the student's address for good (a 5xx answer): never retried.

    Its message names the address's domain only.
    """


def new_observer_notices_owe(*, pairs: list[tuple[int, int]]) -> None:
    """Owe each student of (observer id, student id) ``pairs`` a notice, in the caller's
    transaction: two statements (the rows, then their jobs, or the one job that queues them)
    however many links an import makes."""
    if not pairs:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {ObserverNotice._meta.db_table} (observer_id, student_id, created_at)
            SELECT pair.observer_id, pair.student_id, %s
            FROM unnest(%s::bigint[], %s::bigint[]) AS pair(observer_id, student_id)
            RETURNING id
            """,  # noqa: S608 - the table name is ours; every value is a parameter
            [
                timezone.now(),
                [observer for observer, _student in pairs],
                [student for _observer, student in pairs],
            ],
        )
        ids = [notice_id for (notice_id,) in cursor.fetchall()]
    notice_jobs_queue(notice_ids=ids)


def notice_jobs_queue(*, notice_ids: list[int]) -> None:
    """Queue the jobs that send the notices just owed (rows written in the caller's transaction,
    by ``new_observer_notices_owe`` or by a redemption's own statement): one job each, or past
    NOTICES_QUEUED_AT_ONCE the one job that queues them."""
    ids = notice_ids
    if not ids:
        return
    if len(ids) > NOTICES_QUEUED_AT_ONCE:
        jobs_defer(NOTICES_QUEUE_TASK, [{"notice_ids": ids}])
    else:
        jobs_defer(NOTICE_TASK, [{"notice_id": notice_id} for notice_id in ids])


def observer_notices_queue(*, notice_ids: list[int]) -> int:
    """Queue the job of each notice still owed among ``notice_ids`` (one job each, as if queued
    with its link); returns how many. Run again, it queues again, and each notice still goes once:
    its job finds it sent."""
    owed = list(
        ObserverNotice.objects.filter(
            pk__in=notice_ids, sent_at__isnull=True, gave_up_at__isnull=True
        ).values_list("pk", flat=True)
    )
    jobs_defer(NOTICE_TASK, [{"notice_id": notice_id} for notice_id in sorted(owed)])
    return len(owed)


def observer_notice_send(*, notice_id: int, last_try: bool = False) -> bool:
    """Send one owed notice; returns whether a message went out.

    The row stays locked while the message goes out and is marked sent in the same transaction:
    two workers never both send it, and a retry after a success finds it sent and does nothing.
    Raises ``NoticeNotSentYet`` when the mail server could not take it now (the job retries it;
    on the ``last_try`` the notice is given up) and ``NoticeRefused`` when the server refused the
    address for good (given up at once). Other notices are never affected.
    """
    with transaction.atomic():
        notice = (
            ObserverNotice.objects.select_for_update(of=("self",))
            .select_related("student", "observer")
            .filter(pk=notice_id, sent_at__isnull=True, gave_up_at__isnull=True)
            .first()
        )
        if notice is None:  # sent already, given up, or its student deleted since
            return False
        student = notice.student
        if not (student.is_active and student.email):
            _give_up(notice)  # nobody left to tell
            return False
        # Students have no language of their own yet: notices go out in the portal's language.
        with translation.override(settings.LANGUAGE_CODE):
            message = _notice(student=student, observer=notice.observer)
        try:
            get_connection().send_messages([message])
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _text in error.recipients.values()]
            failure = _refusal(student.email, codes)
        except (smtplib.SMTPException, OSError) as error:  # down, timed out, a 4xx answer
            failure = NoticeNotSentYet(f"mail server: {error.__class__.__name__}")
        except ValueError:  # an address no e-mail can carry (its error would quote it)
            failure = _refusal(student.email, [])
        else:
            notice.sent_at = timezone.now()
            notice.save(update_fields=["sent_at"])
            return True
        if isinstance(failure, NoticeRefused) or last_try:
            _give_up(notice)
    if isinstance(failure, NoticeRefused):
        logger.warning("New-observer notice #%s not sent: %s", notice_id, failure)
    # Raised without its cause: the mail library's error names the address.
    raise failure from None


def _refusal(address: str, codes: list[int]) -> Exception:
    domain = address.rpartition("@")[2] or "?"
    if not codes:
        return NoticeRefused(f"an address at {domain} cannot be written in an e-mail")
    if all(500 <= code < 600 for code in codes):
        return NoticeRefused(f"the mail server refused an address at {domain} ({codes[0]})")
    return NoticeNotSentYet(f"the mail server put off an address at {domain} ({codes[0]})")


def _give_up(notice: ObserverNotice) -> None:
    notice.gave_up_at = timezone.now()
    notice.save(update_fields=["gave_up_at"])


def observer_notices_prune(*, days: int = OLD_NOTICES_KEPT_DAYS) -> int:
    """Forget notices sent (or given up) more than ``days`` ago; returns how many went."""
    before = timezone.now() - timedelta(days=days)
    deleted, _ = ObserverNotice.objects.filter(
        Q(sent_at__lt=before) | Q(gave_up_at__lt=before)
    ).delete()
    return deleted


def _notice(*, student: User, observer: User) -> EmailMessage:
    # One line whatever the name holds: a header cannot be split into two by a line break in it.
    one_line = " ".join(observer.name.split())
    subject = gettext("%(observer)s is now observing your courses") % {"observer": one_line}
    body = gettext(
        "Hello %(student)s,\n\n"
        "%(observer)s (%(email)s) can now see your courses and grades in the Pairing Portal as "
        "your observer.\n\n"
        "You can see who observes you in the portal, under User Settings.\n"
        "If you don't know this person, tell your school office straight away.\n"
    ) % {
        "student": student.name,
        "observer": observer.name,
        "email": observer.email,
    }
    institution = student.institution
    return EmailMessage(
        subject=subject,
        body=body + school_signature(institution),
        from_email=school_sender(institution),
        to=[student.email],
    )
