"""Debian's nginx with deploy/nginx's site, in front of gunicorn on loopback: TLS, whole requests
before gunicorn sees them (slow clients no longer stop it), static files, a body cap, and the
client's real address for the attempt limits."""

import contextlib
import json
import re
import socket
import ssl
import threading
import time
from collections.abc import Iterator

import pytest
import requests

from tests.deploy.conftest import gunicorn, nginx

pytestmark = pytest.mark.slow

FORGED = "203.0.113.7"
SLOW_CLIENTS = 40


@pytest.fixture(scope="module")
def proxied(postgres, static_root, people, tmp_path_factory):
    from tests.deploy.conftest import base_env

    tmp = tmp_path_factory.mktemp("proxied")
    env = base_env(
        postgres,
        static_root,
        SECURE_SSL_REDIRECT="true",
        TRUST_X_FORWARDED_PROTO="true",
        CLIENT_ADDRESS_HEADER="HTTP_X_REAL_IP",
    )
    # Few threads, so that a handful of slow clients would be enough to stop gunicorn alone.
    with (
        gunicorn(env, tmp, GUNICORN_WORKERS="1", GUNICORN_THREADS="2") as portal,
        nginx(upstream_port=portal.port, static_root=static_root, tmp=tmp) as proxy,
    ):
        yield portal, proxy


def get(proxy, path: str, *, timeout: float = 10, **kw) -> requests.Response:
    return requests.get(proxy.url + path, verify=str(proxy.certificate), timeout=timeout, **kw)


def test_nginx_terminates_tls_and_the_portal_knows_the_request_was_https(proxied):
    portal, proxy = proxied
    page = get(proxy, "/login", allow_redirects=False)
    assert page.status_code == 200  # no redirect loop: X-Forwarded-Proto is believed
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")  # only sent on HTTPS
    request_id = page.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)  # nginx's $request_id, passed through
    assert request_id in portal.log.read_text()
    # nginx writes its line once the answer is sent: a moment after the client has it.
    deadline = time.monotonic() + 5
    while request_id not in proxy.access_log.read_text():
        assert time.monotonic() < deadline, "nginx's access log never named the request"
        time.sleep(0.05)

    plain = requests.get(f"{proxy.http_url}/login", allow_redirects=False, timeout=10)
    assert plain.status_code == 301
    assert plain.headers["Location"] == "https://127.0.0.1/login"


def test_nginx_serves_the_static_files_itself(proxied):
    portal, proxy = proxied
    page = get(proxy, "/login")
    stylesheet = re.search(r'href="(/static/css/portal\.[0-9a-f]{12}\.css)"', page.text).group(1)
    served = get(proxy, stylesheet, headers={"Accept-Encoding": "gzip"})
    assert served.status_code == 200
    assert "immutable" in served.headers["Cache-Control"]
    assert served.headers["Content-Encoding"] == "gzip"  # the .gz collectstatic made
    assert "X-Request-ID" not in served.headers  # the portal never saw it
    assert stylesheet not in portal.log.read_text()


def test_a_body_over_the_cap_is_refused_by_nginx(proxied):
    portal, proxy = proxied
    response = requests.post(
        f"{proxy.url}/login",
        data=b"x" * (4 * 1024 * 1024),
        verify=str(proxy.certificate),
        timeout=30,
    )
    assert response.status_code == 413
    assert response.headers["Server"].startswith("nginx")
    logged = [json.loads(line) for line in portal.log.read_text().splitlines()]
    assert not [r for r in logged if (r.get("method"), r.get("path")) == ("POST", "/login")]


MIB = 1024 * 1024
BOUNDARY = "pairing-portal-test-boundary"


class ZipUploadBody:
    """A multipart body with one ``attachment`` of ``file_bytes`` (not a real zip), streamed so
    that hundreds of megabytes never sit in the test's memory; its length is known, so requests
    sends it with a Content-Length, as a browser does."""

    def __init__(self, file_bytes: int):
        self.file_bytes = file_bytes
        self.head = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="attachment"; '
            f'filename="roster.zip"\r\nContent-Type: application/zip\r\n\r\n'
        ).encode()
        self.tail = f"\r\n--{BOUNDARY}--\r\n".encode()

    def __len__(self) -> int:
        return len(self.head) + self.file_bytes + len(self.tail)

    def __iter__(self) -> Iterator[bytes]:
        yield self.head
        block, left = b"\0" * MIB, self.file_bytes
        while left > 0:
            yield block[: min(left, MIB)]
            left -= MIB
        yield self.tail


def post_upload(proxy, path: str, file_bytes: int, **headers) -> requests.Response:
    return requests.post(
        proxy.url + path,
        data=ZipUploadBody(file_bytes),
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}", **headers},
        verify=str(proxy.certificate),
        timeout=120,
    )


def test_a_200_mb_sis_import_upload_passes_nginx_and_reaches_the_portal(proxied, people):
    """nginx's cap for the SIS import is the portal's (a 200 MB file, in a body of at most
    201 MiB): the largest file the portal takes is not refused on the way."""
    portal, proxy = proxied
    response = post_upload(
        proxy,
        "/api/v1/accounts/self/sis_imports",
        200 * MIB,
        Authorization=f"Bearer {people['admin_token']}",
    )
    # The portal's own answer, having read it all: the import is queued (the job reads the zip).
    assert response.status_code == 200, response.text[:300]
    assert "X-Request-ID" in response.headers
    assert response.json()["workflow_state"] == "created"


@pytest.mark.parametrize(
    ("path", "content_type", "words"),
    [
        ("/api/v1/accounts/self/sis_imports", "application/json", "up to 200 MB"),
        ("/accounts/1/sis_imports", "text/html; charset=utf-8", "The file is too large"),
    ],
)
def test_a_body_over_the_sis_imports_cap_gets_nginxs_clear_413(proxied, path, content_type, words):
    portal, proxy = proxied
    before = len(portal.log.read_text().splitlines())
    response = post_upload(proxy, path, 201 * MIB)
    assert response.status_code == 413
    assert response.headers["Content-Type"] == content_type
    assert words in response.text
    assert response.headers["Cache-Control"] == "no-store"
    logged = [json.loads(line) for line in portal.log.read_text().splitlines()[before:]]
    assert not [r for r in logged if r.get("path") == path]  # the portal never saw it


class SlowClients:
    """Clients that send a request's header lines one every 5 seconds, never finishing."""

    def __init__(self, port: int, *, tls: bool):
        self.port, self.tls = port, tls
        self.sockets: list[socket.socket] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._trickle)

    def __enter__(self):
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        for _ in range(SLOW_CLIENTS):
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
            if self.tls:
                sock = context.wrap_socket(sock)
            sock.sendall(b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            self.sockets.append(sock)
        self.thread.start()
        time.sleep(0.5)  # every one of them has reached the server
        return self

    def _trickle(self):
        while not self.stop.wait(5):
            for sock in self.sockets:
                with contextlib.suppress(OSError):  # nginx may drop one; the rest go on
                    sock.sendall(b"X-Slow: yes\r\n")

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        for sock in self.sockets:
            sock.close()


def test_forty_slow_clients_stop_gunicorn_alone_but_not_behind_nginx(proxied):
    portal, proxy = proxied
    with SlowClients(portal.port, tls=False), pytest.raises(requests.Timeout):
        requests.get(f"{portal.url}/healthz", timeout=3)

    with SlowClients(int(proxy.url.rsplit(":", 1)[1]), tls=True) as slow:
        started = time.monotonic()
        answered = []
        while time.monotonic() - started < 7:  # across a round of header lines
            response = get(proxy, "/login", timeout=3)
            answered.append(response.status_code)
            time.sleep(0.5)
        assert all(not sock._closed for sock in slow.sockets)  # still there, still slow
    assert len(answered) >= 5
    assert set(answered) == {200}


def test_the_attempt_limits_see_the_clients_address_through_nginx_whatever_it_claims(
    proxied, people, postgres
):
    portal, proxy = proxied
    headers = {
        "Authorization": f"Bearer {people['token']}",
        "X-Real-IP": FORGED,
        "X-Forwarded-For": FORGED,
    }
    path = f"/api/v1/users/{people['observer']}/observees"
    through_nginx = requests.post(
        proxy.url + path,
        data={"pairing_code": "zzzzzz"},
        headers=headers,
        verify=str(proxy.certificate),
        timeout=10,
    )
    # Straight to gunicorn, the forged header would be believed: why it listens on loopback only.
    straight = requests.post(
        portal.url + path,
        data={"pairing_code": "yyyyyy"},
        headers={**headers, "X-Forwarded-Proto": "https"},
        timeout=10,
    )
    assert through_nginx.status_code == straight.status_code == 422

    with postgres.connect() as conn:
        addresses = conn.execute(
            "SELECT host(client_address) FROM accounts_auditevent "
            "WHERE action = 'pairing_code.failed' AND actor_id = %s ORDER BY id",
            [people["observer"]],
        ).fetchall()
    assert [address for (address,) in addresses[-2:]] == ["127.0.0.1", FORGED]
