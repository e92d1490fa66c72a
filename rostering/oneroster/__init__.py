"""OneRoster 1.1 and 1.2 CSV (1EdTech): a district's roster, parents and guardians included.

The reader beside Canvas's (``rostering.sis_csv``): it opens the zip, reads its ``manifest.csv``
(``manifest``), what it says about its people (``people``), and gives its files as the shared
appliers' rows in Canvas's words (``translate``): users.csv → users and, from ``agentSourcedIds``,
observer links; classes.csv → courses; enrollments.csv → enrollments. A bulk file is a snapshot
of what the source's earlier imports made: what it no longer lists is removed (``sweep``), past a
threshold only once confirmed.

The import's options (``SisImport.options``): ``oneroster_source`` (whose records these are:
default the manifest's ``source.systemCode``, else ``source.systemName``, else "oneroster"),
``oneroster_sis_id`` ("sourcedId", the default, or "identifier"), ``oneroster_admins`` (make
administrators account admins), ``change_threshold`` (per cent, default 10) and
``allow_removals`` (remove past the threshold).
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone
from django.utils.translation import gettext

from rostering.models import SisImport
from rostering.oneroster.manifest import BULK, Manifest, manifest_read
from rostering.oneroster.people import People, people_read
from rostering.oneroster.sweep import DEFAULT_THRESHOLD, Sweep
from rostering.oneroster.translate import guardians_file_name, roster_files
from rostering.provenance import record_key
from rostering.rows import RosterFile, Row, SisFileError
from rostering.sis_csv import Opener, open_zip_upload

DEFAULT_SOURCE = "oneroster"


@contextmanager
def read_import(record: SisImport, open_bytes: Opener) -> Iterator[list[RosterFile]]:
    """The files of the OneRoster zip ``record`` imports, in the order they apply, a bulk
    snapshot's removals last. Raises ``SisFileError`` when the zip or its manifest cannot be
    read, ``RemovalsUnconfirmed`` when the removals pass the threshold and are not allowed."""
    options = record.options
    with open_zip_upload(record.filename, open_bytes) as opened:
        if opened is None:
            raise SisFileError(
                gettext(
                    "%(name)s is not a zip file: a OneRoster export is a zip of CSV files with "
                    "manifest.csv."
                )
                % {"name": record.filename}
            )
        manifest = manifest_read(record.filename, *opened)
        identifier = str(options.get("oneroster_sis_id", "")).lower() == "identifier"
        people = people_read(manifest, sis_id_column="identifier" if identifier else "sourcedid")
        source = str(options.get("oneroster_source") or manifest.source or DEFAULT_SOURCE)
        files = roster_files(
            manifest,
            people,
            today=timezone.localdate(),
            admins=bool(options.get("oneroster_admins")),
            source=source,
        )
        sweep = _sweep(record.institution_id, source, manifest, people, files)
        if sweep is not None:
            if not options.get("allow_removals"):
                sweep.check(threshold=int(options.get("change_threshold", DEFAULT_THRESHOLD)))
            files += sweep.roster_files()
        yield files


def _sweep(
    institution_id: int, source: str, manifest: Manifest, people: People, files: list[RosterFile]
) -> Sweep | None:
    """What the bulk files of the export no longer list, or None when none is in bulk."""
    by_name = {roster_file.name: roster_file for roster_file in files}
    sweep = Sweep(institution_id=institution_id, source=source)
    bulk = False
    if manifest.mode("users") == BULK and "users" in manifest.tables:
        bulk = True
        sweep.links(_listed(by_name[guardians_file_name()], ("observer_id", "student_id")))
    if manifest.mode("enrollments") == BULK and "enrollments" in manifest.tables:
        bulk = True
        sweep.enrollments(_listed(by_name["enrollments.csv"], ("course_id", "user_id", "role")))
    if manifest.mode("users") == BULK and "users" in manifest.tables:
        sweep.users({people.sis_id(sourced_id) for sourced_id in people.listed})
    return sweep if bulk else None


def _listed(roster_file: RosterFile, columns: tuple[str, ...]) -> set[str]:
    """The keys of the file's rows that keep what they name (a deleted one does not)."""
    return {
        record_key(*(row.values[column] for column in columns))
        for row in roster_file.rows()
        if isinstance(row, Row) and row.values.get("status") != "deleted"
    }


__all__ = ["DEFAULT_SOURCE", "read_import"]
