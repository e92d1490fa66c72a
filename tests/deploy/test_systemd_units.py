"""deploy/systemd's units: systemd finds nothing wrong in them, and what they start runs here (the
app server's command is the one every gunicorn test in this folder starts; the backup's script is
run by test_backups)."""

import shutil
import subprocess

import pytest

from tests.deploy.conftest import DEPLOY, ROOT, unit_command

pytestmark = pytest.mark.slow

UNITS = sorted(path.name for path in (DEPLOY / "systemd").iterdir())


def test_the_kit_has_units_for_the_app_server_the_worker_and_backups():
    # The periodic schedule runs inside every worker (procrastinate records each tick once).
    assert UNITS == [
        "pairing-portal-backup.service",
        "pairing-portal-backup.timer",
        "pairing-portal-worker.service",
        "pairing-portal.service",
    ]


def test_systemd_finds_nothing_wrong_in_the_units(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    environment_file = tmp_path / "env"
    environment_file.write_text("DEBUG=false\n")
    for name in UNITS:
        text = (DEPLOY / "systemd" / name).read_text()
        text = text.replace("/etc/pairing-portal/env", str(environment_file))
        (tmp_path / name).write_text(text.replace("/opt/pairing-portal", str(ROOT)))
    result = subprocess.run(
        [analyze, "verify", "--man=no", *(str(tmp_path / name) for name in UNITS)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # Unknown keys, missing programs or files, bad values: each is a line on standard error.
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_the_worker_runs_its_command(env):
    worker = subprocess.run(
        [*unit_command("pairing-portal-worker.service"), "--once"],
        cwd=ROOT,
        env={**env, "DB_POOL_MAX_SIZE": "2"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert worker.returncode == 0, worker.stderr
    assert "Running the jobs waiting now." in worker.stdout
