"""An institution's own look: its display name, logo and brand colour (the Branding page).

The logo is checked before it is kept: at most LOGO_MAX_BYTES, decoded by Pillow as a PNG or a
JPEG no larger than LOGO_MAX_SIDE pixels a side, then re-encoded, so what is stored and served is
an image Pillow wrote (no metadata, nothing riding along in a polyglot file). SVG is refused, not
sanitized: an SVG can carry script, and a sanitizer is one more parser to get wrong for the sake
of a format every logo also exists in as PNG.

The brand colour is the background of the header and the buttons, under white text: it is kept
only if that pair reaches WCAG 2.x's 4.5:1 contrast for normal text.
"""

import io
import re
import secrets

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from PIL import Image, UnidentifiedImageError

from accounts.audit import audit_record
from accounts.errors import AccountError, LowContrast
from accounts.models import AuditAction, Institution, User
from accounts.services.institutions import require_admin_of

MIN_CONTRAST = 4.5
WHITE = "#ffffff"
HEX_COLOUR = re.compile(r"#[0-9a-f]{6}")
# What Pillow may decode, and the content type the logo is then served with.
LOGO_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}
DISPLAY_NAME_MAX_LENGTH = 100


def relative_luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of a #rrggbb colour."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2.x contrast ratio of two #rrggbb colours, from 1 to 21."""
    light, dark = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def brand_color_check(value: str) -> str:
    """The colour as stored (#rrggbb, lower case), or "" for none; ``AccountError`` for a value
    that is no colour, ``LowContrast`` for one white text cannot be read on."""
    colour = value.strip().lower()
    if not colour:
        return ""
    if re.fullmatch(r"#[0-9a-f]{3}", colour):
        colour = "#" + "".join(c * 2 for c in colour[1:])
    if not HEX_COLOUR.fullmatch(colour):
        raise AccountError(AccountError.BRAND_COLOR_INVALID)
    ratio = contrast_ratio(colour, WHITE)
    if ratio < MIN_CONTRAST:
        raise LowContrast(ratio)
    return colour


def logo_check(upload: UploadedFile) -> tuple[bytes, str, str]:
    """The upload, checked and re-encoded: (bytes, content type, file extension)."""
    if upload.size is None or upload.size > settings.LOGO_MAX_BYTES:
        raise AccountError(AccountError.LOGO_TOO_LARGE)
    data = upload.read(settings.LOGO_MAX_BYTES + 1)
    if len(data) > settings.LOGO_MAX_BYTES:
        raise AccountError(AccountError.LOGO_TOO_LARGE)
    try:
        with Image.open(io.BytesIO(data), formats=list(LOGO_FORMATS)) as probe:
            probe.verify()  # the whole file is read: a truncated or broken one fails here
        image = Image.open(io.BytesIO(data), formats=list(LOGO_FORMATS))
        if max(image.size) > settings.LOGO_MAX_SIDE:
            raise AccountError(AccountError.LOGO_TOO_WIDE)
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise AccountError(AccountError.LOGO_NOT_AN_IMAGE) from None
    kind = image.format
    out = io.BytesIO()
    if kind == "PNG":
        keep = "RGBA" if image.mode in ("RGBA", "LA", "P", "PA") else "RGB"
        image.convert(keep).save(out, format="PNG", optimize=True)
    else:
        image.convert("RGB").save(out, format="JPEG", quality=90, optimize=True)
    return out.getvalue(), LOGO_FORMATS[kind], kind.lower().replace("jpeg", "jpg")


@transaction.atomic
def institution_branding_set(
    *,
    institution: Institution,
    display_name: str,
    brand_color: str,
    logo: UploadedFile | None = None,
    remove_logo: bool = False,
    by: User | None,
) -> Institution:
    """The school's display name, brand colour and logo (a new one replaces the old; or none).
    Each change is one audit event naming what changed."""
    require_admin_of(institution, by)
    display_name = " ".join(display_name.split())
    if len(display_name) > DISPLAY_NAME_MAX_LENGTH:
        raise AccountError(AccountError.DISPLAY_NAME_TOO_LONG)
    colour = brand_color_check(brand_color)
    checked_logo = logo_check(logo) if logo is not None else None

    changed: dict[str, dict] = {}
    for field, value in (("display_name", display_name), ("brand_color", colour)):
        before = getattr(institution, field)
        if before != value:
            changed[field] = {"from": before, "to": value}
            setattr(institution, field, value)
    old_logo = institution.logo.name if institution.logo else ""
    if checked_logo is not None:
        content, content_type, extension = checked_logo
        # A new name each time: the logo's address changes with it, so it may be cached for ever.
        name = f"institution-{institution.pk}-{secrets.token_hex(8)}.{extension}"
        institution.logo.save(name, ContentFile(content), save=False)
        institution.logo_content_type = content_type
        changed["logo"] = {"from": old_logo, "to": institution.logo.name}
    elif remove_logo and old_logo:
        institution.logo = ""
        institution.logo_content_type = ""
        changed["logo"] = {"from": old_logo, "to": ""}
    if not changed:
        return institution
    institution.save(update_fields=["display_name", "brand_color", "logo", "logo_content_type"])
    if "logo" in changed and old_logo:
        storage, name = institution.logo.storage, old_logo
        transaction.on_commit(lambda: storage.delete(name))
    audit_record(
        action=AuditAction.BRANDING_CHANGED, institution=institution, actor=by, details=changed
    )
    return institution
