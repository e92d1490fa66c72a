"""HTTP requests to addresses an institution's admin typed in: an identity provider's OpenID
Connect configuration and keys, its tokens and user info, a SAML identity provider's metadata.

Whoever can add a provider chooses where the portal's servers connect, so these requests go to
public internet addresses only, never to this computer, the private network (a database, a cloud's
metadata service at 169.254.169.254) or reserved ranges. The check is made when the connection is
opened, on the very addresses it connects to: the host name is resolved once, every address it
has is checked, and the socket connects to a checked one, so a name that resolves to a public
address for a check and to a private one a moment later (DNS rebinding) gains nothing. Redirects
are new connections, checked the same way. TLS still verifies the certificate for the host name.

settings.SSO_ALLOW_PRIVATE_ADDRESSES turns the check off, for a provider on the district's own
network (and for development and tests, whose providers run on this computer). Proxies from the
environment (HTTPS_PROXY) are not used: the address checked must be the one connected to.
"""

import functools
import ipaddress
import socket

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError
from urllib3.util import connection as urllib3_connection


class AddressNotAllowed(OSError):
    """A host name that resolves to an address the portal does not connect to."""


def address_allowed(address: str) -> bool:
    """Whether the portal may connect to this IP address: a public one (or any, when
    settings.SSO_ALLOW_PRIVATE_ADDRESSES is on)."""
    if settings.SSO_ALLOW_PRIVATE_ADDRESSES:
        return True
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone ("%eth0") is no part
    if ip.version == 6 and ip.ipv4_mapped is not None:  # ::ffff:10.0.0.1 is 10.0.0.1
        ip = ip.ipv4_mapped
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


def resolve_allowed(host: str, port: int) -> list[tuple]:
    """The addresses ``host`` resolves to (getaddrinfo's entries), when every one of them is
    allowed; AddressNotAllowed if any is not (OSError when the name does not resolve)."""
    entries = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    if not entries or not all(address_allowed(entry[4][0]) for entry in entries):
        raise AddressNotAllowed(f"{host} resolves to an address the portal does not connect to")
    return entries


class _CheckedConnection:
    """urllib3's connection, connecting only to addresses resolve_allowed returned."""

    def _new_conn(self) -> socket.socket:
        try:
            entries = resolve_allowed(self._dns_host, self.port)
        except OSError as error:
            raise NewConnectionError(self, f"Refused or unresolved: {error}") from error
        last_error: OSError | None = None
        for entry in entries:
            address = entry[4][0]
            try:
                # An IP address: create_connection resolves nothing more.
                return urllib3_connection.create_connection(
                    (address, self.port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except OSError as error:
                last_error = error
        raise NewConnectionError(self, f"Failed to establish a new connection: {last_error}")


class _CheckedHTTPConnection(_CheckedConnection, HTTPConnection):
    pass


class _CheckedHTTPSConnection(_CheckedConnection, HTTPSConnection):
    pass


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class _CheckedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _CheckedHTTPPool,
            "https": _CheckedHTTPSPool,
        }


def checked_session() -> requests.Session:
    """A requests session whose every connection goes to an allowed address, with the timeout of
    settings.SOCIALACCOUNT_REQUESTS_TIMEOUT on each request (allauth's calls use it too)."""
    session = requests.Session()
    session.trust_env = False
    adapter = _CheckedAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.request = functools.partial(
        session.request, timeout=settings.SOCIALACCOUNT_REQUESTS_TIMEOUT
    )
    return session
