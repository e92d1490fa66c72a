"""Reading Canvas SIS CSV files: which kind a file is, and its rows, each with its own problems.

Nothing here touches the database. Files are streamed from the stored upload (a CSV, or the
members of a zip, through a text reader): never read whole, so a file of a million rows takes no
more memory than one of a hundred. A file is read as UTF-8 (a byte-order mark is allowed); a row
that is not valid UTF-8, has a broken quote or the wrong number of fields becomes a ``BadRow`` with
its number and a message, and the rows around it are still read. Messages are in the language of
whoever asked for the import (English for the command and the API).
"""

import csv
import io
import lzma
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

from django.utils.translation import gettext

from rostering.rows import (
    COURSES,
    ENROLLMENTS,
    KIND_ORDER,
    USER_OBSERVERS,
    USERS,
    BadRow,
    RosterFile,
    Row,
    SisFileError,
)

__all__ = [
    "KIND_ORDER",
    "MAX_FILE_BYTES",
    "CsvTable",
    "SisFileError",
    "csv_table",
    "kind_of",
    "open_zip_upload",
    "read_upload",
    "zip_member_table",
]

# The columns that identify each kind (Canvas recognises files by header, not by name).
_SIGNATURES = [
    (USER_OBSERVERS, {"observer_id", "student_id"}),
    (ENROLLMENTS, {"course_id", "user_id", "role"}),
    (COURSES, {"course_id", "short_name", "long_name"}),
    (USERS, {"user_id", "login_id"}),
]
MAX_FILE_BYTES = 200 * 1024 * 1024  # an upload, and all the CSV text a zip may unpack to
MAX_ZIP_MEMBERS = 50

Opener = Callable[[], IO[bytes]]


def kind_of(header: list[str]) -> str | None:
    columns = {column.strip().lower() for column in header}
    for kind, required in _SIGNATURES:
        if required <= columns:
            return kind
    return None


@contextmanager
def read_upload(name: str, open_bytes: Opener) -> Iterator[list[RosterFile]]:
    """The CSV files of an upload (one CSV, or a zip of several), in the order to apply them.

    ``open_bytes`` opens the stored upload afresh (a seekable binary file); a zip stays open while
    the caller reads its files. Raises ``SisFileError`` when the upload as a whole cannot be read.
    """
    with open_zip_upload(name, open_bytes) as opened:
        if opened is None:
            yield [_roster_file(name, csv_table(name, open_bytes, damaged=None))]
            return
        archive, members = opened
        yield _in_order([_member_file(name, archive, member) for member in members])


@contextmanager
def open_zip_upload(
    name: str, open_bytes: Opener
) -> Iterator[tuple[zipfile.ZipFile, list[zipfile.ZipInfo]] | None]:
    """The upload as an open zip and its CSV members (checked against the limits), or None when
    it is not a zip at all. Raises ``SisFileError`` when it is too large or a broken zip."""
    with open_bytes() as upload:
        size = upload.seek(0, io.SEEK_END)
        upload.seek(0)
        start = upload.read(len(_ZIP_MAGIC))
        is_zip = zipfile.is_zipfile(upload)
    if size > MAX_FILE_BYTES:
        raise SisFileError(
            gettext("%(name)s is larger than %(size)d MB.") % {"name": name, "size": _megabytes()}
        )
    if is_zip:
        with open_bytes() as upload, _open_zip(name, upload) as archive:
            yield archive, _members(name, archive)
        return
    if start.startswith(_ZIP_MAGIC):
        # A zip's directory is at its end: without it, the upload was cut short.
        raise SisFileError(
            gettext(
                "%(name)s is not a complete zip file; it may have been cut short. Make the zip "
                "again and upload it."
            )
            % {"name": name}
        )
    yield None


def _megabytes() -> int:
    return MAX_FILE_BYTES // (1024 * 1024)


def _in_order(files: list[RosterFile]) -> list[RosterFile]:
    return sorted(files, key=lambda f: KIND_ORDER.index(f.kind))


_ZIP_MAGIC = b"PK\x03\x04"
# What Python's zipfile can unpack; anything else (Deflate64, AES, ...) it refuses.
_UNPACKABLE = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
# How a damaged zip fails while it is read: its directory or a member's header does not add up,
# a member's data is not what its compression says (each decompressor has its own error), it ends
# too soon, or what it unpacks to does not match its checksum (a header that lies about the size).
_DAMAGED = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, OSError, EOFError)


@contextmanager
def _open_zip(name: str, upload: IO[bytes]) -> Iterator[zipfile.ZipFile]:
    try:
        archive = zipfile.ZipFile(upload)
    except _DAMAGED:
        raise SisFileError(
            gettext(
                "%(name)s is damaged and cannot be opened as a zip file. Make the zip again and "
                "upload it."
            )
            % {"name": name}
        ) from None
    with archive:
        yield archive


def _members(name: str, archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
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
            % {"name": name, "size": _megabytes()}
        )
    return members


def _member_file(name: str, archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> RosterFile:
    return _roster_file(member.filename, zip_member_table(name, archive, member))


def zip_member_table(name: str, archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> "CsvTable":
    """A CSV member of the zip ``name``, refused (``SisFileError``) when it cannot be unpacked."""
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
    damaged = gettext(
        "%(name)s is damaged: %(member)s cannot be unpacked. Make the zip again and upload it."
    )
    return csv_table(member.filename, lambda: archive.open(member), damaged=damaged % names)


def _is_data_file(member: zipfile.ZipInfo) -> bool:
    """A .csv in the zip that is not a folder, a hidden file or macOS's __MACOSX resource fork."""
    parts = member.filename.replace("\\", "/").split("/")
    return (
        not member.is_dir()
        and parts[-1].lower().endswith(".csv")
        and not parts[-1].startswith(".")
        and "__macosx" not in (part.lower() for part in parts)
    )


def _roster_file(name: str, table: "CsvTable") -> RosterFile:
    """The file's kind, known by its header; its rows, read when asked for."""
    kind = kind_of(table.header)
    if kind is None:
        raise SisFileError(
            gettext(
                "%(name)s: the header (%(header)s) is not one of users.csv, courses.csv, "
                "enrollments.csv or user_observers.csv."
            )
            % {"name": name, "header": ", ".join(table.header)[:200]}
        )
    return RosterFile(name=name, kind=kind, rows=table.rows, count=table.count)


@dataclass
class CsvTable:
    """A CSV file's header (lower case), and its rows read afresh each time they are asked for."""

    header: list[str]
    rows: Callable[[], Iterator[Row | BadRow]]
    count: Callable[[], int]


def csv_table(name: str, open_bytes: Opener, *, damaged: str | None) -> CsvTable:
    """Any CSV file (a Canvas SIS CSV, or one of a OneRoster zip): its header, read now, and its
    rows, each with its own problems. ``damaged`` is the message when a zip member fails."""

    # A damaged zip member fails wherever it is read; a plain file's errors are not damage.
    damage = _DAMAGED if damaged else ()

    @contextmanager
    def opened() -> Iterator[IO[bytes]]:
        try:
            with open_bytes() as raw:
                yield raw
        except damage:
            raise SisFileError(damaged) from None

    @contextmanager
    def csv_reader() -> Iterator:
        with opened() as raw:
            # surrogateescape keeps undecodable bytes as markers, so one bad row does not sink
            # the file.
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")
            yield csv.reader(text, strict=True)

    with opened() as raw:
        if raw.read(2) in (b"\xff\xfe", b"\xfe\xff"):
            raise SisFileError(
                gettext("%(name)s is saved as UTF-16; save it as UTF-8 CSV and import it again.")
                % {"name": name}
            )
    with csv_reader() as reader:
        header = _header(name, reader)

    def rows() -> Iterator[Row | BadRow]:
        with csv_reader() as reader:
            next(reader)
            yield from _rows(reader, header)

    def count() -> int:
        with csv_reader() as reader:
            next(reader)
            return _count(reader)

    return CsvTable(header=header, rows=rows, count=count)


def _header(name: str, reader) -> list[str]:
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
    if _not_text(header):
        raise SisFileError(
            gettext("%(name)s: the header is not UTF-8 text; save the file as UTF-8 CSV.")
            % {"name": name}
        )
    return header


# Bytes that were not UTF-8 (kept as surrogate escapes), and NUL, which is not text either.
_BAD_BYTES = re.compile("[\udc80-\udcff]")
_NOT_TEXT = re.compile("[\udc80-\udcff\x00]")
_SEPARATOR = "\x1f"


def _not_text(values: list[str]) -> bool:
    return _NOT_TEXT.search(_SEPARATOR.join(values)) is not None


def _rows(reader, header: list[str]) -> Iterator[Row | BadRow]:
    width = len(header)
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
        values = list(map(str.strip, fields))
        if not any(values):
            continue  # blank line
        joined = _SEPARATOR.join(fields)
        if _NOT_TEXT.search(joined):
            if _BAD_BYTES.search(joined):
                yield BadRow(
                    number, gettext("the row is not UTF-8 text; save the file as UTF-8 CSV.")
                )
            else:
                yield BadRow(
                    number,
                    gettext("the row holds a NUL character, which is not text; remove it."),
                )
        elif len(fields) != width:
            yield BadRow(
                number,
                gettext("the row has %(fields)d fields where the header has %(columns)d.")
                % {"fields": len(fields), "columns": width},
            )
        else:
            yield Row(number, dict(zip(header, values, strict=True)))


def _count(reader) -> int:
    """How many rows ``_rows`` gives for the same lines, without building them."""
    count = 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return count
        except csv.Error:
            count += 1
            continue
        if any(map(str.strip, fields)):
            count += 1
