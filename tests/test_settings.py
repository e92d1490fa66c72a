"""Settings come from the environment; a bad value stops the start, saying which and why."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION = {
    "ENV_FILE": "/dev/null",
    "DEBUG": "false",
    "SECRET_KEY": "k7Qw-3vN9xLr_2mPz8sYb4tHc6dJf1gUa5eKo0iWq-RnXyZvBmCtLpSdFgHjEiUo",
    "ALLOWED_HOSTS": "portal.example.org",
    "DATABASE_URL": "postgres://portal:secret@db.example.org:5432/portal",
    "CACHE_URL": "redis://cache.example.org:6379/0",
    "EMAIL_URL": "smtp+tls://mailer:secret@mail.example.org:587",
    # A developer's .env (read into this process's environment) may keep connections open,
    # which production's pool refuses.
    "CONN_MAX_AGE": "0",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v for k, v in os.environ.items() if k not in PRODUCTION and k != "DJANGO_SETTINGS_MODULE"
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **PRODUCTION, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_values_pass_the_deployment_checklist():
    result = manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DEBUG", "maybe", "DEBUG='maybe' is not a yes/no value"),
        ("SECRET_KEY", "", "SECRET_KEY is not set"),
        ("SECRET_KEY", "short", "SECRET_KEY is too weak for production"),
        ("ALLOWED_HOSTS", "", "ALLOWED_HOSTS is not set"),
        ("ALLOWED_HOSTS", "*", "ALLOWED_HOSTS='*' accepts any Host header"),
        ("DATABASE_URL", "sqlite:///portal.db", "DATABASE_URL must point at PostgreSQL"),
        ("DATABASE_URL", "mysql://root@localhost/portal", "DATABASE_URL must point at PostgreSQL"),
        ("DATABASE_URL", "postgres://portal@db.example.org:5432", "DATABASE_URL names no database"),
        ("CACHE_URL", "memcached-please://x", "CACHE_URL='memcached-please://x' could not be read"),
        ("EMAIL_URL", "pigeon://loft", "EMAIL_URL could not be read"),
        ("EMAIL_ALLOW_CONSOLE", "perhaps", "EMAIL_ALLOW_CONSOLE='perhaps' is not a yes/no value"),
        ("CONN_MAX_AGE", "forever", "CONN_MAX_AGE='forever' is not a whole number"),
        ("SECURE_HSTS_SECONDS", "-5", "SECURE_HSTS_SECONDS='-5' must be at least 0"),
        ("THROTTLE_STORE", "redis", "THROTTLE_STORE='redis' is not one of: auto, database, cache"),
        ("CLIENT_ADDRESS_HEADER", "X-Real-IP", "CLIENT_ADDRESS_HEADER='X-Real-IP' is not one of"),
        ("DB_POOL_MAX_SIZE", "lots", "DB_POOL_MAX_SIZE='lots' is not a whole number"),
        ("DB_POOL_TIMEOUT", "0", "DB_POOL_TIMEOUT='0' must be at least 1"),
        ("DB_POOL_MIN_SIZE", "9", "DB_POOL_MIN_SIZE=9 is larger than DB_POOL_MAX_SIZE=4"),
        ("CONN_MAX_AGE", "60", "CONN_MAX_AGE=60 keeps a connection per thread, and DB_POOL_MAX"),
        (
            "DB_PREPARED_STATEMENTS",
            "sometimes",
            "DB_PREPARED_STATEMENTS='sometimes' is not a yes/no",
        ),
        ("LOG_FORMAT", "xml", "LOG_FORMAT='xml' is not one of: json, text"),
        ("LOG_LEVEL", "chatty", "LOG_LEVEL='chatty' is not one of"),
        ("HEALTH_QUEUE_MAX_WAIT", "0", "HEALTH_QUEUE_MAX_WAIT='0' must be at least 1"),
        ("READYZ_QUEUE_MAX_WAIT", "600", "READYZ_QUEUE_MAX_WAIT is now HEALTH_QUEUE_MAX_WAIT"),
        ("SSO_ALLOW_PRIVATE_ADDRESSES", "maybe", "SSO_ALLOW_PRIVATE_ADDRESSES='maybe' is not"),
    ],
)
def test_a_bad_setting_stops_the_start_with_a_clear_message(variable, value, message):
    result = manage("check", **{variable: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_development_needs_no_secret_and_no_hosts():
    result = manage("check", DEBUG="true", SECRET_KEY="", ALLOWED_HOSTS="")
    assert result.returncode == 0, result.stderr


def test_the_example_env_file_documents_every_setting():
    documented = (ROOT / ".env.example").read_text()
    for variable in (
        "DEBUG",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "CACHE_URL",
        "EMAIL_URL",
        "EMAIL_ALLOW_CONSOLE",
        "CONN_MAX_AGE",
        "TRUST_X_FORWARDED_PROTO",
        "CSRF_TRUSTED_ORIGINS",
        "THROTTLE_STORE",
        "CLIENT_ADDRESS_HEADER",
        "DB_POOL_MAX_SIZE",
        "DB_POOL_MIN_SIZE",
        "DB_POOL_TIMEOUT",
        "DB_CONNECT_TIMEOUT",
        "DB_PREPARED_STATEMENTS",
        "STATIC_ROOT",
        "MEDIA_ROOT",
        "LOG_FORMAT",
        "LOG_LEVEL",
        "SENTRY_DSN",
        "SENTRY_ENVIRONMENT",
        "GUNICORN_BIND",
        "GUNICORN_WORKERS",
        "GUNICORN_WORKER_CLASS",
        "GUNICORN_THREADS",
        "GUNICORN_TIMEOUT",
        "HEALTH_QUEUE_MAX_WAIT",
        "SSO_ALLOW_PRIVATE_ADDRESSES",
    ):
        assert f"{variable}=" in documented, variable


# --- Mail that never reaches anyone (reset links printed into the server's log) ---------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("consolemail://", "EMAIL_URL=consolemail:// prints every message, password-reset links"),
        ("filemail:///tmp/mail", "EMAIL_URL=filemail:// writes every message"),
        ("memorymail://", "EMAIL_URL=memorymail:// keeps every message in memory"),
        ("dummymail://", "EMAIL_URL=dummymail:// throws every message away"),
        (
            "",
            "EMAIL_URL is not set: without a mail server, password-reset e-mails would be printed",
        ),
    ],
)
def test_production_refuses_to_start_with_mail_that_is_printed_or_dropped(url, message):
    result = manage("check", EMAIL_URL=url)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr
    assert "EMAIL_ALLOW_CONSOLE=true" in result.stderr


def test_the_refusal_never_repeats_the_mail_servers_password():
    result = manage("check", EMAIL_URL="consolemail://mailer:hunter2-secret@localhost")
    assert result.returncode != 0
    assert "hunter2-secret" not in result.stderr


def test_a_demo_server_may_print_mail_on_purpose_and_the_deployment_check_warns():
    allowed = {"EMAIL_URL": "consolemail://", "EMAIL_ALLOW_CONSOLE": "true"}
    assert manage("check", **allowed).returncode == 0
    result = manage("check", "--deploy", "--fail-level", "WARNING", **allowed)
    assert result.returncode != 0
    assert "pairing_portal.W001" in result.stderr
    assert "prints every message, password-reset links included, into the server's log" in (
        result.stderr
    )


def test_development_still_prints_mail_to_the_console():
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(settings.EMAIL_BACKEND)",
        DEBUG="true",
        EMAIL_URL="",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.core.mail.backends.console.EmailBackend"


DATABASES_OF = """
from django.conf import settings
database = settings.DATABASES["default"]
print(database["CONN_MAX_AGE"], database["CONN_HEALTH_CHECKS"], database["OPTIONS"].get("pool"))
"""


def test_production_pools_connections_and_development_closes_them_after_each_request():
    production = manage("shell", "--no-imports", "-c", DATABASES_OF)
    assert production.returncode == 0, production.stderr
    assert production.stdout.strip().split(maxsplit=2) == [
        "0",
        "True",
        "{'min_size': 1, 'max_size': 4, 'timeout': 3}",
    ]
    development = manage("shell", "--no-imports", "-c", DATABASES_OF, DEBUG="true")
    assert development.returncode == 0, development.stderr
    assert development.stdout.split() == ["0", "False", "None"]


PREPARED_OF = """
from django.conf import settings
options = settings.DATABASES["default"]["OPTIONS"]
print(options.get("server_side_binding"), options.get("prepare_threshold"))
"""


def test_prepared_statements_are_on_by_default_and_off_behind_pgbouncer():
    """Server-side binding with statements prepared after two runs, unless turned off (PgBouncer
    in transaction mode cannot keep a statement prepared: README, Deploying)."""
    on = manage("shell", "--no-imports", "-c", PREPARED_OF)
    assert on.returncode == 0, on.stderr
    assert on.stdout.split() == ["True", "2"]
    off = manage("shell", "--no-imports", "-c", PREPARED_OF, DB_PREPARED_STATEMENTS="false")
    assert off.returncode == 0, off.stderr
    assert off.stdout.split() == ["None", "None"]


@pytest.mark.django_db
def test_the_portal_prepares_its_statements_on_a_real_connection():
    """Run twice on one connection, a statement is prepared (PostgreSQL lists it)."""
    from django.db import connection

    if not connection.settings_dict["OPTIONS"].get("server_side_binding"):
        pytest.skip("DB_PREPARED_STATEMENTS is off in this environment")
    with connection.cursor() as cursor:
        for _ in range(4):
            cursor.execute("SELECT %s::int + 1", [41])
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%+ 1%"]
        )
        assert cursor.fetchone()[0] >= 1
