"""E-mails to students about their observers, sent only once the link is committed."""

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from accounts.models import User

logger = logging.getLogger(__name__)

# Messages per SMTP connection: a district's SIS import may link thousands of observers at once.
BATCH = 500


def new_observer_notices_after_commit(*, pairs: list[tuple[int, int]]) -> None:
    """Tell each student of (observer id, student id) ``pairs`` that someone now observes them,
    after the surrounding transaction commits (never for a link that was rolled back)."""
    if pairs:
        # robust: the link is committed; a notice that cannot be sent must not turn that into an
        # error for the person who made it (or stop an import half-way).
        pairs = list(pairs)

        def send() -> None:
            new_observer_notices_send(pairs=pairs)

        transaction.on_commit(send, robust=True)


def new_observer_notices_send(*, pairs: list[tuple[int, int]]) -> int:
    """Send the notices now; returns how many were sent. A mail server that is down costs the
    notices, never the links (they are committed already); the failure is logged."""
    people = User.objects.only("id", "name", "email", "is_active").in_bulk(
        {user_id for pair in pairs for user_id in pair}
    )
    messages = []
    # Students have no language of their own yet: notices go out in the portal's language.
    with translation.override(settings.LANGUAGE_CODE):
        for observer_id, student_id in pairs:
            student, observer = people.get(student_id), people.get(observer_id)
            if student is None or observer is None or not student.is_active:
                continue
            messages.append(_notice(student=student, observer=observer))
    sent = 0
    for start in range(0, len(messages), BATCH):
        try:
            sent += get_connection().send_messages(messages[start : start + BATCH]) or 0
        except (smtplib.SMTPException, OSError) as error:
            logger.warning("New-observer notices not sent: %s", error.__class__.__name__)
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
