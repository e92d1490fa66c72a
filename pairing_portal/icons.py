"""The icon sprite (static/icons/sprite.svg) from Lucide's SVGs (lucide-static, ISC licence).

The icons the portal uses are committed in static/icons/lucide/ (with Lucide's licence), so the
portal needs no npm to run; `make icons` copies them again from node_modules/lucide-static and
runs this module, which writes them as <symbol>s of one sprite that pages use with
<svg><use href="…/sprite.svg#name"/></svg> (templatetags: {% icon "name" %}).
"""

import re
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SOURCE = BASE_DIR / "static" / "icons" / "lucide"
SPRITE = BASE_DIR / "static" / "icons" / "sprite.svg"


def symbol(name: str, svg: str) -> str:
    view_box = re.search(r'viewBox="([^"]+)"', svg).group(1)
    body = re.search(r"<svg[^>]*>(.*)</svg>", svg, re.S).group(1)
    body = re.sub(r"\s*\n\s*", "", body)
    return (
        f'<symbol id="{name}" viewBox="{view_box}" fill="none" stroke="currentColor" '
        f'stroke-width="2" stroke-linecap="round" stroke-linejoin="round">{body}</symbol>'
    )


def sprite(source: Path = SOURCE) -> str:
    symbols = [symbol(path.stem, path.read_text()) for path in sorted(source.glob("*.svg"))]
    return (
        "<!-- Lucide icons (lucide-static, ISC licence: static/icons/lucide/LICENSE.txt) -->\n"
        '<svg xmlns="http://www.w3.org/2000/svg" fill="none" stroke="currentColor" '
        'stroke-width="2" stroke-linecap="round" stroke-linejoin="round">\n'
        + "\n".join(symbols)
        + "\n</svg>\n"
    )


if __name__ == "__main__":
    SPRITE.write_text(sprite())
    sys.stdout.write(f"{SPRITE.relative_to(BASE_DIR)}: {len(list(SOURCE.glob('*.svg')))} icons\n")
