"""What every applier shares: the run's counts and messages, and the rows worth applying.

An applier takes one chunk of a file's rows (``rostering.rows.Row``, already read by whichever
reader the upload's format has) and applies them through the set-wise services of accounts,
courses and pairing: each row whole or not at all, a row it cannot apply skipped with its number
and a message in the language of whoever ran the import. The run (``rostering.sis_import``) calls
it once per chunk, each chunk in a transaction of its own.
"""

from collections.abc import Iterable
from dataclasses import asdict, dataclass

from accounts.models import Institution, User
from courses.models import Course
from pairing_portal.sql import one_of
from rostering.models import SisImport
from rostering.provenance import Noted, records_note
from rostering.rows import BadRow, Row


@dataclass
class FileCounts:
    kind: str
    rows: int = 0
    changed: int = 0
    unchanged: int = 0
    skipped: int = 0


class ImportRun:
    """One import under way: where it goes, who runs it, and what came of each file so far.

    Messages of the chunk being applied wait in ``pending``; ``chunk_messages()`` puts them in row
    order and keeps the first ``SisImport.MAX_MESSAGES`` of the whole import.
    """

    def __init__(
        self,
        *,
        institution: Institution,
        by: User | None,
        options: dict | None = None,
        counts: dict[str, dict] | None = None,
        messages: list[dict] | None = None,
        message_count: int = 0,
    ):
        self.institution = institution
        self.by = by
        self.options = options or {}
        self.counts = {name: FileCounts(**values) for name, values in (counts or {}).items()}
        self.messages: list[dict] = list(messages or [])
        self.message_count = message_count
        self.pending: list[dict] = []
        # The roster source whose records this import keeps (OneRoster), or None (Canvas CSV).
        self.source: str | None = None

    def note(self, kind: str, entries: list[Noted]) -> None:
        """Keep the source's records of the chunk's things (rostering.provenance), if any."""
        if self.source is not None:
            records_note(
                institution_id=self.institution.pk, source=self.source, kind=kind, entries=entries
            )

    def file(self, name: str, kind: str, rows: int) -> FileCounts:
        """The counts of file ``name``, with ``rows`` more rows read."""
        counts = self.counts.setdefault(name, FileCounts(kind=kind))
        counts.rows += rows
        return counts

    def skip(self, name: str, row: int, message: str) -> None:
        self.counts[name].skipped += 1
        self.pending.append({"file": name, "row": row, "message": _printable(message)})

    def chunk_messages(self) -> list[dict]:
        """The chunk's messages that are kept (in row order), counted; the chunk is done."""
        pending, self.pending = sorted(self.pending, key=lambda m: m["row"]), []
        self.message_count += len(pending)
        kept = pending[: max(0, SisImport.MAX_MESSAGES - len(self.messages))]
        self.messages += kept
        return kept

    def counts_as_dict(self) -> dict[str, dict]:
        return {name: asdict(counts) for name, counts in self.counts.items()}

    def good_rows(self, name: str, rows: Iterable[Row | BadRow]) -> list[Row]:
        """The rows that could be read; each unreadable one is skipped with its message."""
        good = []
        for row in rows:
            if isinstance(row, BadRow):
                self.skip(name, row.number, row.message)
            else:
                good.append(row)
        return good

    def count_outcome(self, name: str, row: int, outcome: bool | str) -> None:
        """True: the row changed something; False: it changed nothing; a text: why it was
        skipped."""
        counts = self.counts[name]
        if outcome is True:
            counts.changed += 1
        elif outcome is False:
            counts.unchanged += 1
        else:
            self.skip(name, row, outcome)


def _printable(text: str) -> str:
    """A message quotes the file; keep what PostgreSQL's text and JSON cannot store out of it."""
    return "".join(
        "\ufffd" if char == "\x00" or "\ud800" <= char <= "\udfff" else char for char in text
    )


def courses_by_sis_id(institution: Institution, sis_ids) -> dict[str, Course]:
    """The institution's courses by SIS id (whole objects: the rules of course-only observers
    ask about the course)."""
    ids = {sis_id for sis_id in sis_ids if sis_id}
    courses = Course.objects.filter(institution=institution, sis_course_id__in=one_of(ids))
    return {c.sis_course_id: c for c in courses}
