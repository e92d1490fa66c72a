"""OneRoster rows in Canvas's words: each file of the export becomes a ``RosterFile`` whose rows
carry Canvas SIS CSV column names, so that the shared appliers import them (``rostering.rows``).

users.csv → users (and, from its ``agentSourcedIds``, the observer links of parents, guardians
and relatives); classes.csv → courses; enrollments.csv → enrollments. A row the portal cannot
import becomes a ``BadRow`` with its number and why, in the words of OneRoster. Nothing here
touches the database.
"""

from collections.abc import Iterator
from datetime import date

from django.utils.translation import gettext

from rostering.oneroster.manifest import Manifest
from rostering.oneroster.people import (
    ADMINISTRATOR,
    GUARDIAN,
    STUDENT,
    TO_BE_DELETED,
    People,
    is_inactive,
    parse_date,
)
from rostering.rows import COURSES, ENROLLMENTS, USER_OBSERVERS, USERS, BadRow, RosterFile, Row
from rostering.sis_csv import CsvTable

# The portal's course role for each OneRoster enrollment role it imports.
ENROLLMENT_ROLES = {"student": "student", "teacher": "teacher", "aide": "ta"}


def roster_files(
    manifest: Manifest, people: People, *, today: date, admins: bool, source: str
) -> list[RosterFile]:
    """The export's files that the portal imports, in the order they apply."""
    files = []
    users = manifest.tables.get("users")
    if users is not None:
        files.append(_file("users.csv", USERS, users, lambda row: _user(row, people, admins)))
    classes = manifest.tables.get("classes")
    if classes is not None:
        files.append(_file("classes.csv", COURSES, classes, lambda row: _class(row, people, today)))
    enrollments = manifest.tables.get("enrollments")
    if enrollments is not None:
        files.append(
            _file(
                "enrollments.csv",
                ENROLLMENTS,
                enrollments,
                lambda row: _enrollment(row, people, today),
            )
        )
    if users is not None:
        files.append(_guardians_file(people))
    for roster_file in files:
        roster_file.source = source
    return files


def guardians_file_name() -> str:
    return gettext("users.csv: agentSourcedIds")


def _file(name: str, kind: str, table: CsvTable, translate) -> RosterFile:
    """A file whose every row translates to one row (or ``BadRow``)."""
    counted = _Counted()

    def rows() -> Iterator[Row | BadRow]:
        return counted.through(
            row if isinstance(row, BadRow) else translate(row) for row in table.rows()
        )

    return RosterFile(name=name, kind=kind, rows=rows, count=counted.or_else(table.count))


class _Counted:
    """How many rows a file gave when last read through to its end: a bulk file is read whole
    for its keys (the sweep) before the import counts it, and the zip does not change meanwhile,
    so it need not be read (and translated) once more only to be counted."""

    def __init__(self):
        self.rows: int | None = None

    def through(self, rows: Iterator) -> Iterator:
        count = 0
        for row in rows:
            count += 1
            yield row
        self.rows = count

    def or_else(self, count):
        return lambda: self.rows if self.rows is not None else count()


def _user(row: Row, people: People, admins: bool) -> Row | BadRow:
    values = row.values
    sourced_id = values.get("sourcedid", "")
    if not sourced_id:
        return BadRow(row.number, gettext("No sourcedId given for a user"))
    names = {"user": sourced_id, "role": people.roles.get(sourced_id, "")}
    group = people.group(sourced_id)
    if not names["role"] and is_inactive(values):
        group = STUDENT  # deactivated whatever their role (1.2's roles may leave them out)
    elif not names["role"]:
        return BadRow(row.number, gettext("No role given for user %(user)s") % names)
    if not group:
        return BadRow(
            row.number,
            gettext(
                'User %(user)s has the role "%(role)s", which is not imported (students, '
                "teachers, aides, administrators, parents, guardians and relatives are)"
            )
            % names,
        )
    if group == ADMINISTRATOR and not admins:
        return BadRow(
            row.number,
            gettext(
                "User %(user)s is an administrator; administrators are imported only when the "
                "import is asked to make them account admins"
            )
            % names,
        )
    sis_id = people.sis_id(sourced_id)
    if not sis_id:
        return BadRow(row.number, gettext("No identifier given for user %(user)s") % names)
    username = values.get("username", "")
    login = values.get("email", "") or (username if "@" in username else "")
    if not login:
        return BadRow(
            row.number,
            gettext("User %(user)s has no email, and its username is not an e-mail address")
            % names,
        )
    first = (
        values.get("preferredfirstname")
        or values.get("preferredgivenname")
        or values.get("givenname", "")
    )
    org = _first(values.get("primaryorgsourcedid", "")) or _first(values.get("orgsourcedids", ""))
    return Row(
        row.number,
        {
            "user_id": sis_id,
            "login_id": login,
            "first_name": first,
            "last_name": values.get("familyname", ""),
            "status": "deleted" if is_inactive(values) else "active",
            "org_id": org,
            "org_name": people.orgs.get(org, ""),
            "account_admin": "true" if group == ADMINISTRATOR else "",
        },
    )


def _class(row: Row, people: People, today: date) -> Row | BadRow:
    values = row.values
    sourced_id = values.get("sourcedid", "")
    if not sourced_id:
        return BadRow(row.number, gettext("No sourcedId given for a class"))
    title = values.get("title", "")
    if not title:
        return BadRow(
            row.number, gettext("No title given for class %(class)s") % {"class": sourced_id}
        )
    status = "active"
    if values.get("status", "").lower() == TO_BE_DELETED:
        status = "deleted"
    else:
        terms = [people.terms.get(t) for t in _split(values.get("termsourcedids", ""))]
        ends = [term[1] for term in terms if term is not None]
        if ends and all(end is not None and end < today for end in ends):
            status = "completed"  # every term of the class is over
    org = values.get("schoolsourcedid", "")
    return Row(
        row.number,
        {
            "course_id": sourced_id,
            "short_name": values.get("classcode") or title,
            "long_name": title,
            "status": status,
            "org_id": org,
            "org_name": people.orgs.get(org, ""),
        },
    )


def _enrollment(row: Row, people: People, today: date) -> Row | BadRow:
    values = row.values
    user, role = values.get("usersourcedid", ""), values.get("role", "").lower()
    if role not in ENROLLMENT_ROLES:
        return BadRow(
            row.number,
            gettext(
                'The enrollment role "%(role)s" is not imported (student, teacher and aide are)'
            )
            % {"role": values.get("role", "")},
        )
    try:
        begin = parse_date(values.get("begindate", ""))
        end = parse_date(values.get("enddate", ""))
    except ValueError:
        return BadRow(
            row.number,
            gettext("The beginDate or endDate of an enrollment is not a date (YYYY-MM-DD)"),
        )
    if values.get("status", "").lower() == TO_BE_DELETED:
        status = "deleted"
    elif end is not None and end < today:
        status = "completed"
    elif begin is not None and begin > today:
        status = "inactive"  # not begun: active from its first day, when imported again
    else:
        status = "active"
    return Row(
        row.number,
        {
            "course_id": values.get("classsourcedid", ""),
            "user_id": people.sis_id(user) if user else "",
            "role": ENROLLMENT_ROLES[role],
            "status": status,
        },
    )


def _guardians_file(people: People) -> RosterFile:
    """One observer link for each (parent, guardian or relative; student) pair named by
    ``agentSourcedIds``, on either's row or both: the first row naming the pair gives it."""
    counted = _Counted()

    def pairs() -> Iterator[Row | BadRow]:
        seen: set[tuple[str, str]] = set()
        for number, own, agents in people.agents:
            yield from _pairs(number, own, agents, people, seen)

    def rows() -> Iterator[Row | BadRow]:
        return counted.through(pairs())

    return RosterFile(
        name=guardians_file_name(),
        kind=USER_OBSERVERS,
        rows=rows,
        count=counted.or_else(lambda: sum(1 for _row in pairs())),
    )


def _pairs(number: int, own: str, agents: str, people: People, seen: set) -> Iterator[Row | BadRow]:
    group = people.group(own)
    if group not in (GUARDIAN, STUDENT) or own in people.inactive:
        return  # a disabled or deleted person's links are left as they are
    for agent in _split(agents):
        other = people.group(agent)
        pair = (own, agent) if group == GUARDIAN else (agent, own)
        wanted = STUDENT if group == GUARDIAN else GUARDIAN
        if other not in (None, wanted) or agent == own:
            names = {"user": own, "agent": agent}
            yield BadRow(
                number,
                gettext(
                    "The agentSourcedIds of parent %(user)s name %(agent)s, who is not a student"
                )
                % names
                if group == GUARDIAN
                else gettext(
                    "The agentSourcedIds of student %(user)s name %(agent)s, who is not a "
                    "parent, guardian or relative"
                )
                % names,
            )
            continue
        if pair in seen or agent in people.inactive:
            continue
        seen.add(pair)
        # Someone not in this users.csv (a delta) is looked for in the portal by SIS id.
        yield Row(
            number,
            {
                "observer_id": people.sis_id(pair[0]),
                "student_id": people.sis_id(pair[1]),
                "status": "active",
            },
        )


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _first(value: str) -> str:
    parts = _split(value)
    return parts[0] if parts else ""
