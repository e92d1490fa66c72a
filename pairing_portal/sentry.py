"""Error reports to Sentry (or a compatible server such as GlitchTip), when SENTRY_DSN is set.

An event leaves the machine, so it carries less than a log line: no request body (pairing codes,
passwords), no cookies, no query string, no Authorization or CSRF header, no local variables of
the failing code, no user's name or address; and every remaining string is scrubbed like the logs
(password-reset links, API tokens).
"""

from __future__ import annotations

from typing import Any

from pairing_portal.logs import scrub

_DROPPED_HEADERS = {"authorization", "cookie", "x-csrftoken", "proxy-authorization"}


def _scrubbed(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {key: _scrubbed(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrubbed(item) for item in value]
    return value


def scrub_event(event: dict, hint: dict | None = None) -> dict:
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("data", "cookies", "query_string", "env"):
            request.pop(key, None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {
                name: value
                for name, value in headers.items()
                if name.lower() not in _DROPPED_HEADERS
            }
    event.pop("user", None)
    return _scrubbed(event)


def scrub_breadcrumb(crumb: dict, hint: dict | None = None) -> dict:
    return _scrubbed(crumb)


def start(*, dsn: str, environment: str | None) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        before_send=scrub_event,
        before_breadcrumb=scrub_breadcrumb,
        # Errors only: no performance traces, no profiles.
        traces_sample_rate=0,
    )
