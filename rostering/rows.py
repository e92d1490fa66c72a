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
