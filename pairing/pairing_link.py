"""A pairing code as a link and a QR code, for parents who would rather not type it."""

import io
from collections.abc import Callable
from urllib.parse import urljoin

import segno
from django.http import HttpRequest
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

FRAGMENT_KEY = "code"


def pairing_link(request: HttpRequest, code: str) -> str:
    return pairing_link_maker(request.build_absolute_uri("/"))(code)


def pairing_link_maker(base_url: str) -> Callable[[str], str]:
    """Makes the address that opens the code-entry page with a code filled in (worked out once,
    for files of thousands of codes).

    The code rides in the fragment (``#code=…``), which a browser never sends to a server: no
    request line, access log, proxy or Referer header carries it. A small script on the page
    (static/js/pairing-link.js) moves it into the form, keeping it across log-in or sign-up.
    """
    prefix = f"{urljoin(base_url, reverse('observees'))}#{FRAGMENT_KEY}="
    return lambda code: prefix + code


def qr_svg(data: str, *, title: str) -> SafeString:
    """``data`` as an inline SVG QR code whose accessible name is ``title``."""
    out = io.BytesIO()
    segno.make(data, error="m").save(
        out, kind="svg", xmldecl=False, svgns=True, title=title, scale=4, border=4, nl=False
    )
    svg = out.getvalue().decode()
    # segno escapes the title; the rest of the markup is its own.
    return mark_safe(svg.replace("<svg ", '<svg role="img" focusable="false" ', 1))  # noqa: S308
