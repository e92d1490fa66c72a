from pathlib import Path

from django.db.backends.postgresql import base

from .server import ensure_database, socket_dir_for


class DatabaseWrapper(base.DatabaseWrapper):
    """Django's PostgreSQL backend, pointed at the embedded server's socket once it is running."""

    _database_checked = False

    def get_connection_params(self):
        params = super().get_connection_params()
        params["host"] = socket_dir_for(Path(self.settings_dict["EMBEDDED_PGDATA"]))
        if not DatabaseWrapper._database_checked and params["dbname"] != "postgres":
            # The server starts with only the "postgres" database; the portal's own must exist
            # before the first migrate. (The test runner makes its test database itself.)
            ensure_database(socket_dir=params["host"], user=params["user"], name=params["dbname"])
            DatabaseWrapper._database_checked = True
        return params
