"""What the portal reads from an identity provider when an admin adds it: an OpenID Connect
provider's configuration, a SAML identity provider's metadata.

Both are read when the provider is saved, so that a mistyped address is said at once, and so
that the log-in page knows where its sign-in forms lead (its CSP) without asking anyone; metadata
by address is read again at sign-ins (saml_idp_current), so a new certificate is followed.
Addresses must be https, but for this computer's own (development, tests). Every request goes
through accounts.outbound: public addresses only, unless SSO_ALLOW_PRIVATE_ADDRESSES.
"""

import hashlib
import ipaddress
from urllib.parse import urlsplit

import requests
from django.core.cache import cache
from lxml import etree
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser

from accounts.errors import SignInError
from accounts.outbound import AddressNotAllowed, checked_session, resolve_allowed

LOOPBACK_NAMES = {"localhost"}
MAX_METADATA_BYTES = 1_000_000
# How long metadata read from its address is used before it is read again (as allauth does).
SAML_METADATA_SECONDS = 4 * 3600


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


def fetchable_address(url: str) -> str:
    """``url`` if checked_address takes it and its host is one the portal may connect to
    (accounts.outbound), else SignInError(ADDRESS_NOT_PUBLIC). A host that does not resolve is
    left to the request, which says it could not read it."""
    url = checked_address(url)
    parts = urlsplit(url)
    try:
        resolve_allowed(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except AddressNotAllowed:
        raise SignInError(SignInError.ADDRESS_NOT_PUBLIC) from None
    except OSError:
        pass
    return url


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def oidc_configuration(issuer: str) -> dict:
    """The provider's discovery document (``/.well-known/openid-configuration``), checked for
    what a sign-in needs; SignInError(DISCOVERY_FAILED) when it cannot be read."""
    issuer = fetchable_address(issuer).rstrip("/")
    try:
        with checked_session() as session:
            response = session.get(
                f"{issuer}/.well-known/openid-configuration", allow_redirects=False
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
    url = fetchable_address(url)
    try:
        with (
            checked_session() as session,
            session.get(url, allow_redirects=False, stream=True) as response,
        ):
            response.raise_for_status()
            body = response.raw.read(MAX_METADATA_BYTES + 1, decode_content=True)
    except (requests.RequestException, OSError):
        raise SignInError(SignInError.METADATA_UNREACHABLE) from None
    if len(body) > MAX_METADATA_BYTES:
        raise SignInError(SignInError.METADATA_INVALID)
    return body.decode(response.encoding or "utf-8", errors="replace")


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


def saml_idp_current(*, metadata_url: str, entity_id: str) -> dict:
    """The identity provider's entity id, sign-in address and certificate, from its metadata
    address: read through accounts.outbound (allauth's own reading would connect anywhere), then
    kept for SAML_METADATA_SECONDS. SignInError when it cannot be read or names another entity."""
    key = "sso:saml-idp:" + hashlib.sha256(f"{metadata_url}\n{entity_id}".encode()).hexdigest()
    idp = cache.get(key)
    if idp is None:
        idp = saml_metadata_read(saml_metadata_fetch(metadata_url))
        if idp["entity_id"] != entity_id:
            raise SignInError(SignInError.METADATA_INVALID)
        cache.set(key, idp, SAML_METADATA_SECONDS)
    return idp
