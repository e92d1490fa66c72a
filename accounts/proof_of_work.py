"""Proofs of work (ALTCHA): a second of a browser's time for each attempt while guessing is rife.

The server makes a challenge signed with a key derived from SECRET_KEY and bound to a purpose (a
log-in to one account, a sign-up or a redemption at one institution); the browser's widget
(static/vendor/altcha) finds the number that solves it and sends the solution with the form as
``altcha``. A solution is accepted once: its challenge's nonce is recorded until it expires, so
a solved challenge cannot be replayed. Nothing leaves the portal: no outside service is asked.
"""

import json
import secrets
from datetime import timedelta

import altcha
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.models import SpentChallenge

PROOF_FIELD = "altcha"  # the form field (and API parameter) that carries a solution
ALGORITHM = "PBKDF2/SHA-256"  # bundled with the widget; WebCrypto computes it natively


def _secret(purpose: str) -> bytes:
    return salted_hmac("accounts.proof_of_work", purpose).digest()


def challenge_create(*, purpose: str) -> dict:
    """A fresh challenge for ``purpose``, as the widget and the API take it (JSON-ready).

    The solving number is drawn between half and all of PROOF_OF_WORK_MAX_NUMBER, so that the
    work, and the wait, vary little: a browser tries every number from 0 up to it.
    """
    most = int(settings.PROOF_OF_WORK_MAX_NUMBER)
    challenge = altcha.create_challenge(
        algorithm=ALGORITHM,
        cost=int(settings.PROOF_OF_WORK_COST),
        counter=most // 2 + secrets.randbelow(most - most // 2 + 1),
        expires_at=timezone.now() + timedelta(seconds=int(settings.PROOF_OF_WORK_EXPIRES)),
        data={"purpose": purpose},
        hmac_secret=_secret("challenge"),
        hmac_key_secret=_secret("key"),
    )
    return challenge.to_dict()


def challenge_json(*, purpose: str) -> str:
    return json.dumps(challenge_create(purpose=purpose), separators=(",", ":"))


def proof_verify(*, payload: object, purpose: str) -> bool:
    """Whether ``payload`` solves an unexpired challenge of ours for ``purpose``, used only now."""
    if not isinstance(payload, str) or not payload or len(payload) > 4096:
        return False
    result = altcha.verify_solution(
        payload, hmac_secret=_secret("challenge"), hmac_key_secret=_secret("key")
    )
    if not result.verified:
        return False
    parameters = altcha.Payload.from_base64(payload).challenge.parameters
    if (parameters.data or {}).get("purpose") != purpose:
        return False
    return _spend(nonce=parameters.nonce, expires_at=parameters.expires_at)


def _spend(*, nonce: str, expires_at: int) -> bool:
    """Record the nonce as used; False if it already was (by this process or any other).

    One statement: the insert, which the unique nonce lets only one request win, and the pruning
    of challenges that expired (they could not be used again anyway).
    """
    table = SpentChallenge._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH pruned AS (DELETE FROM {table} WHERE expires_at < %s)
            INSERT INTO {table} (nonce, expires_at) VALUES (%s, to_timestamp(%s))
            ON CONFLICT (nonce) DO NOTHING
            RETURNING 1
            """,  # noqa: S608 - the table name is ours; every value is a parameter
            [timezone.now(), nonce, expires_at],
        )
        return cursor.fetchone() is not None
