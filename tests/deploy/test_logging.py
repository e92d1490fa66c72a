"""Production logs: every line a JSON object with time, level, logger and, within a request, its
id, user and institution; none holds a password, a pairing code, a token or a reset link, over a
whole journey through nginx and gunicorn. Error reports to Sentry are scrubbed the same way."""

import gzip
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tests.deploy.conftest import PASSWORD, gunicorn, nginx
from tests.test_shared_limits import free_port

pytestmark = pytest.mark.slow

NEW_PASSWORD = "a-brand-new-password-for-pat-77"
WRONG_PASSWORD = "not-my-password-at-all-31"


class Browser:
    """A requests session that sends what a browser would with each form (CSRF, Referer)."""

    def __init__(self, base: str, certificate: str):
        self.base, self.session, self.certificate = base, requests.Session(), certificate

    def get(self, path: str, **kw) -> requests.Response:
        return self.session.get(self.base + path, verify=self.certificate, timeout=15, **kw)

    def post(self, path: str, data: dict, **kw) -> requests.Response:
        token = self.session.cookies.get("csrftoken") or self.csrf_from(path)
        return self.session.post(
            self.base + path,
            data={"csrfmiddlewaretoken": token, **data},
            headers={"Referer": self.base + path},
            verify=self.certificate,
            timeout=15,
            **kw,
        )

    def csrf_from(self, path: str) -> str:
        self.get(path)
        return self.session.cookies["csrftoken"]

    def log_in(self, email: str, password: str) -> requests.Response:
        self.csrf_from("/login")
        return self.post("/login", {"username": email, "password": password})


def test_the_log_lines_of_a_whole_journey_are_json_and_hold_no_secret(env, people, tmp_path):
    mail = tmp_path / "mail"
    https_port = free_port()
    production = {
        **env,
        "SECURE_SSL_REDIRECT": "true",
        "TRUST_X_FORWARDED_PROTO": "true",
        "CLIENT_ADDRESS_HEADER": "HTTP_X_REAL_IP",
        "CSRF_TRUSTED_ORIGINS": f"https://127.0.0.1:{https_port}",
        "EMAIL_URL": f"filemail:///{mail}",  # four slashes: an absolute path
    }
    with (
        gunicorn(production, tmp_path, GUNICORN_WORKERS="1") as portal,
        nginx(
            upstream_port=portal.port,
            static_root=env["STATIC_ROOT"],
            tmp=tmp_path,
            https_port=https_port,
        ) as proxy,
    ):
        certificate = str(proxy.certificate)
        student = Browser(proxy.url, certificate)
        assert student.log_in("student@deploy.test", PASSWORD).url.endswith("/")
        page = student.post("/profile/pairing_code", {}).text
        code = re.search(r'<output id="pairing-code">([^<]+)</output>', page).group(1)

        parent = Browser(proxy.url, certificate)
        assert parent.log_in("parent@deploy.test", WRONG_PASSWORD).status_code == 200  # refused
        parent.log_in("parent@deploy.test", PASSWORD)
        linked = parent.post("/profile/observees", {"code": code})
        assert "Sam Student" in linked.text
        api = requests.get(
            f"{proxy.url}/api/v1/users/self",
            headers={"Authorization": f"Bearer {people['token']}"},
            verify=certificate,
            timeout=15,
        )
        assert api.status_code == 200
        assert (
            requests.get(
                f"{proxy.url}/api/v1/users/self",
                headers={"Authorization": "Bearer pp_" + "forged-token-" * 4},
                verify=certificate,
                timeout=15,
            ).status_code
            == 401
        )

        someone = Browser(proxy.url, certificate)
        someone.csrf_from("/password/reset")
        sent = someone.post("/password/reset", {"email": "parent@deploy.test"})
        assert sent.url.endswith("/password/reset/sent"), sent.text[:3000]
        message = next(mail.iterdir()).read_text()
        link = re.search(r"https://[^/\s]+(/password/reset/([\w-]+)/([\w-]+))", message)
        reset_path, reset_token = link.group(1), link.group(3)
        form = someone.get(reset_path)  # redirected to .../set-password, the token kept aside
        assert form.status_code == 200
        done = someone.session.post(
            form.url,
            data={
                "csrfmiddlewaretoken": someone.session.cookies["csrftoken"],
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
            },
            headers={"Referer": form.url},
            verify=certificate,
            timeout=15,
        )
        assert done.url.endswith("/password/reset/done")

    lines = portal.log.read_text().splitlines()
    records = [json.loads(line) for line in lines]  # every line, startup and shutdown included
    assert all({"time", "level", "logger", "message"} <= set(record) for record in records)
    requests_logged = [r for r in records if r["logger"] == "pairing_portal.request"]
    assert len(requests_logged) >= 15
    for record in requests_logged:
        assert re.fullmatch(r"[0-9a-f]{32}", record["request_id"])
        assert {"method", "path", "status", "duration_ms"} <= set(record)
    signed_in = [r for r in requests_logged if r["path"] == "/profile/observees"]
    assert signed_in[-1]["user_id"] == people["observer"]
    assert signed_in[-1]["institution_id"] == people["institution"]
    assert any(r["path"] == "/password/reset/[redacted]" for r in requests_logged)

    everything = portal.log.read_text() + proxy.access_log.read_text()
    body = message.split("\n\n", 1)[1]
    for secret in (
        PASSWORD,
        NEW_PASSWORD,
        WRONG_PASSWORD,
        code,
        people["token"],
        "forged-token-",
        reset_token,
        body.strip().splitlines()[0],  # the e-mail's greeting: nothing of its body
    ):
        assert secret not in everything, secret


# --- Sentry ---------------------------------------------------------------------------------------


class SentryIngest(ThreadingHTTPServer):
    """Stands in for sentry.io: keeps every envelope the SDK posts."""

    def __init__(self):
        self.envelopes: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(handler):
                body = handler.rfile.read(int(handler.headers["Content-Length"]))
                if handler.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                self.envelopes.append(body.decode("utf-8", "replace"))
                handler.send_response(200)
                handler.end_headers()

            def log_message(handler, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)


def test_error_reports_to_sentry_carry_no_code_token_cookie_or_reset_link(
    env, people, postgres, tmp_path
):
    ingest = SentryIngest()
    threading.Thread(target=ingest.serve_forever, daemon=True).start()
    dsn = f"http://publickey@127.0.0.1:{ingest.server_address[1]}/1"
    code, session, reset_token = "QX7KP2", "s3ss10n-" * 4, "c0ffee-" + "9" * 32
    try:
        with gunicorn({**env, "SENTRY_DSN": dsn}, tmp_path, GUNICORN_WORKERS="1") as portal:
            postgres.stop()  # a real error: the database is gone
            try:
                redeem = requests.post(
                    f"{portal.url}/api/v1/users/{people['observer']}/observees",
                    data={"pairing_code": code},
                    headers={
                        "Authorization": f"Bearer {people['token']}",
                        "Cookie": f"sessionid={session}",
                    },
                    timeout=30,
                )
                reset = requests.get(
                    f"{portal.url}/password/reset/Mg/{reset_token}?code={code}", timeout=30
                )
            finally:
                postgres.start()
            assert (redeem.status_code, reset.status_code) == (503, 503)
            deadline = time.monotonic() + 20
            while sum('"type":"event"' in e for e in ingest.envelopes) < 2:
                assert time.monotonic() < deadline, "Sentry received no report"
                time.sleep(0.2)
    finally:
        ingest.shutdown()

    sent = "\n".join(ingest.envelopes)
    assert "OperationalError" in sent  # it is the error report
    for secret in (code, people["token"], session, reset_token, "Bearer"):
        assert secret not in sent, secret
