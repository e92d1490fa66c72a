"""E-mails to an institution's admins when wrong pairing codes there become abnormal: owed once a
day by the failure that crosses the limit, with a job that sends it."""

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.mail import school_sender, school_signature
from accounts.models import Institution, User
from pairing.models import GuessingAlert
from pairing_portal.jobs import jobs_defer

logger = logging.getLogger(__name__)

ALERT_TASK = "pairing.guessing_alert_send"


class AlertNotSentYet(Exception):
    """The mail server could not take the alert now: the job tries again later."""


@transaction.atomic
def guessing_alert_owe(*, institution_id: int) -> None:
    """Owe the institution's admins today's alert, unless it is already owed or sent.

    One statement for the row; the constraint decides between requests that cross the limit
    together, and only the one that wrote it queues the job.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {GuessingAlert._meta.db_table} (institution_id, day, created_at)
            VALUES (%s, %s, %s)
            ON CONFLICT ON CONSTRAINT guessing_alert_once_a_day DO NOTHING
            RETURNING id
            """,  # noqa: S608 - the table name is ours; every value is a parameter
            [institution_id, timezone.now().date(), timezone.now()],
        )
        written = cursor.fetchone()
    if written is not None:
        jobs_defer(ALERT_TASK, [{"alert_id": written[0]}])


def guessing_alert_send(*, alert_id: int, last_try: bool = False) -> bool:
    """Send one owed alert, one message to all the institution's admins; returns whether it went.

    Locked while sending and marked sent in the same transaction, like the observer notices: it
    goes out once. Raises ``AlertNotSentYet`` when the mail server could not take it now (on the
    ``last_try`` it is given up).
    """
    with transaction.atomic():
        alert = (
            GuessingAlert.objects.select_for_update(of=("self",))
            .select_related("institution")
            .filter(pk=alert_id, sent_at__isnull=True, gave_up_at__isnull=True)
            .first()
        )
        if alert is None:
            return False
        with translation.override(settings.LANGUAGE_CODE):
            message = _alert(alert.institution)
        if message is None:  # no admin with an address to tell
            alert.gave_up_at = timezone.now()
            alert.save(update_fields=["gave_up_at"])
            return False
        try:
            get_connection().send_messages([message])
        except (smtplib.SMTPException, OSError) as error:
            failure = AlertNotSentYet(f"mail server: {error.__class__.__name__}")
        else:
            alert.sent_at = timezone.now()
            alert.save(update_fields=["sent_at"])
            return True
        if last_try:
            alert.gave_up_at = timezone.now()
            alert.save(update_fields=["gave_up_at"])
    raise failure from None


def _alert(institution: Institution) -> EmailMessage | None:
    admins = list(
        User.objects.filter(institution=institution, is_account_admin=True, is_active=True)
        .exclude(email="")
        .order_by("id")
        .values_list("email", flat=True)
    )
    limit = settings.PAIRING_FAILURES_PER_INSTITUTION_PER_DAY[0]
    subject = gettext("Many wrong pairing codes at %(institution)s today") % {
        "institution": " ".join(institution.display.split())
    }
    body = gettext(
        "Hello,\n\n"
        "More than %(limit)s wrong pairing codes were entered at %(institution)s in the last "
        "day. That is far more than parents mistype: someone is probably guessing codes.\n\n"
        "Nobody is turned away. Until the number falls again, everyone who enters a pairing code "
        "or signs up there is asked for a proof of work: their browser spends about a second on "
        "it, which costs a guesser that second for every guess. Addresses and networks that "
        "guess too often are stopped as usual.\n\n"
        "The portal's audit trail shows each wrong code's time and the address it came from.\n\n"
        "This e-mail is sent at most once a day.\n"
    ) % {"limit": limit, "institution": institution.display}
    # One message to every admin (colleagues at one institution): sent once, or not at all.
    if not admins:
        return None
    return EmailMessage(
        subject=subject,
        body=body + school_signature(institution),
        from_email=school_sender(institution),
        to=admins,
    )
