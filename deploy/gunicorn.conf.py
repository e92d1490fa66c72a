"""gunicorn's settings for the portal: `gunicorn -c deploy/gunicorn.conf.py` from the checkout.

Behind nginx (deploy/nginx/pairing-portal.conf), which holds slow clients and whole request bodies
so that a worker's thread is only ever busy with a request that has fully arrived. Never expose
this port itself: it believes the X-Forwarded-Proto and X-Real-IP headers that nginx sets.

Connections to PostgreSQL: each worker process keeps a pool of at most DB_POOL_MAX_SIZE (settings),
so the app server holds at most GUNICORN_WORKERS x DB_POOL_MAX_SIZE; with a pool as large as
GUNICORN_THREADS no thread ever waits for one (README, Deploying).

The kind of worker was chosen by measurement (`make bench`'s redemption, 16 clients, 2 cores
shared with PostgreSQL, the load generator and other work; four runs back to back, 4 December
2026): threaded workers, 2 processes x 4 threads, answered 104-108 redemptions a second (p99
490-540 ms), and 5 sync workers 69-85 (p99 250-340 ms). Sync workers keep no connection open
between requests, so each request also pays for a new one; nginx in front pays that instead,
but threads still win on two cores, where five processes compete for them. Measure again
(GUNICORN_WORKER_CLASS=sync GUNICORN_WORKERS=5 python bench/run.py redemption) before changing.

Variables (read as strictly as the portal's own settings): GUNICORN_BIND, GUNICORN_WORKERS,
GUNICORN_WORKER_CLASS, GUNICORN_THREADS, GUNICORN_TIMEOUT, LOG_FORMAT.
"""

import sys as _sys
from pathlib import Path as _Path

_sys.path.insert(0, str(_Path(__file__).resolve().parent.parent))

# gunicorn reads every name here as one of its settings: ours start with "_".
from pairing_portal import config as _config  # noqa: E402 - the checkout is on the path from here

wsgi_app = "pairing_portal.wsgi:application"
bind = [_config.env_str("GUNICORN_BIND", default="127.0.0.1:8000")]
# Processes x threads = requests served at once: 2 x 4 on 2 cores, each thread waiting on
# PostgreSQL most of its time. A process that crashes takes only its own threads down.
workers = _config.env_int("GUNICORN_WORKERS", default=2, minimum=1)
# gthread (the default, measured above) or sync (one request per process; GUNICORN_THREADS unused).
worker_class = _config.env_choice(
    "GUNICORN_WORKER_CLASS", default="gthread", choices=("gthread", "sync")
)
threads = _config.env_int("GUNICORN_THREADS", default=4, minimum=1)
# A worker process silent this long is stuck and restarted. With threads this is the process's
# heartbeat, not a limit on one request: a long SIS import is not cut short (nginx's
# proxy_read_timeout is what a visitor waits at most).
timeout = _config.env_int("GUNICORN_TIMEOUT", default=30, minimum=5)
graceful_timeout = 30
# nginx keeps its connections to us open between requests (upstream keepalive).
keepalive = 65
# A worker is replaced after this many requests (staggered), so memory cannot creep for ever.
max_requests = 2000
max_requests_jitter = 200

# Only nginx on this machine may say the request came over HTTPS.
forwarded_allow_ips = "127.0.0.1,::1"

# No access log: the portal logs one line per request itself, with its id and user, and scrubbed
# of reset links (gunicorn's would print each request line as it came, query string included).
accesslog = None
errorlog = "-"
_format = _config.env_choice("LOG_FORMAT", default="json", choices=("json", "text"))
logconfig_dict = {
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
            "formatter": _format,
            "filters": ["request"],
            "stream": "ext://sys.stderr",
        }
    },
    "root": {"level": "INFO", "handlers": ["console"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False},
        "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
    },
}
