"""Real identity providers for tests, each in a thread of the test process: an OpenID Connect
provider (oidc-provider-mock, an Authlib server) and a SAML 2.0 identity provider (pysaml2's IdP,
which signs with Debian's xmlsec1). Nothing of the portal's protocol code is replaced.

The SAML IdP serves:
  GET  /metadata        its metadata (what a school's admin pastes or links)
  GET  /sso/redirect    the sign-in form for an AuthnRequest: which person (e-mail, SIS id)
  POST /sso/login       the signed Response, in a page that posts it to the portal (HTTP-POST)
"""

import html
import shutil
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

MAIL = "urn:oid:0.9.2342.19200300.100.1.3"
DISPLAY_NAME = "urn:oid:2.16.840.1.113730.3.1.241"
# A district's own attribute for the SIS id (here eduPersonPrincipalName's OID).
SIS_ID = "urn:oid:1.3.6.1.4.1.5923.1.1.1.6"
XMLSEC1 = shutil.which("xmlsec1") or "/usr/bin/xmlsec1"


def xmlsec1_missing() -> str | None:
    """Why pysaml2's IdP cannot sign here, or None."""
    if Path(XMLSEC1).is_file():
        return None
    return "xmlsec1 is not installed (apt-get install xmlsec1; .ci/run installs it)"


def make_key_and_certificate(folder: Path) -> tuple[Path, Path, str]:
    """A self-signed RSA key and certificate for the IdP: (key file, certificate file, the
    certificate's base64 body as metadata carries it)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test-idp")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    key_file, certificate_file = folder / "idp.key", folder / "idp.crt"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM)
    certificate_file.write_bytes(pem)
    body = "".join(pem.decode().strip().splitlines()[1:-1])
    return key_file, certificate_file, body


def idp_metadata(*, entity_id: str, sso_url: str, certificate: str) -> str:
    """SAML 2.0 IdP metadata, as an identity provider publishes it."""
    return f"""<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
    xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{entity_id}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>{certificate}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        Location="{sso_url}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"""


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class SamlIdentityProvider:
    """pysaml2's IdP behind a small WSGI app. ``trust`` loads a service provider's metadata
    (the portal's, as it serves it); ``tamper`` changes each signed response before it leaves."""

    def __init__(self, *, key_file: Path, certificate_file: Path, certificate: str):
        self.key_file, self.certificate_file, self.certificate = (
            key_file,
            certificate_file,
            certificate,
        )
        self.httpd = make_server(
            "127.0.0.1", 0, self._app, server_class=_ThreadingServer, handler_class=_Quiet
        )
        self.base = f"http://127.0.0.1:{self.httpd.server_port}"
        self.entity_id = f"{self.base}/metadata"
        self.service_providers: list[str] = []
        self.tamper = None
        self._server = None

    def metadata(self) -> str:
        return idp_metadata(
            entity_id=self.entity_id,
            sso_url=f"{self.base}/sso/redirect",
            certificate=self.certificate,
        )

    def trust(self, service_provider_metadata: str) -> None:
        from saml2.config import IdPConfig
        from saml2.server import Server

        self.service_providers.append(service_provider_metadata)
        self._server = Server(config=IdPConfig().load(self._config()))

    def _config(self) -> dict:
        from saml2 import BINDING_HTTP_REDIRECT
        from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_EMAILADDRESS

        return {
            "entityid": self.entity_id,
            "service": {
                "idp": {
                    "endpoints": {
                        "single_sign_on_service": [
                            (f"{self.base}/sso/redirect", BINDING_HTTP_REDIRECT)
                        ]
                    },
                    "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                    "want_authn_requests_signed": False,
                    "policy": {
                        "default": {
                            "lifetime": {"minutes": 5},
                            "attribute_restrictions": None,
                            "name_form": NAME_FORMAT_URI,
                        }
                    },
                }
            },
            "key_file": str(self.key_file),
            "cert_file": str(self.certificate_file),
            "xmlsec_binary": XMLSEC1,
            "metadata": {"inline": list(self.service_providers)},
        }

    def _app(self, environ, start_response):
        path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
        if path == "/metadata":
            return self._reply(start_response, self.metadata(), "text/xml")
        if path == "/sso/redirect" and method == "GET":
            query = parse_qs(environ["QUERY_STRING"])
            hidden = "".join(
                f'<input type="hidden" name="{name}" value="{html.escape(values[0])}">'
                for name, values in query.items()
                if name in ("SAMLRequest", "RelayState")
            )
            page = (
                "<!doctype html><title>Test IdP</title><h1>District sign-in</h1>"
                f'<form method="post" action="/sso/login">{hidden}'
                '<label>E-mail <input name="email"></label>'
                '<label>SIS id <input name="sis_id"></label>'
                '<button type="submit">Sign in at the IdP</button></form>'
            )
            return self._reply(start_response, page)
        if path == "/sso/login" and method == "POST":
            size = int(environ.get("CONTENT_LENGTH") or 0)
            form = parse_qs(environ["wsgi.input"].read(size).decode())
            return self._reply(start_response, self._answer({k: v[0] for k, v in form.items()}))
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    def _answer(self, form: dict) -> str:
        from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
        from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NameID
        from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

        request = self._server.parse_authn_request(form["SAMLRequest"], BINDING_HTTP_REDIRECT)
        arguments = self._server.response_args(request.message, [BINDING_HTTP_POST])
        identity = {MAIL: [form["email"]], DISPLAY_NAME: ["Pat Person"]}
        if form.get("sis_id"):
            identity[SIS_ID] = [form["sis_id"]]
        response = self._server.create_authn_response(
            identity,
            userid=form["email"],
            name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=form["email"]),
            authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"},
            sign_response=True,
            sign_assertion=True,
            # pysaml2 signs with SHA-1 unless told; the portal refuses SHA-1 signatures.
            sign_alg=SIG_RSA_SHA256,
            digest_alg=DIGEST_SHA256,
            **arguments,
        )
        xml = str(response)
        if self.tamper is not None:
            xml = self.tamper(xml)
        binding = self._server.apply_binding(
            BINDING_HTTP_POST,
            xml,
            arguments["destination"],
            form.get("RelayState", ""),
            response=True,
        )
        return binding["data"]  # a page whose script posts the response to the portal's ACS

    @staticmethod
    def _reply(start_response, body: str, content_type: str = "text/html; charset=utf-8"):
        start_response("200 OK", [("Content-Type", content_type)])
        return [body.encode()]

    def __enter__(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
