"""Secrets the portal must keep and read back (an identity provider's client secret), encrypted.

Fernet, with a key derived from SECRET_KEY for this purpose alone; keys from SECRET_KEY_FALLBACKS
still open what they sealed, so rotating SECRET_KEY (with the old key kept as a fallback until
the secrets are saved again) loses nothing. A database dump alone reveals none of them.
"""

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.utils.crypto import salted_hmac

_PURPOSE = "accounts.sealed"


def _fernet(secret: str | None) -> Fernet:
    digest = salted_hmac(_PURPOSE, "key", secret=secret, algorithm="sha256").digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _keys() -> MultiFernet:
    return MultiFernet(
        [_fernet(None), *(_fernet(secret) for secret in settings.SECRET_KEY_FALLBACKS)]
    )


def seal(text: str) -> str:
    return _keys().encrypt(text.encode()).decode()


def unseal(sealed: str) -> str | None:
    """The text, or None where no key opens it (SECRET_KEY changed without a fallback)."""
    if not sealed:
        return ""
    try:
        return _keys().decrypt(sealed.encode()).decode()
    except InvalidToken:
        return None
