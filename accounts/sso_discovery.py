"""What the portal reads from an identity provider when an admin adds it: an OpenID Connect
provider's configuration, a SAML identity provider's metadata.

Both are read once, when the provider is saved, so that a mistyped address is said at once, and
so that the log-in page knows where its sign-in forms lead (its CSP) without asking anyone.
Addresses must be https, but for this computer's own (development, tests).
"""

import ipaddress
from urllib.parse import urlsplit

import requests
from django.conf import settings
from lxml import etree
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser

from accounts.errors import SignInError

LOOPBACK_NAMES = {"localhost"}
MAX_METADATA_BYTES = 1_000_000


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def checked_address(url: str) -> str:
    """``url`` if it is an https address (or an http one on this computer), else SignInError."""
    url = (url or "").strip()
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    secure = parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(host))
    if not (secure and host) or parts.username or parts.password or " " in url:
        raise SignInError(SignInError.ADDRESS_INVALID)
    return url


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def oidc_configuration(issuer: str) -> dict:
    """The provider's discovery document (``/.well-known/openid-configuration``), checked for
    what a sign-in needs; SignInError(DISCOVERY_FAILED) when it cannot be read."""
    issuer = checked_address(issuer).rstrip("/")
    try:
        response = requests.get(
            f"{issuer}/.well-known/openid-configuration",
            timeout=settings.SOCIALACCOUNT_REQUESTS_TIMEOUT,
            allow_redirects=False,
        )
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError):
        raise SignInError(SignInError.DISCOVERY_FAILED) from None
    needed = ("authorization_endpoint", "token_endpoint", "jwks_uri")
    if not isinstance(document, dict) or not all(
        isinstance(document.get(key), str) for key in needed
    ):
        raise SignInError(SignInError.DISCOVERY_FAILED)
    checked_address(document["authorization_endpoint"])
    return document


def saml_metadata_fetch(url: str) -> str:
    url = checked_address(url)
    try:
        response = requests.get(
            url, timeout=settings.SOCIALACCOUNT_REQUESTS_TIMEOUT, allow_redirects=False
        )
        response.raise_for_status()
    except requests.RequestException:
        raise SignInError(SignInError.METADATA_UNREACHABLE) from None
    if len(response.content) > MAX_METADATA_BYTES:
        raise SignInError(SignInError.METADATA_INVALID)
    return response.text


def saml_metadata_read(xml: str) -> dict:
    """The identity provider's entity id, sign-in address and signing certificate, from its
    metadata; SignInError(METADATA_INVALID) unless all three are there."""
    if not xml.strip() or len(xml) > MAX_METADATA_BYTES:
        raise SignInError(SignInError.METADATA_INVALID)
    try:
        idp = OneLogin_Saml2_IdPMetadataParser.parse(xml).get("idp") or {}
    except (etree.Error, ValueError):  # not XML, or a DTD (refused: entity tricks)
        raise SignInError(SignInError.METADATA_INVALID) from None
    certificate = idp.get("x509cert") or next(
        iter((idp.get("x509certMulti") or {}).get("signing") or []), None
    )
    sign_in = (idp.get("singleSignOnService") or {}).get("url")
    if not (idp.get("entityId") and certificate and sign_in):
        raise SignInError(SignInError.METADATA_INVALID)
    checked_address(sign_in)
    return {"entity_id": idp["entityId"], "x509cert": certificate, "sso_url": sign_in}
