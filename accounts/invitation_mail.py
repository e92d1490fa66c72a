"""The invitation e-mail, sent by its job (accounts.tasks): the link's token is drawn here.

The row stays locked while the message goes out and records the token's hash, the sending and
the expiry in the same transaction: two workers never both send it, a retry after a success finds
it sent, and a message the mail server did not take leaves no working token behind. (Should the
commit itself fail after the server took the message, that link does not work, and the retry
sends a working one.)
"""

import logging
import secrets
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.errors import SignInError
from accounts.models import Invitation, User
from accounts.services.invitations import (
    invitation_link,
    invitation_refusal,
    portal_base_url,
    token_digest,
)

logger = logging.getLogger(__name__)


class InvitationNotSentYet(Exception):
    """The mail server could not take the invitation now (down, slow, a 4xx answer): try later."""


class InvitationRefused(Exception):
    """The mail server refused the address for good, or there is no address for the link: never
    retried. Its message names no address."""


def invitation_send(*, invitation_id: int, last_try: bool = False) -> bool:
    """Send one queued invitation; returns whether a message went out. Raises
    ``InvitationNotSentYet`` (the job retries; on the ``last_try`` it is given up) or
    ``InvitationRefused`` (given up at once)."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("user", "user__institution")
            .filter(
                pk=invitation_id,
                sent_at__isnull=True,
                gave_up_at__isnull=True,
                withdrawn_at__isnull=True,
            )
            .first()
        )
        if invitation is None:  # sent already, given up, or replaced by a newer one
            return False
        person = invitation.user
        if invitation_refusal(by=None, person=person) is not None:
            _give_up(invitation)  # deactivated, or they set a password some other way
            return False
        try:
            base_url = invitation.base_url or portal_base_url(person.institution)
        except SignInError:
            _give_up(invitation)
            failure = InvitationRefused(
                f"no address for the link of institution {person.institution_id}"
            )
        else:
            token = secrets.token_urlsafe(32)
            now = timezone.now()
            invitation.token_hash = token_digest(token)
            invitation.sent_at = now
            invitation.expires_at = now + Invitation.lifetime()
            invitation.sent_to = person.email  # the link works while they log in with it
            # People have no language of their own yet: invitations go out in the portal's.
            with translation.override(settings.LANGUAGE_CODE):
                message = _message(
                    person=person, link=invitation_link(base_url=base_url, token=token)
                )
            failure = _deliver(message, person.email)
            if failure is None:
                invitation.save(update_fields=["token_hash", "sent_at", "expires_at", "sent_to"])
                return True
            if isinstance(failure, InvitationRefused) or last_try:
                _give_up(invitation)
    logger.warning("Invitation #%s not sent: %s", invitation_id, failure)
    raise failure from None


def _deliver(message: EmailMessage, address: str) -> Exception | None:
    domain = address.rpartition("@")[2] or "?"
    try:
        get_connection().send_messages([message])
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _text in error.recipients.values()]
        if codes and all(500 <= code < 600 for code in codes):
            return InvitationRefused(f"the mail server refused an address at {domain} ({codes[0]})")
        return InvitationNotSentYet(f"the mail server put off an address at {domain}")
    except (smtplib.SMTPException, OSError) as error:  # down, timed out, a 4xx answer
        return InvitationNotSentYet(f"mail server: {error.__class__.__name__}")
    except ValueError:  # an address no e-mail can carry (its error would quote it)
        return InvitationRefused(f"an address at {domain} cannot be written in an e-mail")
    return None


def _give_up(invitation: Invitation) -> None:
    Invitation.objects.filter(pk=invitation.pk).update(gave_up_at=timezone.now())


def _message(*, person: User, link: str) -> EmailMessage:
    # One line whatever the name holds: a header cannot be split into two by a line break in it.
    institution = " ".join(person.institution.name.split()) if person.institution else ""
    subject = gettext("Your account at the Pairing Portal of %(institution)s") % {
        "institution": institution
    }
    body = gettext(
        "Hello %(name)s,\n\n"
        "%(institution)s has made you an account in the Pairing Portal, which you log in to with "
        "this e-mail address: %(email)s\n\n"
        "To choose your password and sign in, open this link:\n\n%(link)s\n\n"
        "The link works once, for %(days)s days. If it has expired, ask your school office for a "
        "new one, or use “Forgot your password?” on the log-in page.\n"
        "If you did not expect this e-mail, you can ignore it.\n"
    ) % {
        "name": person.name,
        "institution": institution,
        "email": person.email,
        "link": link,
        "days": settings.INVITATION_DAYS,
    }
    return EmailMessage(subject=subject, body=body, to=[person.email])
