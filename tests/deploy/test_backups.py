"""The backup of deploy/backup and the guide's restore drill: a nightly dump, old ones removed,
and a dump restored into an empty database serves the portal with everyone in it."""

import json
import os
import subprocess
import time

import pytest

from tests.deploy.conftest import DEPLOY, base_env, manage

pytestmark = pytest.mark.slow


def test_a_nightly_dump_restores_into_a_database_the_portal_can_serve(
    postgres, static_root, people, tmp_path
):
    backups = tmp_path / "backups"
    backups.mkdir()
    stale = backups / "portal-2020-01-01T021500Z.dump"
    stale.write_bytes(b"an old dump")
    month_ago = time.time() - 30 * 24 * 3600
    os.utime(stale, (month_ago, month_ago))
    bin_path = str(postgres.server.bin_path)
    tools = {
        "PATH": f"{bin_path}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "PGHOST": postgres.socket_dir,
        "PGUSER": "postgres",
    }
    made = subprocess.run(
        [str(DEPLOY / "backup" / "pairing-portal-backup")],
        env={**tools, "PGDATABASE": "portal", "BACKUP_DIR": str(backups), "KEEP_DAYS": "14"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    dump = made.stdout.strip()
    assert sorted(path.name for path in backups.iterdir()) == [os.path.basename(dump)]

    # The drill: into an empty database, as on a spare machine.
    with postgres.connect("postgres") as conn:
        conn.execute("DROP DATABASE IF EXISTS restored")
        conn.execute("CREATE DATABASE restored")
    restored = subprocess.run(
        [f"{bin_path}/pg_restore", "--no-owner", "--exit-on-error", "--dbname=restored", dump],
        env=tools,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert restored.returncode == 0, restored.stderr
    env = base_env(postgres, static_root, DATABASE_URL=postgres.url("restored"))
    manage(env, "migrate", "--check")  # every migration is there
    document = json.loads(manage(env, "personal_data", "export", str(people["student"])))
    assert document["profile"]["email"] == "student@deploy.test"
