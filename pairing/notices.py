"""E-mails to students about their observers: owed in the link's transaction, sent by the worker."""

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.models import User
from pairing.models import ObserverNotice

logger = logging.getLogger(__name__)

BATCH = 500  # messages per SMTP connection
MAX_ATTEMPTS = 5  # a notice the mail server keeps refusing is given up on after this many tries


def new_observer_notices_owe(*, pairs: list[tuple[int, int]]) -> None:
    """Owe each student of (observer id, student id) ``pairs`` a notice, in the caller's
    transaction: one statement however many links an import makes."""
    if not pairs:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {ObserverNotice._meta.db_table} (observer_id, student_id, created_at, attempts)
            SELECT pair.observer_id, pair.student_id, %s, 0
            FROM unnest(%s::bigint[], %s::bigint[]) AS pair(observer_id, student_id)
            """,  # noqa: S608 - the table name is ours; every value is a parameter
            [
                timezone.now(),
                [observer for observer, _student in pairs],
                [student for _observer, student in pairs],
            ],
        )


def new_observer_notices_send(*, limit: int = BATCH) -> int:
    """Send up to ``limit`` owed notices; returns how many went out.

    SKIP LOCKED: several workers never send one notice twice. A mail server that refuses or
    does not answer leaves them owed for the next round (up to MAX_ATTEMPTS), and is logged.
    """
    with transaction.atomic():
        owed = list(
            ObserverNotice.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
            .select_related("student", "observer")
            .order_by("created_at", "id")[:limit]
        )
        if not owed:
            return 0
        # Students have no language of their own yet: notices go out in the portal's language.
        with translation.override(settings.LANGUAGE_CODE):
            messages = [
                _notice(student=notice.student, observer=notice.observer)
                for notice in owed
                if notice.student.is_active and notice.student.email
            ]
        ids = [notice.pk for notice in owed]
        try:
            sent = (get_connection().send_messages(messages) or 0) if messages else 0
        except (smtplib.SMTPException, OSError) as error:
            logger.warning("New-observer notices not sent yet: %s", error.__class__.__name__)
            ObserverNotice.objects.filter(pk__in=ids).update(attempts=F("attempts") + 1)
            return 0
        ObserverNotice.objects.filter(pk__in=ids).update(sent_at=timezone.now())
        return sent


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
    return EmailMessage(subject=subject, body=body, to=[student.email])
