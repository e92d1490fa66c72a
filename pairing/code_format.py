"""What a pairing code looks like, how one is drawn, and the keyed hash that is stored instead."""

import hashlib
import hmac
import secrets

from django.conf import settings

# Letters and digits without the look-alikes 0 O o 1 l I: 56 symbols, 56**6 ≈ 3.1e10 codes (34.8 bits).
ALPHABET = "".join(
    c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789" if c not in "0Oo1lI"
)
CODE_LENGTH = 6


def code_generate() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def code_normalize(raw: str) -> str | None:
    """The code as typed without surrounding spaces, or None if it cannot be a code at all.

    Codes are case-sensitive, so nothing else is changed. Letters outside the alphabet (a typed
    "O" for a "0") can never match a code we made, so they are refused before any lookup.
    """
    code = raw.strip()
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def code_hash(code: str) -> str:
    """HMAC-SHA256 of the code under a key derived from SECRET_KEY, so a database dump is useless.

    Changing SECRET_KEY therefore retires every active code (they last seven days at most).
    """
    key = hashlib.sha256(b"pairing-portal.pairing-code:" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()
