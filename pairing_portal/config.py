"""Strict readers for the environment, so that a bad value stops the portal at start.

django-environ parses URLs well but is lenient elsewhere: it reads ``DEBUG=maybe`` as False and an
unknown database scheme as whatever engine it guesses. A misread security setting is worse than no
start at all, so every value goes through one of these functions and a wrong one raises
``ImproperlyConfigured`` naming the variable, the value and what would be accepted.
"""

from __future__ import annotations

import os

import environ
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def _raw(name: str) -> str | None:
    """The variable's value, or None when it is unset or blank (a blank line in .env means unset)."""
    value = os.environ.get(name)
    if value is None or not value.strip():
        return None
    return value.strip()


def env_bool(name: str, *, default: bool) -> bool:
    raw = _raw(name)
    if raw is None:
        return default
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a yes/no value: use true or false.")


def env_int(name: str, *, default: int, minimum: int = 0) -> int:
    raw = _raw(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} must be at least {minimum}.")
    return value


def renamed(old: str, new: str, *, why: str) -> None:
    """Stop the start when a variable that was renamed is still set: left as it is, it would be
    silently ignored."""
    if _raw(old) is not None:
        raise ImproperlyConfigured(f"{old} is now {new} ({why}): rename it in the environment.")


def env_str(name: str, *, default: str | None = None) -> str | None:
    raw = _raw(name)
    return default if raw is None else raw


def env_choice(name: str, *, default: str | None, choices: tuple[str, ...]) -> str | None:
    raw = _raw(name)
    if raw is None:
        return default
    if raw not in choices:
        raise ImproperlyConfigured(f"{name}={raw!r} is not one of: {', '.join(choices)}.")
    return raw


def env_list(name: str, *, default: list[str]) -> list[str]:
    raw = _raw(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def secret_key(*, debug: bool) -> str:
    value = _raw("SECRET_KEY")
    if value is None:
        if debug:
            # Development only: sessions and pairing-code hashes made with it are worthless elsewhere.
            return "django-insecure-development-only-key-never-use-in-production-0123456789"
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Production needs a long random secret, for example the output "
            "of: python -c 'import secrets; print(secrets.token_urlsafe(64))'"
        )
    if not debug and (len(value) < 50 or value.startswith("django-insecure")):
        raise ImproperlyConfigured(
            "SECRET_KEY is too weak for production: use at least 50 random characters."
        )
    return value


def allowed_hosts(*, debug: bool) -> list[str]:
    hosts = env_list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if debug else [])
    if not debug:
        if not hosts:
            raise ImproperlyConfigured(
                "ALLOWED_HOSTS is not set: list the host names the portal is served under, "
                "separated by commas."
            )
        if "*" in hosts:
            raise ImproperlyConfigured(
                "ALLOWED_HOSTS='*' accepts any Host header; name the portal's hosts instead."
            )
    return hosts


_POSTGRES_ENGINES = {"django.db.backends.postgresql", "django.contrib.gis.db.backends.postgis"}


def database_from_url() -> dict | None:
    """DATABASES['default'] for DATABASE_URL, or None when it is unset (the embedded server is used)."""
    raw = _raw("DATABASE_URL")
    if raw is None:
        return None
    try:
        config = environ.Env.db_url_config(raw)
    except (ImproperlyConfigured, ValueError, KeyError) as error:
        raise ImproperlyConfigured(f"DATABASE_URL could not be read: {error}") from None
    if config.get("ENGINE") not in _POSTGRES_ENGINES:
        raise ImproperlyConfigured(
            "DATABASE_URL must point at PostgreSQL (postgres://user:password@host:port/name); "
            f"{raw.split(':', 1)[0]!r} databases are not supported."
        )
    if not config.get("NAME"):
        raise ImproperlyConfigured("DATABASE_URL names no database: add /<name> at its end.")
    return config


# Runs of one statement on one connection before psycopg prepares it (psycopg's default is 5).
PREPARE_THRESHOLD = 2


def database_connections(
    *,
    conn_max_age: int,
    pool_min_size: int,
    pool_max_size: int,
    pool_timeout: int,
    connect_timeout: int,
    prepared_statements: bool = False,
    options: dict | None = None,
) -> dict:
    """How a process holds its database connections: the keys to add to DATABASES['default'].

    With ``pool_max_size`` above 0 the process keeps a pool of at most that many connections
    (Django's own, psycopg_pool), which every thread borrows from and gives back; a request that
    finds them all busy waits ``pool_timeout`` seconds, then gets the 503 page. With 0, each thread
    opens its own and keeps it ``conn_max_age`` seconds (0: closed after each request).

    With ``prepared_statements``, values travel apart from the SQL (server-side binding) and each
    connection prepares a statement it has run twice: PostgreSQL then parses and plans the portal's
    hot statements (an API token's lookup, a redemption's) once per connection rather than on
    every call. Fine with psycopg's pool or persistent connections; not behind PgBouncer in
    transaction mode, where the next statement may reach another server connection, one that
    never prepared it.
    """
    if pool_max_size and conn_max_age:
        raise ImproperlyConfigured(
            f"CONN_MAX_AGE={conn_max_age} keeps a connection per thread, and DB_POOL_MAX_SIZE="
            f"{pool_max_size} asks for a pool, which keeps them instead: set CONN_MAX_AGE=0 "
            "(or DB_POOL_MAX_SIZE=0 for no pool)."
        )
    if pool_min_size > pool_max_size and pool_max_size:
        raise ImproperlyConfigured(
            f"DB_POOL_MIN_SIZE={pool_min_size} is larger than DB_POOL_MAX_SIZE={pool_max_size}."
        )
    options = {**(options or {}), "connect_timeout": connect_timeout}
    if prepared_statements:
        options["server_side_binding"] = True
        options["prepare_threshold"] = PREPARE_THRESHOLD
    if pool_max_size:
        options["pool"] = {
            "min_size": pool_min_size,
            "max_size": pool_max_size,
            "timeout": pool_timeout,
        }
    return {
        "CONN_MAX_AGE": conn_max_age,
        # A connection kept across requests (or lent by the pool) is checked before use, so that
        # one left dead by a PostgreSQL restart is replaced rather than failing a request.
        "CONN_HEALTH_CHECKS": bool(conn_max_age or pool_max_size),
        "OPTIONS": options,
    }


def cache_from_url(*, default: str) -> dict:
    raw = _raw("CACHE_URL") or default
    try:
        return environ.Env.cache_url_config(raw)
    except (ImproperlyConfigured, ValueError, KeyError) as error:
        raise ImproperlyConfigured(
            f"CACHE_URL={raw!r} could not be read ({error}); use for example "
            "redis://127.0.0.1:6379/0 or locmemcache://"
        ) from None


# Backends that never deliver a message. The console's prints it, password-reset links included,
# into the server's log; the others keep it in files or memory, or drop it.
UNDELIVERED_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend": "prints every message, password-reset "
    "links included, into the server's log",
    "django.core.mail.backends.filebased.EmailBackend": "writes every message, password-reset "
    "links included, to files on the server",
    "django.core.mail.backends.locmem.EmailBackend": "keeps every message in memory, where "
    "nobody receives it",
    "django.core.mail.backends.dummy.EmailBackend": "throws every message away",
}
_EMAIL_EXAMPLE = "smtp+tls://user:password@mail.example.org:587"


def email_from_url(*, debug: bool, allow_undelivered: bool) -> dict:
    """The e-mail settings for EMAIL_URL. With DEBUG off, a backend that does not deliver (or no
    EMAIL_URL at all, which means the console) stops the start unless EMAIL_ALLOW_CONSOLE=true
    says so on purpose, for a demo server whose mail nobody needs."""
    raw = _raw("EMAIL_URL")
    if raw is None and not debug and not allow_undelivered:
        raise ImproperlyConfigured(
            "EMAIL_URL is not set: without a mail server, password-reset e-mails would be printed "
            f"into the server's log. Set it, for example to {_EMAIL_EXAMPLE} "
            "(EMAIL_ALLOW_CONSOLE=true allows printing them, for a demo server only)."
        )
    raw = raw or "consolemail://"
    try:
        config = environ.Env.email_url_config(raw)
    except (ImproperlyConfigured, ValueError, KeyError) as error:
        raise ImproperlyConfigured(
            f"EMAIL_URL could not be read ({error}); use for example "
            f"{_EMAIL_EXAMPLE} or consolemail://"
        ) from None
    undelivered = UNDELIVERED_EMAIL_BACKENDS.get(config["EMAIL_BACKEND"])
    if undelivered and not debug and not allow_undelivered:
        # Only the scheme is named: the rest of the URL may hold the mail server's password.
        scheme = raw.split(":", 1)[0]
        raise ImproperlyConfigured(
            f"EMAIL_URL={scheme}:// {undelivered}, and DEBUG is off. Use a mail server, for "
            f"example {_EMAIL_EXAMPLE} (EMAIL_ALLOW_CONSOLE=true allows it, for a demo server "
            "only)."
        )
    return config
