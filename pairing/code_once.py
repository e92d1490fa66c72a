"""A code just made, kept in the maker's session until the page after the redirect shows it.

Making a code is a POST that redirects (Post/Redirect/Get), so reloading the page that shows the
code never makes another one, nor retires one already handed out. The code waits in the session
between the two requests, encrypted with a key derived from SECRET_KEY (a dump of the session
table holds no code), and is taken out by the first page that shows it: a reload finds nothing and
says the code was shown.
"""

import base64
import json
from dataclasses import dataclass
from datetime import datetime

from cryptography.fernet import Fernet, InvalidToken
from django.contrib.sessions.backends.base import SessionBase
from django.utils.crypto import salted_hmac
from django.utils.dateparse import parse_datetime

from pairing.services.codes import IssuedCode

SESSION_KEY = "pairing:code-to-show"
# A code not looked at within this many seconds is not shown any more (it still works).
SHOW_WITHIN_SECONDS = 600


@dataclass(frozen=True)
class CodeToShow:
    code: str
    expires_at: datetime
    lifetime_days: int


def code_to_show_keep(session: SessionBase, *, student_id: int, issued: IssuedCode) -> None:
    payload = json.dumps(
        {
            "code": issued.code,
            "expires_at": issued.record.expires_at.isoformat(),
            "lifetime_days": issued.lifetime_days,
        }
    )
    session[SESSION_KEY] = {
        "student": student_id,
        "sealed": _fernet().encrypt(payload.encode()).decode(),
    }


def code_to_show_take(session: SessionBase, *, student_id: int) -> CodeToShow | None:
    """The code waiting for ``student_id``'s page, once; None when there is none (already shown,
    made for another student, or waiting too long)."""
    kept = session.get(SESSION_KEY)
    if not isinstance(kept, dict) or kept.get("student") != student_id:
        return None
    del session[SESSION_KEY]
    try:
        payload = json.loads(_fernet().decrypt(kept["sealed"].encode(), ttl=SHOW_WITHIN_SECONDS))
    except (InvalidToken, KeyError, TypeError, ValueError):
        return None
    return CodeToShow(
        code=payload["code"],
        expires_at=parse_datetime(payload["expires_at"]),
        lifetime_days=payload["lifetime_days"],
    )


def _fernet() -> Fernet:
    digest = salted_hmac("pairing.code_once", "session-key", algorithm="sha256").digest()
    return Fernet(base64.urlsafe_b64encode(digest))
