"""E-mails to an institution's admins when wrong pairing codes there become abnormal: owed once a
day by the failure that crosses the limit, sent by the background worker."""

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.models import Institution, User
from pairing.models import GuessingAlert
from pairing.notices import MAX_ATTEMPTS

logger = logging.getLogger(__name__)


def guessing_alert_owe(*, institution_id: int) -> None:
    """Owe the institution's admins today's alert, unless it is already owed or sent.

    One statement; the constraint decides between requests that cross the limit together.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {GuessingAlert._meta.db_table}
                (institution_id, day, created_at, attempts)
            VALUES (%s, %s, %s, 0)
            ON CONFLICT ON CONSTRAINT guessing_alert_once_a_day DO NOTHING
            """,  # noqa: S608 - the table name is ours; every value is a parameter
            [institution_id, timezone.now().date(), timezone.now()],
        )


def guessing_alerts_send() -> int:
    """Send the alerts owed now; returns how many messages went out.

    SKIP LOCKED: several workers never send one alert twice. A mail server that refuses leaves
    the alert owed for the next round (up to MAX_ATTEMPTS), and is logged.
    """
    with transaction.atomic():
        owed = list(
            GuessingAlert.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
            .select_related("institution")
            .order_by("created_at", "id")
        )
        if not owed:
            return 0
        with translation.override(settings.LANGUAGE_CODE):
            messages = [message for alert in owed for message in _alerts(alert.institution)]
        ids = [alert.pk for alert in owed]
        try:
            sent = (get_connection().send_messages(messages) or 0) if messages else 0
        except (smtplib.SMTPException, OSError) as error:
            logger.warning("Guessing alerts not sent yet: %s", error.__class__.__name__)
            GuessingAlert.objects.filter(pk__in=ids).update(attempts=F("attempts") + 1)
            return 0
        GuessingAlert.objects.filter(pk__in=ids).update(sent_at=timezone.now())
        return sent


def _alerts(institution: Institution) -> list[EmailMessage]:
    admins = list(
        User.objects.filter(institution=institution, is_account_admin=True, is_active=True)
        .exclude(email="")
        .order_by("id")
        .values_list("email", flat=True)
    )
    limit = settings.PAIRING_FAILURES_PER_INSTITUTION_PER_DAY[0]
    subject = gettext("Many wrong pairing codes at %(institution)s today") % {
        "institution": " ".join(institution.name.split())
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
    ) % {"limit": limit, "institution": institution.name}
    return [EmailMessage(subject=subject, body=body, to=[email]) for email in admins]
