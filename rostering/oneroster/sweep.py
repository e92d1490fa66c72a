"""A bulk snapshot's removals: what earlier imports from the same source made (their
``RosterRecord``s with ``made``) and the snapshot no longer lists.

users.csv in bulk: its people no longer listed are deactivated, and the observer links of its
``agentSourcedIds`` no longer named are removed; enrollments.csv in bulk: its enrollments no
longer listed are deleted. Only what is still live is counted (an active person, an undeleted
enrollment, an active link still made by an import, whose people are active); what a pairing
code, an admin or the API made was never ``made`` by the source, so is never removed here.

The removals become rows of the shared appliers (status deleted), in files applied after the
others: links, then enrollments, then people. When they would be more than the import's
threshold (a percentage of what the source manages), ``RemovalsUnconfirmed`` stops the import
before anything is applied.
"""

from collections.abc import Callable

from django.db import connection
from django.utils.translation import gettext, ngettext

from accounts.models import User
from accounts.roles import COURSE_ROLES_BY_NAME
from courses.models import Course, Enrollment, EnrollmentState
from pairing.models import ObserverLink, ObserverLinkSource, ObserverLinkState
from rostering.models import RosterRecord, RosterRecordKind
from rostering.rows import ENROLLMENTS, USER_OBSERVERS, USERS, RemovalsUnconfirmed, RosterFile, Row

DEFAULT_THRESHOLD = 10  # per cent of what the source manages


class Sweep:
    """The removals of one bulk snapshot into ``institution_id`` from ``source``."""

    def __init__(self, *, institution_id: int, source: str):
        self.institution_id, self.source = institution_id, source
        self.files: list[tuple[str, str, str, Callable[[], list[Row]]]] = []
        self.planned: dict[str, int] = {}
        self.managed = 0

    def users(self, listed: set[str]) -> None:
        self._add(RosterRecordKind.USER, USERS, listed, _live_users, _user_row)

    def links(self, listed: set[str]) -> None:
        self._add(RosterRecordKind.LINK, USER_OBSERVERS, listed, _live_links, _link_row)

    def enrollments(self, listed: set[str]) -> None:
        self._add(RosterRecordKind.ENROLLMENT, ENROLLMENTS, listed, _live_enrollments, _enroll_row)

    def check(self, *, threshold: int) -> None:
        """Raise ``RemovalsUnconfirmed`` when more than ``threshold`` per cent of what the source
        manages would be removed."""
        removals = sum(self.planned.values())
        if not removals or removals * 100 <= threshold * self.managed:
            return
        phrases = {
            RosterRecordKind.USER: lambda n: ngettext(
                "%(count)d user deactivated", "%(count)d users deactivated", n
            ),
            RosterRecordKind.ENROLLMENT: lambda n: ngettext(
                "%(count)d enrollment deleted", "%(count)d enrollments deleted", n
            ),
            RosterRecordKind.LINK: lambda n: ngettext(
                "%(count)d observer link removed", "%(count)d observer links removed", n
            ),
        }
        parts = [
            phrase(count) % {"count": count}
            for kind, phrase in phrases.items()
            if (count := self.planned.get(kind, 0))
        ]
        raise RemovalsUnconfirmed(
            gettext(
                "This bulk import no longer lists %(removals)d of the %(managed)d users, "
                "enrollments and observer links that earlier imports from %(source)s made, more "
                "than %(threshold)d %% of them: importing it would leave %(what)s. Nothing was "
                "changed. Check that the export is complete; if these removals are right, "
                "confirm them."
            )
            % {
                "removals": removals,
                "managed": self.managed,
                "source": self.source,
                "threshold": threshold,
                "what": ", ".join(parts),
            }
        )

    def roster_files(self) -> list[RosterFile]:
        """The removals as files for the appliers, each read afresh (what is still to do)."""
        return [
            RosterFile(
                name=name,
                kind=kind,
                rows=lambda removals=removals: iter(removals()),
                # Counted when the import begins, as the threshold's check just did.
                count=lambda kind=record_kind: self.planned[kind],
                source=self.source,
                rereads_what_remains=True,
            )
            for name, kind, record_kind, removals in self.files
        ]

    def _add(self, record_kind: str, kind: str, listed: set[str], live, row) -> None:
        live_now = live(self.institution_id, self.source)
        self.managed += len(live_now)
        self.planned[record_kind] = sum(1 for key in live_now if key not in listed)

        def removals() -> list[Row]:
            gone = (
                item
                for key, item in live(self.institution_id, self.source).items()
                if key not in listed
            )
            return [Row(number, row(item)) for number, item in enumerate(gone, start=1)]

        self.files.append((_FILE_NAMES[record_kind](), kind, record_kind, removals))


_FILE_NAMES = {
    RosterRecordKind.USER: lambda: gettext("People no longer listed"),
    RosterRecordKind.ENROLLMENT: lambda: gettext("Enrollments no longer listed"),
    RosterRecordKind.LINK: lambda: gettext("Observer links no longer listed"),
}


def _records(institution_id: int, source: str, kind: str) -> tuple[str, list]:
    return (
        f"SELECT record.key FROM {RosterRecord._meta.db_table} record "  # noqa: S608
        "WHERE record.institution_id = %s AND record.source = %s AND record.kind = %s "
        "AND record.made",
        [institution_id, source, kind],
    )


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _live_users(institution_id: int, source: str) -> dict[str, tuple]:
    records, params = _records(institution_id, source, RosterRecordKind.USER)
    rows = _fetch(
        f"""
        SELECT made.key, person.email, person.name, person.sortable_name, person.short_name
        FROM ({records}) AS made
        JOIN {User._meta.db_table} person
            ON person.institution_id = %s AND person.sis_user_id = made.key
        WHERE person.is_active
            AND NOT (person.is_account_admin OR person.is_staff OR person.is_superuser)
        ORDER BY made.key
        """,  # noqa: S608 - table names are ours; every value is a parameter
        [*params, institution_id],
    )
    return {row[0]: row for row in rows}


def _user_row(item: tuple) -> dict[str, str]:
    key, email, name, sortable_name, short_name = item
    return {
        "user_id": key,
        "login_id": email,
        "full_name": name,
        "sortable_name": sortable_name,
        "short_name": short_name,
        "status": "deleted",
    }


def _live_enrollments(institution_id: int, source: str) -> dict[str, tuple]:
    records, params = _records(institution_id, source, RosterRecordKind.ENROLLMENT)
    names = list(COURSE_ROLES_BY_NAME)
    rows = _fetch(
        f"""
        SELECT made.key, split_part(made.key, chr(31), 1), split_part(made.key, chr(31), 2),
            split_part(made.key, chr(31), 3)
        FROM ({records}) AS made
        JOIN unnest(%s::text[], %s::text[]) AS role(name, type)
            ON role.name = split_part(made.key, chr(31), 3)
        JOIN {Course._meta.db_table} course ON course.institution_id = %s
            AND course.sis_course_id = split_part(made.key, chr(31), 1)
        JOIN {User._meta.db_table} person ON person.institution_id = %s
            AND person.sis_user_id = split_part(made.key, chr(31), 2) AND person.is_active
        JOIN {Enrollment._meta.db_table} enrollment ON enrollment.course_id = course.id
            AND enrollment.user_id = person.id AND enrollment.type = role.type
            AND enrollment.associated_user_id IS NULL AND enrollment.state <> %s
        ORDER BY made.key
        """,  # noqa: S608 - table names are ours; every value is a parameter
        [
            *params,
            names,
            [str(COURSE_ROLES_BY_NAME[name]) for name in names],
            institution_id,
            institution_id,
            EnrollmentState.DELETED,
        ],
    )
    return {row[0]: row for row in rows}


def _enroll_row(item: tuple) -> dict[str, str]:
    _key, course, user, role = item
    return {"course_id": course, "user_id": user, "role": role, "status": "deleted"}


def _live_links(institution_id: int, source: str) -> dict[str, tuple]:
    records, params = _records(institution_id, source, RosterRecordKind.LINK)
    rows = _fetch(
        f"""
        SELECT made.key, observer.sis_user_id, student.sis_user_id
        FROM ({records}) AS made
        JOIN {User._meta.db_table} observer ON observer.institution_id = %s
            AND observer.sis_user_id = split_part(made.key, chr(31), 1) AND observer.is_active
        JOIN {User._meta.db_table} student ON student.institution_id = %s
            AND student.sis_user_id = split_part(made.key, chr(31), 2) AND student.is_active
        JOIN {ObserverLink._meta.db_table} link ON link.institution_id = %s
            AND link.observer_id = observer.id AND link.student_id = student.id
            AND link.state = %s AND link.source = %s
        ORDER BY made.key
        """,  # noqa: S608 - table names are ours; every value is a parameter
        [
            *params,
            institution_id,
            institution_id,
            institution_id,
            ObserverLinkState.ACTIVE,
            ObserverLinkSource.SIS_IMPORT,
        ],
    )
    return {row[0]: row for row in rows}


def _link_row(item: tuple) -> dict[str, str]:
    _key, observer, student = item
    return {"observer_id": observer, "student_id": student, "status": "deleted"}
