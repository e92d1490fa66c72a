"""Printable pairing letters: built once, for the People page and for a district-wide export."""

import base64
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from accounts.models import Institution, SelfRegistration, User
from pairing.pairing_link import pairing_link_maker, qr_svg

PAPER_STYLESHEETS = {"a4": "css/letters-a4.css", "letter": "css/letters-letter.css"}


@dataclass(frozen=True)
class Letter:
    student: User
    code: str
    expires_at: datetime
    qr: SafeString


def letters_build(rows, *, base_url: str) -> list[Letter]:
    """A letter for each (student, issued code) of ``rows``, its QR code the pairing link."""
    link_for = pairing_link_maker(base_url)
    return [
        Letter(
            student=student,
            code=issued.code,
            expires_at=issued.record.expires_at,
            qr=qr_svg(
                link_for(issued.code),
                title=gettext("QR code: the pairing link for %(name)s") % {"name": student.name},
            ),
        )
        for student, issued in rows
    ]


def letters_context(*, institution: Institution, base_url: str, inline_logo: bool = False) -> dict:
    """What every letter says besides the student's own lines: the school (its display name and
    logo) and where to go. ``inline_logo`` puts the logo inside the page (a data: address), for a
    file opened away from the portal."""
    signs_up = institution.self_registration in (SelfRegistration.OBSERVER, SelfRegistration.ALL)
    return {
        "school": institution.display,
        "school_logo": _logo_source(institution, base_url=base_url, inline=inline_logo),
        "link_base": urljoin(base_url, reverse("observees")),
        "sign_up_url": urljoin(base_url, reverse("observer_sign_up")) if signs_up else None,
    }


def letters_document(
    letters: list[Letter], *, institution: Institution, base_url: str, paper: str, title: str
) -> str:
    """The letters as one self-contained HTML file (styles inside) to open and print anywhere."""
    css = "\n".join(_static_text(path) for path in ("css/letters.css", PAPER_STYLESHEETS[paper]))
    return render_to_string(
        "pairing/pairing_letters_document.html",
        {
            "letters": letters,
            "title": title,
            "styles": mark_safe(css),  # noqa: S308 - our own stylesheets, read from disk
            **letters_context(institution=institution, base_url=base_url, inline_logo=True),
        },
    )


def _logo_source(institution: Institution, *, base_url: str, inline: bool) -> str:
    if not institution.logo or not institution.logo_content_type:
        return ""
    if inline:
        try:
            with institution.logo.open("rb") as logo:
                data = base64.b64encode(logo.read()).decode()
        except FileNotFoundError:
            return ""
        return f"data:{institution.logo_content_type};base64,{data}"
    version = institution.logo.name.rsplit("-", 1)[-1].split(".")[0]
    return f"{reverse('institution_logo', args=[institution.pk])}?v={version}"


def _static_text(path: str) -> str:
    found = finders.find(path)
    if found is None:
        raise FileNotFoundError(path)
    with open(found, encoding="utf-8") as handle:
        return handle.read()
