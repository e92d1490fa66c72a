"""What a OneRoster export says about its people before any row is translated: each user's role
(``users.role`` in 1.1, ``roles.csv`` in 1.2), SIS id and whether they are active, whom they name
as agents, and the names of its orgs and terms. One read through users.csv (and roles.csv,
orgs.csv, academicSessions.csv); nothing here touches the database."""

from dataclasses import dataclass, field
from datetime import date

from rostering.oneroster.manifest import Manifest
from rostering.rows import Row

STUDENT, TEACHER, ADMINISTRATOR, AIDE, GUARDIAN = (
    "student",
    "teacher",
    "administrator",
    "aide",
    "guardian",
)
# OneRoster's roles (1.1 and 1.2), lower case, by what the portal makes of them; any other role
# (proctor, counselor, ...) is not imported.
ROLE_GROUPS = {
    "student": STUDENT,
    "teacher": TEACHER,
    "administrator": ADMINISTRATOR,
    "districtadministrator": ADMINISTRATOR,
    "siteadministrator": ADMINISTRATOR,
    "systemadministrator": ADMINISTRATOR,
    "principal": ADMINISTRATOR,
    "aide": AIDE,
    "parent": GUARDIAN,
    "guardian": GUARDIAN,
    "relative": GUARDIAN,
}
TO_BE_DELETED = "tobedeleted"


@dataclass
class People:
    """Users by sourcedId: their role as written (lower case), their SIS id where it is not the
    sourcedId (the ``identifier`` option), and those deleted or disabled."""

    listed: set[str] = field(default_factory=set)  # every sourcedId of users.csv
    roles: dict[str, str] = field(default_factory=dict)
    sis_ids: dict[str, str] = field(default_factory=dict)
    inactive: set[str] = field(default_factory=set)
    orgs: dict[str, str] = field(default_factory=dict)  # org sourcedId → name
    terms: dict[str, tuple[date | None, date | None]] = field(default_factory=dict)
    # (row number, sourcedId, agentSourcedIds) of each user naming agents, kept from the same
    # read so that their observer links need not read users.csv again, twice.
    agents: list[tuple[int, str, str]] = field(default_factory=list)

    def group(self, sourced_id: str) -> str | None:
        """STUDENT, TEACHER, ...; "" for a role not imported; None for someone not in the file."""
        role = self.roles.get(sourced_id)
        return None if role is None else ROLE_GROUPS.get(role, "")

    def sis_id(self, sourced_id: str) -> str:
        return self.sis_ids.get(sourced_id, sourced_id)


def people_read(manifest: Manifest, *, sis_id_column: str) -> People:
    people = People()
    users = manifest.tables.get("users")
    if users is not None:
        for row in _good(users.rows()):
            values = row.values
            sourced_id = values.get("sourcedid", "")
            if not sourced_id:
                continue
            people.listed.add(sourced_id)
            if "role" in values:
                people.roles[sourced_id] = values["role"].lower()
            if sis_id_column != "sourcedid":
                people.sis_ids[sourced_id] = values.get(sis_id_column, "")
            if is_inactive(values):
                people.inactive.add(sourced_id)
            if agents := values.get("agentsourcedids", ""):
                people.agents.append((row.number, sourced_id, agents))
    roles = manifest.tables.get("roles")
    if roles is not None:  # 1.2: a user's primary role, else the first one given
        primary: set[str] = set()
        for row in _good(roles.rows()):
            values = row.values
            user = values.get("usersourcedid", "")
            if not user or values.get("status", "").lower() == TO_BE_DELETED:
                continue
            is_primary = values.get("roletype", "").lower() == "primary"
            if user not in primary and (is_primary or user not in people.roles):
                people.roles[user] = values.get("role", "").lower()
            if is_primary:
                primary.add(user)
    orgs = manifest.tables.get("orgs")
    for row in _good(orgs.rows() if orgs is not None else []):
        people.orgs[row.values.get("sourcedid", "")] = row.values.get("name", "")
    sessions = manifest.tables.get("academicSessions")
    if sessions is not None and "classes" in manifest.tables:
        for row in _good(sessions.rows()):
            people.terms[row.values.get("sourcedid", "")] = (
                parse_date(row.values.get("startdate", "")),
                parse_date(row.values.get("enddate", "")),
            )
    return people


def is_inactive(values: dict[str, str]) -> bool:
    return (
        values.get("status", "").lower() == TO_BE_DELETED
        or values.get("enableduser", "").lower() == "false"
    )


def parse_date(value: str) -> date | None:
    """A OneRoster date (YYYY-MM-DD, or a date-time whose day is read); None when not given.
    Raises ValueError when given but not a date."""
    value = value.strip()
    return date.fromisoformat(value[:10]) if value else None


def _good(rows):
    return (row for row in rows if isinstance(row, Row))
