"""What every applier shares: the run's counts and messages, and the rows worth applying.

An applier takes one file of rows (``rostering.sis_csv.SisFile``) and applies each row whole or
not at all through the services of accounts, courses and pairing; a row it cannot apply is
skipped with its number and a message in the language of whoever ran the import.
"""

from collections.abc import Callable
from dataclasses import dataclass

from accounts.models import Institution, User
from courses.models import Course
from rostering.models import SisImport
from rostering.sis_csv import BadRow, Row, SisFile

Progress = Callable[[str, int, int], None]  # (file name, rows done, rows in file)

# What applying one row may come to, besides the message saying why it was skipped.
CHANGED = "changed"
UNCHANGED = "unchanged"
REPORT_EVERY = 500  # rows between two progress reports


@dataclass
class FileCounts:
    kind: str
    rows: int = 0
    changed: int = 0
    unchanged: int = 0
    skipped: int = 0


class ImportRun:
    """One import under way: where it goes, who runs it, and what came of each file so far."""

    def __init__(
        self,
        *,
        institution: Institution,
        by: User | None,
        progress: Progress | None,
        send_invitations: bool = False,
        base_url: str = "",
    ):
        self.institution = institution
        self.by = by
        self.progress = progress
        # Whether the people the import makes are invited at once (accounts.services.invitations),
        # and the portal's address for their links ("": the institution's own, at sending).
        self.send_invitations = send_invitations
        self.base_url = base_url
        self.counts: dict[str, FileCounts] = {}
        self.messages: list[dict] = []
        self.message_count = 0

    def start(self, sis_file: SisFile) -> FileCounts:
        counts = self.counts.setdefault(sis_file.name, FileCounts(kind=sis_file.kind))
        counts.rows += len(sis_file.rows)
        return counts

    def skip(self, sis_file: SisFile, row: int, message: str) -> None:
        self.counts[sis_file.name].skipped += 1
        self.message_count += 1
        if len(self.messages) < SisImport.MAX_MESSAGES:
            self.messages.append(
                {"file": sis_file.name, "row": row, "message": _printable(message)}
            )

    def report(self, sis_file: SisFile, done: int) -> None:
        if self.progress is not None:
            self.progress(sis_file.name, done, len(sis_file.rows))

    def good_rows(self, sis_file: SisFile) -> list[Row]:
        """The rows that could be read; each unreadable one is skipped with its message."""
        good = []
        for row in sis_file.rows:
            if isinstance(row, BadRow):
                self.skip(sis_file, row.number, row.message)
            else:
                good.append(row)
        return good

    def apply_each(
        self,
        sis_file: SisFile,
        rows: list[Row],
        apply_row: Callable[[dict[str, str]], str],
        *,
        report_every: int | None = REPORT_EVERY,
    ) -> None:
        """Apply ``apply_row`` to each row's values and count what it says: CHANGED, UNCHANGED,
        or the message of a skipped row."""
        counts = self.counts[sis_file.name]
        for done, row in enumerate(rows, start=1):
            outcome = apply_row(row.values)
            if outcome == CHANGED:
                counts.changed += 1
            elif outcome == UNCHANGED:
                counts.unchanged += 1
            else:
                self.skip(sis_file, row.number, outcome)
            if report_every and done % report_every == 0:
                self.report(sis_file, done)
        self.report(sis_file, len(rows))


def _printable(text: str) -> str:
    """A message quotes the file; keep what PostgreSQL's text and JSON cannot store out of it."""
    return "".join(
        "\ufffd" if char == "\x00" or "\ud800" <= char <= "\udfff" else char for char in text
    )


def users_by_sis_id(
    institution: Institution, sis_ids, *, active_only: bool = True
) -> dict[str, User]:
    """Users by SIS id; enrollments and links refer only to active ones (Canvas: active logins)."""
    ids = {sis_id for sis_id in sis_ids if sis_id}
    users = User.objects.filter(institution=institution, sis_user_id__in=ids)
    if active_only:
        users = users.filter(is_active=True)
    return {u.sis_user_id: u for u in users}


def courses_by_sis_id(institution: Institution, sis_ids) -> dict[str, Course]:
    ids = {sis_id for sis_id in sis_ids if sis_id}
    courses = Course.objects.filter(institution=institution, sis_course_id__in=ids)
    return {c.sis_course_id: c for c in courses}
