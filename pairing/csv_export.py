"""The Export Pairing Codes file, in Canvas's layout."""

import csv
from collections.abc import Iterable, Iterator

from accounts.models import User
from accounts.names import first_and_last_name
from pairing.pairing_link import pairing_link_maker

# Canvas's five columns, then the pairing link (the code filled in when opened).
HEADER = ["Last Name", "First Name", "SIS ID", "Pairing Code", "Expires At", "Pairing Link"]


class _Line:
    """A file-like object whose write() hands back the line, so csv.writer can feed a stream."""

    def write(self, value: str) -> str:
        return value


def _text_cell(value: str) -> str:
    # A name or SIS id starting with = + - @ would run as a formula in a spreadsheet.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def pairing_codes_csv_lines(rows: Iterable[tuple[User, object]], *, base_url: str) -> Iterator[str]:
    writer = csv.writer(_Line())
    link_for = pairing_link_maker(base_url)
    yield writer.writerow(HEADER)
    for student, issued in rows:
        first, last = first_and_last_name(student.sortable_name)
        yield writer.writerow(
            [
                _text_cell(last),
                _text_cell(first),
                _text_cell(student.sis_user_id or ""),
                # As Canvas writes it: a formula yielding the text, so no spreadsheet turns
                # "4E7abc" into a number or drops a leading zero.
                f'="{issued.code}"',
                issued.record.expires_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
                link_for(issued.code),
            ]
        )
