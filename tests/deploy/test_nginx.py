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
