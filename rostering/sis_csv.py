"""Reading Canvas SIS CSV files: which kind a file is, and its rows, each with its own problems.

Nothing here touches the database. A file is read as UTF-8 (a byte-order mark is allowed); a row
that is not valid UTF-8, has a broken quote or the wrong number of fields becomes a ``BadRow`` with
its number and a message, and the rows around it are still read. Messages are in the language of
the request (the page's admin), English for the command.
"""

import csv
import io
import lzma
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.utils.translation import gettext

# Kinds, in the order an import applies them: people and courses before what refers to them.
USERS = "users"
COURSES = "courses"
ENROLLMENTS = "enrollments"
USER_OBSERVERS = "user_observers"
KIND_ORDER = [USERS, COURSES, ENROLLMENTS, USER_OBSERVERS]

# The columns that identify each kind (Canvas recognises files by header, not by name).
_SIGNATURES = [
    (USER_OBSERVERS, {"observer_id", "student_id"}),
    (ENROLLMENTS, {"course_id", "user_id", "role"}),
    (COURSES, {"course_id", "short_name", "long_name"}),
    (USERS, {"user_id", "login_id"}),
]
MAX_FILE_BYTES = 200 * 1024 * 1024  # an upload, and all the CSV text a zip may unpack to
MAX_ZIP_MEMBERS = 50
_MEGABYTES = MAX_FILE_BYTES // (1024 * 1024)


class SisFileError(Exception):
    """The upload as a whole cannot be read (not a CSV or zip, no known header)."""


@dataclass
class Row:
    number: int  # the line's row number in the file, the header being row 1
    values: dict[str, str]


@dataclass
class BadRow:
    number: int
    message: str


@dataclass
class SisFile:
    name: str
    kind: str
    header: list[str]
    rows: list[Row | BadRow] = field(default_factory=list)


def kind_of(header: list[str]) -> str | None:
    columns = {column.strip().lower() for column in header}
    for kind, required in _SIGNATURES:
        if required <= columns:
            return kind
    return None


def read_upload(name: str, data: bytes) -> list[SisFile]:
    """The CSV files in an upload (one CSV, or a zip of several), in the order to apply them."""
    if len(data) > MAX_FILE_BYTES:
        raise SisFileError(
            gettext("%(name)s is larger than %(size)d MB.") % {"name": name, "size": _MEGABYTES}
        )
    if zipfile.is_zipfile(io.BytesIO(data)):
        files = _read_zip(name, data)
    elif data.startswith(_ZIP_MAGIC):
        # A zip's directory is at its end: without it, the upload was cut short.
        raise SisFileError(
            gettext(
                "%(name)s is not a complete zip file; it may have been cut short. Make the zip "
                "again and upload it."
            )
            % {"name": name}
        )
    else:
        files = [read_csv(name, data)]
    return sorted(files, key=lambda f: KIND_ORDER.index(f.kind))


_ZIP_MAGIC = b"PK\x03\x04"
# What Python's zipfile can unpack; anything else (Deflate64, AES, ...) it refuses.
_UNPACKABLE = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
# How a damaged zip fails while it is read: its directory or a member's header does not add up,
# a member's data is not what its compression says (each decompressor has its own error), it ends
# too soon, or what it unpacks to does not match its checksum (a header that lies about the size).
_DAMAGED = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, OSError, EOFError)


def _read_zip(name: str, data: bytes) -> list[SisFile]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except _DAMAGED:
        raise SisFileError(
            gettext(
                "%(name)s is damaged and cannot be opened as a zip file. Make the zip again and "
                "upload it."
            )
            % {"name": name}
        ) from None
    with archive:
        members = [m for m in archive.infolist() if _is_data_file(m)]
        if not members:
            raise SisFileError(gettext("%(name)s holds no .csv file.") % {"name": name})
        # Checked from the zip's directory, before anything is unpacked (zip bombs). Reading stops
        # at the size the directory gives, so a member that lies about it fails its checksum.
        if len(members) > MAX_ZIP_MEMBERS:
            raise SisFileError(
                gettext("%(name)s holds more than %(count)d CSV files.")
                % {"name": name, "count": MAX_ZIP_MEMBERS}
            )
        if sum(member.file_size for member in members) > MAX_FILE_BYTES:
            raise SisFileError(
                gettext("%(name)s unpacks to more than %(size)d MB of CSV.")
                % {"name": name, "size": _MEGABYTES}
            )
        return [_read_member(name, archive, member) for member in members]


def _read_member(name: str, archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> SisFile:
    names = {"member": member.filename, "name": name}
    if member.file_size > MAX_FILE_BYTES:
        raise SisFileError(gettext("%(member)s in %(name)s is too large.") % names)
    if member.flag_bits & 0x1:
        raise SisFileError(
            gettext(
                "%(member)s in %(name)s is protected by a password; make the zip again without one."
            )
            % names
        )
    if member.compress_type not in _UNPACKABLE:
        raise SisFileError(
            gettext(
                "%(member)s in %(name)s is compressed in a way that cannot be unpacked here; make "
                "the zip again with ordinary (Deflate) compression."
            )
            % names
        )
    try:
        data = archive.read(member)
    except _DAMAGED:
        raise SisFileError(
            gettext(
                "%(name)s is damaged: %(member)s cannot be unpacked. Make the zip again and "
                "upload it."
            )
            % names
        ) from None
    return read_csv(member.filename, data)


def _is_data_file(member: zipfile.ZipInfo) -> bool:
    """A .csv in the zip that is not a folder, a hidden file or macOS's __MACOSX resource fork."""
    parts = member.filename.replace("\\", "/").split("/")
    return (
        not member.is_dir()
        and parts[-1].lower().endswith(".csv")
        and not parts[-1].startswith(".")
        and "__macosx" not in (part.lower() for part in parts)
    )


def read_csv(name: str, data: bytes) -> SisFile:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SisFileError(
            gettext("%(name)s is saved as UTF-16; save it as UTF-8 CSV and import it again.")
            % {"name": name}
        )
    # surrogateescape keeps undecodable bytes as markers, so one bad row does not sink the file.
    text = data.decode("utf-8-sig", errors="surrogateescape")
    lines = io.StringIO(text, newline="")
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise SisFileError(gettext("%(name)s is empty.") % {"name": name}) from None
    except csv.Error as error:
        raise SisFileError(
            gettext("%(name)s: the header line cannot be read (%(error)s).")
            % {"name": name, "error": error}
        ) from None
    header = [column.strip().lower() for column in header]
    if _has_bad_bytes(header) or any("\x00" in column for column in header):
        raise SisFileError(
            gettext("%(name)s: the header is not UTF-8 text; save the file as UTF-8 CSV.")
            % {"name": name}
        )
    kind = kind_of(header)
    if kind is None:
        raise SisFileError(
            gettext(
                "%(name)s: the header (%(header)s) is not one of users.csv, courses.csv, "
                "enrollments.csv or user_observers.csv."
            )
            % {"name": name, "header": ", ".join(header)[:200]}
        )
    sis_file = SisFile(name=name, kind=kind, header=header)
    sis_file.rows = list(_rows(reader, header))
    return sis_file


def _rows(reader, header: list[str]) -> Iterator[Row | BadRow]:
    while True:
        number = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            # The reader starts afresh on the next line. (A quote never closed runs to the end of
            # the file, so then this is the last row, and the message says why.)
            yield BadRow(
                number,
                gettext("the line is not valid CSV (%(error)s); check its quotes.")
                % {"error": error},
            )
            continue
        if not any(value.strip() for value in fields):
            continue  # blank line
        if _has_bad_bytes(fields):
            yield BadRow(number, gettext("the row is not UTF-8 text; save the file as UTF-8 CSV."))
        elif any("\x00" in value for value in fields):
            yield BadRow(
                number, gettext("the row holds a NUL character, which is not text; remove it.")
            )
        elif len(fields) != len(header):
            yield BadRow(
                number,
                gettext("the row has %(fields)d fields where the header has %(columns)d.")
                % {"fields": len(fields), "columns": len(header)},
            )
        else:
            yield Row(
                number,
                {column: value.strip() for column, value in zip(header, fields, strict=True)},
            )


def _has_bad_bytes(values: list[str]) -> bool:
    return any("\udc80" <= char <= "\udcff" for value in values for char in value)
