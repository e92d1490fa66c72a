"""A OneRoster CSV zip's manifest.csv: its version, and which files it holds in bulk or delta.

OneRoster (1EdTech) 1.1 and 1.2 export a zip of CSV files with a ``manifest.csv`` of
``propertyName,value`` rows: ``oneroster.version``, ``file.<name>`` = ``bulk``, ``delta`` or
``absent``, and optionally ``source.systemName`` / ``source.systemCode``. Nothing here touches the
database.
"""

import zipfile
from dataclasses import dataclass, field

from django.utils.translation import gettext

from rostering.rows import Row, SisFileError
from rostering.sis_csv import CsvTable, zip_member_table

VERSIONS = ("1.1", "1.2")
BULK, DELTA, ABSENT = "bulk", "delta", "absent"
# The files an import reads (the others a manifest may name are ignored, never an error).
READ = ("orgs", "users", "roles", "classes", "enrollments", "academicSessions")


@dataclass
class Manifest:
    version: str
    modes: dict[str, str]  # file name without .csv ("users") → bulk or delta (absent: left out)
    source: str  # the system that made the export, when the manifest says
    tables: dict[str, CsvTable] = field(default_factory=dict)  # the files READ that are present

    def mode(self, name: str) -> str:
        return self.modes.get(name, ABSENT)


def manifest_read(name: str, archive: zipfile.ZipFile, members: list[zipfile.ZipInfo]) -> Manifest:
    """The zip's manifest, with the files it names that an import reads. Raises
    ``SisFileError`` when the manifest is missing or unreadable, or names a file not there."""
    by_name = {_basename(member.filename).lower(): member for member in members}
    if "manifest.csv" not in by_name:
        raise SisFileError(
            gettext(
                "%(name)s has no manifest.csv: a OneRoster export is a zip with manifest.csv "
                "beside its files. Export it again, or import it as Canvas SIS CSV."
            )
            % {"name": name}
        )
    properties = _properties(zip_member_table(name, archive, by_name["manifest.csv"]))
    version = properties.get("oneroster.version", "")
    if version not in VERSIONS:
        raise SisFileError(
            gettext(
                'manifest.csv: oneroster.version is "%(version)s"; OneRoster 1.1 and 1.2 can be '
                "imported."
            )
            % {"version": version}
        )
    modes = {}
    for prop, value in properties.items():
        if not prop.startswith("file."):
            continue
        mode = value.lower()
        if mode not in (BULK, DELTA, ABSENT):
            raise SisFileError(
                gettext(
                    'manifest.csv: %(property)s is "%(value)s", where bulk, delta or absent is '
                    "expected."
                )
                % {"property": prop, "value": value}
            )
        if mode != ABSENT:
            modes[prop.removeprefix("file.")] = mode
    manifest = Manifest(
        version=version,
        modes=modes,
        source=properties.get("source.systemcode") or properties.get("source.systemname") or "",
    )
    for file_name, mode in modes.items():
        member = by_name.get(f"{file_name.lower()}.csv")
        if member is None:
            raise SisFileError(
                gettext(
                    "manifest.csv says %(file)s.csv is in the zip (%(mode)s), but %(name)s holds "
                    "no %(file)s.csv. Export it again."
                )
                % {"file": file_name, "mode": mode, "name": name}
            )
        if file_name in READ:
            manifest.tables[file_name] = zip_member_table(name, archive, member)
    return manifest


def _basename(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def _properties(table: CsvTable) -> dict[str, str]:
    if not {"propertyname", "value"} <= set(table.header):
        raise SisFileError(
            gettext("manifest.csv: the header must be propertyName,value (it is %(header)s).")
            % {"header": ", ".join(table.header)[:200]}
        )
    properties = {}
    for row in table.rows():
        if not isinstance(row, Row):
            raise SisFileError(
                gettext("manifest.csv row %(row)d: %(problem)s")
                % {"row": row.number, "problem": row.message}
            )
        # Names are read without case; a file's name as the standard spells it ("roles").
        key = row.values["propertyname"].lower()
        if key.startswith("file."):
            key = "file." + _CANONICAL.get(key.removeprefix("file."), key.removeprefix("file."))
        properties[key] = row.values["value"]
    return properties


_CANONICAL = {name.lower(): name for name in READ}
