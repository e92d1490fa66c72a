"""Deployment checks of our own, run by `manage.py check --deploy` beside Django's."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

from pairing_portal.config import UNDELIVERED_EMAIL_BACKENDS


@register(Tags.security, deploy=True)
def mail_is_delivered(app_configs, **kwargs) -> list[Warning]:
    """Password-reset links go by e-mail: a backend that prints or drops mail defeats them, and
    the console's puts them in the server's log."""
    what = UNDELIVERED_EMAIL_BACKENDS.get(settings.EMAIL_BACKEND)
    if what is None:
        return []
    return [
        Warning(
            f"The e-mail backend {what}: password resets and notices never reach anyone.",
            hint="Set EMAIL_URL to a mail server, e.g. smtp+tls://user:password@mail.example.org:587 "
            "(and remove EMAIL_ALLOW_CONSOLE).",
            id="pairing_portal.W001",
        )
    ]


@register(Tags.security, deploy=True)
def language_cookie_is_secure(app_configs, **kwargs) -> list[Warning]:
    if settings.LANGUAGE_COOKIE_SECURE and settings.LANGUAGE_COOKIE_SAMESITE:
        return []
    return [
        Warning(
            "The language cookie is not marked Secure and SameSite.",
            hint="Set LANGUAGE_COOKIE_SECURE = True and LANGUAGE_COOKIE_SAMESITE = 'Lax'.",
            id="pairing_portal.W002",
        )
    ]
