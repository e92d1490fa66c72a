"""Reading the Spanish catalogue in Python: the .po as written, the .mo as compiled and committed."""

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

SPANISH = Path(settings.LOCALE_PATHS[0]) / "es" / "LC_MESSAGES"
PO_FILE = SPANISH / "django.po"
MO_FILE = SPANISH / "django.mo"
# What a translation must keep as it is: placeholders and HTML tags.
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}|<[^>]+>")

_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")$')
_FIELD = {"msgctxt": "context", "msgid": "msgid", "msgid_plural": "plural"}


@dataclass
class Entry:
    msgid: str = ""
    context: str | None = None
    plural: str | None = None
    translations: dict[int, str] = field(default_factory=dict)  # msgstr, or msgstr[n]
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False


def read_po(path: Path = PO_FILE) -> list[Entry]:
    """Every entry of a .po file but the header, in file order."""
    entries: list[Entry] = []
    entry, target = Entry(), None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip() or (line.startswith("#") and target is not None):
            if target is not None and entry.msgid:
                entries.append(entry)
            entry, target = Entry(), None
        if line.startswith("#,"):
            entry.flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#~"):
            entry.obsolete = True
        elif match := _KEYWORD.match(line):
            keyword, index, text = match.groups()
            value = ast.literal_eval(text)
            if keyword.startswith("msgstr"):
                target = int(index or 0)
                entry.translations[target] = value
            else:
                target = _FIELD[keyword]
                setattr(entry, target, value)
        elif line.startswith('"') and target is not None:
            value = ast.literal_eval(line)
            if isinstance(target, int):
                entry.translations[target] += value
            else:
                setattr(entry, target, getattr(entry, target) + value)
    return entries


def po_catalogue(entries: list[Entry]) -> dict:
    """The entries as GNUTranslations keys them: "context\\x04msgid", and (msgid, n) for plurals."""
    catalogue = {}
    for entry in entries:
        if entry.obsolete or "fuzzy" in entry.flags:
            continue  # msgfmt leaves these out
        key = entry.msgid if entry.context is None else f"{entry.context}\x04{entry.msgid}"
        if entry.plural is None:
            catalogue[key] = entry.translations[0]
        else:
            for index, text in entry.translations.items():
                catalogue[(key, index)] = text
    return catalogue


def mo_catalogue(path: Path = MO_FILE) -> dict:
    """The compiled catalogue, without its header entry."""
    with path.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    return {key: text for key, text in compiled._catalog.items() if key != ""}
