"""E-mails in the school's name: its display name as the sender's name and under the message."""

from email.utils import formataddr, parseaddr

from django.conf import settings

from accounts.models import Institution


def school_sender(institution: Institution | None) -> str:
    """DEFAULT_FROM_EMAIL's address, under the school's display name (one line, whatever it
    holds)."""
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    if institution is None or not address:
        return settings.DEFAULT_FROM_EMAIL
    return formataddr((" ".join(institution.display.split()), address))


def school_signature(institution: Institution | None) -> str:
    return f"\n-- \n{' '.join(institution.display.split())}\n" if institution else ""
