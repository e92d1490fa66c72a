"""How API tokens look and how they are hashed."""

import hashlib
import secrets

TOKEN_PREFIX = "pp_"


def token_generate() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
