"""The portal's one settings file: every value a deployment changes comes from the environment.

Variables (documented in .env.example): DEBUG, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, CACHE_URL,
EMAIL_URL, EMAIL_ALLOW_CONSOLE, DEFAULT_FROM_EMAIL, CONN_MAX_AGE, DB_POOL_MAX_SIZE, DB_POOL_MIN_SIZE,
DB_POOL_TIMEOUT, DB_CONNECT_TIMEOUT, DB_PREPARED_STATEMENTS, SECURE_SSL_REDIRECT, SECURE_HSTS_SECONDS,
TRUST_X_FORWARDED_PROTO, CSRF_TRUSTED_ORIGINS, THROTTLE_STORE, CLIENT_ADDRESS_HEADER, STATIC_ROOT,
MEDIA_ROOT, LOG_FORMAT, LOG_LEVEL, SENTRY_DSN, SENTRY_ENVIRONMENT, PORTAL_URL, ENV_FILE (and
GUNICORN_* in
deploy/gunicorn.conf.py). A value that cannot be read stops the start with a message naming it
(see pairing_portal/config.py).
"""

import warnings
from pathlib import Path

import environ

from pairing_portal import config, logs, sentry

BASE_DIR = Path(__file__).resolve().parent.parent

# A developer's .env fills in what the real environment leaves unset; it never overrides it.
# ENV_FILE names another file (or none: ENV_FILE=/dev/null), for example for a test of settings.
_env_file = Path(config.env_str("ENV_FILE", default=str(BASE_DIR / ".env")))
if _env_file.is_file():
    environ.Env.read_env(_env_file)

DEBUG = config.env_bool("DEBUG", default=False)
SECRET_KEY = config.secret_key(debug=DEBUG)
ALLOWED_HOSTS = config.allowed_hosts(debug=DEBUG)
CSRF_TRUSTED_ORIGINS = config.env_list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    # The background task queue (PostgreSQL tables, a worker: `manage.py run_worker`).
    "procrastinate.contrib.django",
    # Single sign-on: allauth's OpenID Connect and SAML flows only. Its account app is required by
    # them; its own pages (sign-up, password log-in) are never routed (pairing_portal/urls.py).
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    "accounts",
    "courses",
    "pairing",
    "rostering",
    "api",
]

MIDDLEWARE = [
    # /healthz and /readyz, answered before the host check, the HTTPS redirect and sessions.
    "pairing_portal.health.HealthCheckMiddleware",
    # Every request's id and its one log line; outside the 503 below, so it logs the final status.
    "pairing_portal.logs.RequestLogMiddleware",
    # A database out of reach anywhere below answers 503 with Retry-After, DEBUG on or off.
    "pairing_portal.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files, answered before sessions, languages or the database are looked at.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "pairing_portal.middleware.ContentSecurityPolicyMiddleware",
    "accounts.middleware.AuditContextMiddleware",
    # Before anything that reads a body: a Content-Length over the cap is refused unread.
    "pairing_portal.middleware.RequestBodyLimitMiddleware",
    "api.middleware.RefuseNulBytesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the switcher's cookie, else the browser's Accept-Language, else LANGUAGE_CODE;
    # on the API, English and UTC without asking (Django's LocaleMiddleware for pages).
    "api.middleware.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # allauth's flows need it (the request they run in); it also turns their ImmediateHttpResponse
    # into the response. Ours, after it: the CSP of their pages, and a refused sign-in's page.
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.SingleSignOnMiddleware",
    "accounts.middleware.ActAsMiddleware",
    "accounts.middleware.UserTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "pairing_portal.urls"
WSGI_APPLICATION = "pairing_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # The school's name, logo and colour on every page (accounts.context_processors).
                "accounts.context_processors.portal",
            ],
        },
    },
]

# --- Database: PostgreSQL only -------------------------------------------------------------------
# Production processes (gunicorn's workers, the task worker) each keep a pool of at most
# DB_POOL_MAX_SIZE connections that their threads share: the whole portal never holds more than
# (processes x DB_POOL_MAX_SIZE), whatever the traffic (README, Deploying). Development's runserver,
# a thread per request, opens one for each request and closes it after (CONN_MAX_AGE=0): a burst
# of requests cannot leave idle connections behind.
DB_POOL_MAX_SIZE = config.env_int("DB_POOL_MAX_SIZE", default=0 if DEBUG else 4)
DB_POOL_MIN_SIZE = config.env_int("DB_POOL_MIN_SIZE", default=min(1, DB_POOL_MAX_SIZE))
# Seconds a request waits for a pooled connection before the 503 page ("try again"). With a pool
# as large as a process's threads, a request waits only while PostgreSQL is out of reach: briefly.
DB_POOL_TIMEOUT = config.env_int("DB_POOL_TIMEOUT", default=3, minimum=1)
# Seconds to reach PostgreSQL before giving up (libpq waits for ever by default).
DB_CONNECT_TIMEOUT = config.env_int("DB_CONNECT_TIMEOUT", default=5, minimum=1)
CONN_MAX_AGE = config.env_int("CONN_MAX_AGE", default=0)
# Server-side binding and prepared statements (config.database_connections): on by default; off
# behind PgBouncer in transaction mode, which cannot keep a statement prepared.
DB_PREPARED_STATEMENTS = config.env_bool("DB_PREPARED_STATEMENTS", default=True)
_database = config.database_from_url() or {
    "ENGINE": "pairing_portal.embedded_postgres",
    "NAME": "pairing_portal",
    "USER": "postgres",
    "EMBEDDED_PGDATA": str(BASE_DIR / ".pgdata"),
}
_database.update(
    config.database_connections(
        conn_max_age=CONN_MAX_AGE,
        pool_min_size=DB_POOL_MIN_SIZE,
        pool_max_size=DB_POOL_MAX_SIZE,
        pool_timeout=DB_POOL_TIMEOUT,
        connect_timeout=DB_CONNECT_TIMEOUT,
        prepared_statements=DB_PREPARED_STATEMENTS,
        options=_database.get("OPTIONS"),
    )
)
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (Redis in production, shared by every app process) and e-mail -------------------------
CACHES = {"default": config.cache_from_url(default="locmemcache://")}
# With DEBUG off, mail must go to a mail server: anything else stops the start, unless a demo
# server allows it on purpose (then `check --deploy` still warns).
EMAIL_ALLOW_CONSOLE = config.env_bool("EMAIL_ALLOW_CONSOLE", default=False)
_email = config.email_from_url(debug=DEBUG, allow_undelivered=EMAIL_ALLOW_CONSOLE)
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
# Seconds before a mail server that does not answer is given up on (it would hold a request).
EMAIL_TIMEOUT = config.env_int("EMAIL_TIMEOUT", default=10)
EMAIL_FILE_PATH = _email.get("EMAIL_FILE_PATH") or None
DEFAULT_FROM_EMAIL = config.env_str(
    "DEFAULT_FROM_EMAIL", default="Pairing Portal <noreply@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Authentication ------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {
        # Our users have one "name" field, not Django's first_name/last_name.
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("name", "email")},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # one day
# Invitation links (accounts.invitations) work once, for this many days.
INVITATION_DAYS = 7
# The portal's address for links in e-mails sent outside a request (an import run from the shell,
# `create_institution`) when the institution has no domain, e.g. https://portal.example.org/
PORTAL_URL = config.env_str("PORTAL_URL", default="")

# --- Single sign-on (django-allauth; accounts/sso.py) ---------------------------------------------
# Identity providers are rows an admin adds (Authentication page), never settings: the adapter
# offers only the providers of the institution whose host the visitor uses, and signs in only
# people who already have an account there (unless the admin lets a provider make accounts).
ACCOUNT_ADAPTER = "accounts.sso.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.sso.SocialAccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
# The OpenID Connect redirect URI the provider is told: https, whatever the proxy in front says.
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
SOCIALACCOUNT_EMAIL_VERIFICATION = (
    "none"  # the provider vouches; the portal sends no mail of its own
)
SOCIALACCOUNT_AUTO_SIGNUP = True  # where a provider may make accounts: no form in between
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # people are matched by accounts.sso, in one institution
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_LOGIN_ON_GET = False  # starting a sign-in takes a POST with the CSRF token
SOCIALACCOUNT_REQUESTS_TIMEOUT = 10  # seconds for each call to a provider (discovery, tokens)
# Calls to providers go to public internet addresses only (accounts/outbound.py): an admin types
# the addresses, and must not make the servers reach this computer or its private network. true
# for a provider on the district's own network, and for development and tests (providers on this
# computer).
SSO_ALLOW_PRIVATE_ADDRESSES = config.env_bool("SSO_ALLOW_PRIVATE_ADDRESSES", default=False)
SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"OAUTH_PKCE_ENABLED": True}}

# --- Security: Django's deployment checklist, on whenever DEBUG is off ----------------------------
SECURE_SSL_REDIRECT = config.env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# The language switcher's cookie: HTTPS-only like the others, never sent by another site's
# request, and out of scripts' reach (the server alone reads it).
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = config.env_int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if config.env_bool("TRUST_X_FORWARDED_PROTO", default=False):
    # Only behind a proxy that sets this header itself and strips it from clients' requests.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Request bodies ------------------------------------------------------------------------------
# The largest body any page or API call takes, files included, refused from its Content-Length
# before a byte is read (pairing_portal.middleware); the SIS import's upload page allows its own.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # 2.5 MB, Django's default, made explicit

# --- Limits on failed attempts: (failures, window in seconds) ------------------------------------
# Counted in the database, or in Redis when CACHE_URL names it ("auto"); "database" or "cache" forces.
THROTTLE_STORE = config.env_choice(
    "THROTTLE_STORE", default="auto", choices=("auto", "database", "cache")
)
# Keys that stand for one guesser (an account, an address, a network: IPv4 /24, IPv6 /64) refuse
# past their limit. Keys shared by many people ask for a proof of work instead (see below).
PAIRING_FAILURES_PER_ACCOUNT_PAUSE = (5, 15 * 60)  # then paused for 15 minutes
PAIRING_FAILURES_PER_ACCOUNT_PER_DAY = (20, 24 * 3600)
PAIRING_FAILURES_PER_ADDRESS_PER_DAY = (50, 24 * 3600)
# A school's or a mobile carrier's network holds many parents: four guessing addresses' worth, so
# that one guesser there (stopped at 50) leaves room for everyone else's typing mistakes.
PAIRING_FAILURES_PER_NETWORK_PER_DAY = (200, 24 * 3600)
# Across a whole institution, failures past this many in a day are abnormal: nobody is refused, but
# every redemption and sign-up there must carry a proof of work, and the admins get one e-mail.
PAIRING_FAILURES_PER_INSTITUTION_PER_DAY = (2000, 24 * 3600)
SIGN_UPS_PER_ADDRESS_PER_DAY = (10, 24 * 3600)
# Log-ins: one account from one address pauses; an address or a network guessing many accounts
# is stopped; an account failing from many addresses asks every log-in for a proof of work, and a
# right password from an address that has not failed still gets in.
LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS_PAUSE = (5, 15 * 60)
LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS_PER_DAY = (20, 24 * 3600)
LOGIN_FAILURES_PER_ADDRESS_PER_DAY = (50, 24 * 3600)
LOGIN_FAILURES_PER_NETWORK_PER_DAY = (200, 24 * 3600)
LOGIN_FAILURES_PER_ACCOUNT_PER_HOUR = (5, 3600)  # then proof of work, not refusal
PASSWORD_RESETS_PER_ADDRESS_PER_DAY = (20, 24 * 3600)
# Making pairing codes, (codes, seconds): single codes (a student's own, User Details, the API) per
# student and per maker; exports (a course's CSV or letters, a school-wide export) count once each,
# whatever their size, so a course of hundreds or a district of 10,000 never meets them.
PAIRING_CODES_PER_STUDENT_PER_DAY = (30, 24 * 3600)
PAIRING_CODES_PER_MAKER_PER_HOUR = (300, 3600)
PAIRING_CODE_EXPORTS_PER_MAKER_PER_HOUR = (30, 3600)
# The proof of work (ALTCHA, PBKDF2-SHA-256): a browser tries numbers from 0 until one derives the
# challenge's key, each try PROOF_OF_WORK_COST iterations; the answer lies between half and all of
# PROOF_OF_WORK_MAX_NUMBER. Measured: about a second in Chromium on two cores (README, Security).
PROOF_OF_WORK_COST = 1000
PROOF_OF_WORK_MAX_NUMBER = 6500
PROOF_OF_WORK_EXPIRES = 3600  # seconds a challenge may be solved and used in (once)
# Behind a proxy, the request header that carries the client's address (e.g. HTTP_X_REAL_IP);
# only set it when the proxy overwrites that header, or clients could claim any address.
CLIENT_ADDRESS_HEADER = config.env_choice(
    "CLIENT_ADDRESS_HEADER", default=None, choices=("HTTP_X_REAL_IP", "HTTP_X_FORWARDED_FOR")
)

# --- The /api/v1 API (Canvas-compatible; see shared/spec/api-contract.md) ----------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.BearerTokenAuthentication",
        # Browsers may call the API with their session, and then CSRF is checked.
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's, refusing NUL characters and JSON nested past Python's limit with a 400.
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.FormParser",
        "api.parsers.MultiPartParser",
        "api.parsers.JSONParser",
    ],
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DATETIME_FORMAT": "%Y-%m-%dT%H:%M:%SZ",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Pairing Portal API",
    "DESCRIPTION": "Canvas-compatible observer pairing API; drive it with the canvasapi client.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Internationalisation -----------------------------------------------------------------------
# Every page is in English or Spanish (locale/es; `make messages` updates it). The API is always
# English: its messages are a contract with Canvas clients.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Each user may choose a zone in User Settings (accounts.User.time_zone); this is everyone else's.
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Background jobs (procrastinate; see README "The background worker") ---------------------------
# Tasks live in each app's tasks.py (found by procrastinate) and pairing_portal/tasks.py.
PROCRASTINATE_IMPORT_PATHS = ["pairing_portal.tasks"]
PROCRASTINATE_WORKER_DEFAULTS = {
    # On SIGTERM a job may finish for this long; an export then stops between two chunks and is
    # retried by the next worker (a notice takes a moment and always finishes).
    "shutdown_graceful_timeout": 20.0,
    # Finished jobs are kept a week for operators (pairing_portal.tasks prunes them).
    "delete_jobs": "never",
}
# /healthz/queue (monitoring, not the load balancer's /readyz) fails when the oldest job due has
# waited longer than this many seconds for a worker.
HEALTH_QUEUE_MAX_WAIT = config.env_int("HEALTH_QUEUE_MAX_WAIT", default=600, minimum=1)
config.renamed("READYZ_QUEUE_MAX_WAIT", "HEALTH_QUEUE_MAX_WAIT", why="checked by /healthz/queue")

# --- Static files --------------------------------------------------------------------------------
# `manage.py collectstatic` copies them into STATIC_ROOT, each under a name holding a hash of its
# content (portal.3f2a9c.css) with a gzip copy beside it. The app serves them itself
# (WhiteNoise: cached for a year, since a changed file gets a new name); a proxy in front may
# serve STATIC_ROOT directly instead (deploy/nginx). With DEBUG on they come straight from static/.
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(config.env_str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
# Uploaded files: SIS import files waiting for their job (each deleted once its import has finished
# or failed) and schools' logos, served only by the portal's own view
# (accounts.views.institution_logo) with the content type its check found. Never served as a
# folder: there is no MEDIA_URL, and nginx has no location for it. The web and the worker processes
# must both reach it (the same machine, or a shared folder).
MEDIA_ROOT = Path(config.env_str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# The largest logo accepted (bytes), and its largest side (pixels).
LOGO_MAX_BYTES = 512 * 1024
LOGO_MAX_SIDE = 2000
if DEBUG:
    # Development serves static/ as it is: the collected copy need not exist.
    warnings.filterwarnings("ignore", message="No directory at: ", category=UserWarning)

# --- Logging and error reports ---------------------------------------------------------------------
# Everything to standard error (journald keeps it under systemd): one JSON object a line in
# production, a readable line in development. Each line inside a request carries its id (sent back
# as X-Request-ID), the user and the institution; nothing logged may hold a pairing code, a token,
# a password or a reset link (pairing_portal.logs scrubs what could).
LOG_FORMAT = config.env_choice(
    "LOG_FORMAT", default="text" if DEBUG else "json", choices=("json", "text")
)
LOG_LEVEL = config.env_choice(
    "LOG_LEVEL", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR")
)
LOGGING = logs.logging_config(log_format=LOG_FORMAT, level=LOG_LEVEL)
# Errors (with their request, scrubbed like the logs) go to Sentry when SENTRY_DSN is set.
SENTRY_DSN = config.env_str("SENTRY_DSN")
if SENTRY_DSN:
    sentry.start(dsn=SENTRY_DSN, environment=config.env_str("SENTRY_ENVIRONMENT"))
