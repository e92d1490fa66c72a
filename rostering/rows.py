"""What every roster reader gives the appliers, whatever the format of the upload: files of one kind
each, whose rows are read afresh (streamed, never held whole) each time they are asked for.

A reader (``rostering.sis_csv`` for Canvas's SIS CSV; a OneRoster one beside it) turns its format
into these rows, with the values under Canvas's SIS CSV column names, so that one set of appliers
serves every format.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

# Kinds, in the order an import applies them: people and courses before what refers to them.
USERS = "users"
COURSES = "courses"
ENROLLMENTS = "enrollments"
USER_OBSERVERS = "user_observers"
KIND_ORDER = [USERS, COURSES, ENROLLMENTS, USER_OBSERVERS]


class SisFileError(Exception):
    """The upload as a whole cannot be read (not a CSV or zip, no known header, damaged)."""


class RemovalsUnconfirmed(SisFileError):
    """A bulk snapshot would remove more of what its source made than the import's threshold
    allows: nothing is applied until an admin confirms (or the command is given
    ``--allow-removals``)."""


@dataclass
class Row:
    number: int  # the line's row number in the file, the header being row 1
    values: dict[str, str]


@dataclass
class BadRow:
    number: int
    message: str


@dataclass
class RosterFile:
    """One file of an upload. ``rows()`` reads it from the start each time; ``count()`` reads it
    through once, counting what ``rows()`` would give (and so finds damage before anything is
    applied)."""

    name: str
    kind: str
    rows: Callable[[], Iterator[Row | BadRow]]
    count: Callable[[], int]
    # The roster source whose records the import keeps (rostering.provenance), or None.
    source: str | None = None
    # A file the reader works out from what is stored (a bulk snapshot's removals): ``rows()``
    # gives only what is still to do, so an import carried on after a stop skips none of it.
    rereads_what_remains: bool = False
