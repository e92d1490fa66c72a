"""The Spanish catalogue: complete, placeholders and tags intact, the committed .mo compiled from
the committed .po, and the .po up to date with the source."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.catalogue import PLACEHOLDER, PO_FILE, Entry, mo_catalogue, po_catalogue, read_po


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def test_every_string_of_the_catalogue_has_its_spanish():
    entries = [entry for entry in read_po() if not entry.obsolete]
    assert len(entries) > 300
    assert [e.msgid for e in entries if "fuzzy" in e.flags] == []
    forms = 3  # Plural-Forms of the catalogue's header: one, many (millions), other
    assert [e.msgid for e in entries if e.plural and len(e.translations) != forms] == []
    empty = [e.msgid for e in entries if not all(text.strip() for text in e.translations.values())]
    assert empty == []


def test_translations_keep_every_placeholder_and_tag():
    def broken(entry: Entry) -> bool:
        if entry.context == "expiry of a pairing code":
            return False  # a date format, translated as a whole
        wanted = placeholders(entry.msgid)
        wanted_plural = placeholders(entry.plural) if entry.plural else wanted
        return any(
            sorted(set(placeholders(text))) != sorted(set(wanted if n == 0 else wanted_plural))
            for n, text in entry.translations.items()
        )

    assert [entry.msgid for entry in read_po() if broken(entry)] == []


def test_the_committed_mo_is_compiled_from_the_committed_po():
    """A .po edited without `make messages` leaves a stale .mo, which the pages would use."""
    assert mo_catalogue() == po_catalogue(read_po())


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext is not installed")
def test_msgfmt_accepts_the_catalogue(tmp_path):
    checked = subprocess.run(
        [shutil.which("msgfmt"), "--check", "-o", str(tmp_path / "django.mo"), str(PO_FILE)],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
def test_the_catalogue_has_every_string_of_the_source(tmp_path):
    """`make messages` was run after the last change of a marked string (in a copy of the code)."""
    root = Path(settings.BASE_DIR)
    for name in (
        "accounts",
        "api",
        "courses",
        "pairing",
        "rostering",
        "pairing_portal",
        "templates",
        "locale",
    ):
        shutil.copytree(root / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(root / "manage.py", tmp_path)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "es"],
        cwd=tmp_path,
        env={"ENV_FILE": "/dev/null", "DEBUG": "true", "PATH": "/usr/bin:/bin"},
        check=True,
        capture_output=True,
    )
    fresh = read_po(tmp_path / "locale" / "es" / "LC_MESSAGES" / "django.po")
    assert [entry.msgid for entry in fresh if entry.obsolete] == [], "strings no longer used"
    assert po_catalogue(fresh) == po_catalogue(read_po()), "run `make messages`"
