"""A sample district exported as OneRoster 1.1 or 1.2 CSV, built here for the OneRoster tests.

Lakeside District (D1) with two schools: North Elementary (S1) and South Middle (S2). A teacher,
an aide, students K1-K3 and FILLER more in Math, guardians P1 (parent), P2 (guardian) and R1
(relative), referenced both ways (K1 names P1 and P1 names K1; P1 names K2; R1 names K2; P2 names
K3), one bad reference (K3 names the teacher; P2 names someone unknown), an administrator and a
proctor (not imported), and a manifest that also names courses.csv and demographics.csv.
"""

import csv
import io
import zipfile

ORG_HEADER = [
    "sourcedId",
    "status",
    "dateLastModified",
    "name",
    "type",
    "identifier",
    "parentSourcedId",
]
ORGS = [
    ["D1", "", "", "Lakeside District", "district", "", ""],
    ["S1", "", "", "North Elementary", "school", "", "D1"],
    ["S2", "", "", "South Middle", "school", "", "D1"],
]
SESSIONS_HEADER = ["sourcedId", "status", "dateLastModified", "title", "type", "startDate", "endDate", "parentSourcedId", "schoolYear"]  # fmt: skip
SESSIONS = [
    ["T-NOW", "", "", "This year", "term", "2000-08-01", "2099-06-30", "", "2099"],
    ["T-PAST", "", "", "Long ago", "term", "2020-08-01", "2021-06-30", "", "2021"],
]
CLASSES_HEADER = ["sourcedId", "status", "dateLastModified", "title", "grades", "courseSourcedId", "classCode", "classType", "location", "schoolSourcedId", "termSourcedIds", "subjects", "subjectCodes", "periods"]  # fmt: skip
CLASSES = [
    ["C-MATH", "", "", "Math 5", "05", "CO1", "MATH5", "scheduled", "", "S1", "T-NOW", "", "", ""],
    ["C-ART", "", "", "Art 5", "05", "CO2", "ART5", "scheduled", "", "S1", "T-NOW", "", "", ""],
    ["C-HIST", "", "", "History 8", "08", "CO3", "", "scheduled", "", "S2", "T-PAST", "", "", ""],
]
USERS_11_HEADER = ["sourcedId", "status", "dateLastModified", "enabledUser", "orgSourcedIds", "role", "username", "userIds", "givenName", "familyName", "middleName", "identifier", "email", "sms", "phone", "agentSourcedIds", "grades", "password"]  # fmt: skip
USERS_12_HEADER = ["sourcedId", "status", "dateLastModified", "enabledUser", "username", "userIds", "givenName", "familyName", "middleName", "identifier", "email", "sms", "phone", "agentSourcedIds", "grades", "password", "userMasterIdentifier", "resourceSourcedIds", "preferredFirstName", "preferredMiddleName", "preferredLastName", "primaryOrgSourcedId", "pronouns"]  # fmt: skip
# sourcedId, role, org, username, givenName, familyName, identifier, email, agentSourcedIds
PEOPLE = [
    ("U-T1", "teacher", "S1", "tess", "Tess", "Teacher", "ID-T1", "t1@lakeside.test", ""),
    ("U-A1", "aide", "S1", "alex", "Alex", "Aide", "ID-A1", "a1@lakeside.test", ""),
    ("U-K1", "student", "S1", "kai", "Kai", "Kid", "ID-K1", "k1@lakeside.test", "U-P1"),
    ("U-K2", "student", "S1", "kim@lakeside.test", "Kim", "Kid", "ID-K2", "", ""),
    ("U-K3", "student", "S2", "kit", "Kit", "Kid", "ID-K3", "k3@lakeside.test", "U-P2,U-T1"),
    ("U-P1", "parent", "S1", "pia", "Pia", "Parent", "ID-P1", "p1@home.test", "U-K1,U-K2"),
    ("U-P2", "guardian", "S2", "paul", "Paul", "Guard", "ID-P2", "p2@home.test", "U-K3,U-NOPE"),
    ("U-R1", "relative", "S1", "rae", "Rae", "Relative", "ID-R1", "r1@home.test", "U-K2"),
    ("U-ADM", "administrator", "D1", "ada", "Ada", "Admin", "ID-ADM", "ada@lakeside.test", ""),
    ("U-PR", "proctor", "S1", "pete", "Pete", "Proctor", "ID-PR", "pete@lakeside.test", ""),
]
ENROLLMENTS_HEADER = ["sourcedId", "status", "dateLastModified", "classSourcedId", "schoolSourcedId", "userSourcedId", "role", "primary", "beginDate", "endDate"]  # fmt: skip
ENROLLMENTS = [
    ["E1", "", "", "C-MATH", "S1", "U-T1", "teacher", "true", "", ""],
    ["E2", "", "", "C-MATH", "S1", "U-A1", "aide", "false", "", ""],
    ["E3", "", "", "C-MATH", "S1", "U-K1", "student", "false", "", ""],
    ["E4", "", "", "C-MATH", "S1", "U-K2", "student", "false", "", ""],
    ["E5", "", "", "C-ART", "S1", "U-K1", "student", "false", "2000-01-01", "2001-01-01"],
    ["E6", "", "", "C-ART", "S1", "U-K2", "student", "false", "2099-01-01", ""],
    ["E7", "", "", "C-HIST", "S2", "U-K3", "student", "false", "", ""],
    ["E8", "", "", "C-MATH", "S1", "U-ADM", "administrator", "false", "", ""],
]
FILLER = 30  # more students in Math, so that one guardian is a small part of the district


def table(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def people(*, without: tuple[str, ...] = (), filler: int = FILLER) -> list[tuple]:
    found = [person for person in PEOPLE if person[0] not in without]
    found += [
        (
            f"U-F{n}",
            "student",
            "S1",
            f"f{n}",
            "Fay",
            f"Filler{n}",
            f"ID-F{n}",
            f"f{n}@lakeside.test",
            "",
        )
        for n in range(filler)
    ]
    return found


def filler_enrollments(filler: int = FILLER) -> list[list[str]]:
    return [
        [f"EF{n}", "", "", "C-MATH", "S1", f"U-F{n}", "student", "false", "", ""]
        for n in range(filler)
    ]


def user_rows(version: str, persons: list[tuple], status: dict | None = None) -> list[list[str]]:
    status = status or {}
    rows = []
    for sid, role, org, username, given, family, identifier, email, agents in persons:
        state, enabled = status.get(sid, ("", "true"))
        if version == "1.1":
            rows.append(
                [sid, state, "", enabled, org, role, username, "", given, family, "", identifier,
                 email, "", "", agents, "", ""]
            )  # fmt: skip
        else:
            preferred = "Kay" if sid == "U-K1" else ""
            rows.append(
                [sid, state, "", enabled, username, "", given, family, "", identifier, email, "",
                 "", agents, "", "", "", "", preferred, "", "", org, ""]
            )  # fmt: skip
    return rows


def manifest(version: str, modes: dict[str, str]) -> bytes:
    rows = [["manifest.version", "1.0"], ["oneroster.version", version]]
    rows += [[f"file.{name}", mode] for name, mode in modes.items()]
    rows += [["source.systemName", "Lakeside SIS"], ["source.systemCode", "lakeside"]]
    return table(["propertyName", "value"], rows)


def district_zip(
    version: str = "1.1",
    *,
    mode: str = "bulk",
    without: tuple[str, ...] = (),
    filler: int = FILLER,
    status: dict | None = None,
    enrollments: list[list[str]] | None = None,
    extra_modes: dict[str, str] | None = None,
    leave_out: tuple[str, ...] = (),
) -> bytes:
    """The district as a zip. ``without``: sourcedIds of people left out (and every reference to
    them); ``status``: sourcedId → (status, enabledUser); ``leave_out``: files the manifest names
    but the zip does not hold."""
    persons = people(without=without, filler=filler)
    persons = [
        (*person[:8], ",".join(a for a in person[8].split(",") if a and a not in without))
        for person in persons
    ]
    users_header = USERS_11_HEADER if version == "1.1" else USERS_12_HEADER
    if enrollments is None:
        enrollments = [e for e in ENROLLMENTS if e[5] not in without]
        enrollments += filler_enrollments(filler)
    files = {
        "orgs.csv": table(ORG_HEADER, ORGS),
        "academicSessions.csv": table(SESSIONS_HEADER, SESSIONS),
        "classes.csv": table(CLASSES_HEADER, CLASSES),
        "courses.csv": table(["sourcedId", "title"], [["CO1", "Math"], ["CO2", "Art"]]),
        "demographics.csv": table(["sourcedId", "sex"], [["U-K1", "female"]]),
        "users.csv": table(users_header, user_rows(version, persons, status)),
        "enrollments.csv": table(ENROLLMENTS_HEADER, enrollments),
    }
    if version == "1.2":
        files["roles.csv"] = table(
            ["sourcedId", "status", "dateLastModified", "userSourcedId", "roleType", "role",
             "orgSourcedId", "userProfileSourcedId", "beginDate", "endDate"],
            [[f"R-{p[0]}", "", "", p[0], "primary", p[1], p[2], "", "", ""] for p in persons],
        )  # fmt: skip
    modes = {name.removesuffix(".csv"): mode for name in files}
    modes.update(extra_modes or {})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("manifest.csv", manifest(version, modes))
        for name, data in files.items():
            if name.removesuffix(".csv") not in leave_out:
                archive.writestr(name, data)
    return buffer.getvalue()


def delta_zip(
    version: str,
    persons: list[tuple],
    status: dict,
    enrollments: list[list[str]],
    *,
    roles: bool = True,
) -> bytes:
    """A delta export: some people (``status``: sourcedId → (status, enabledUser)) and some
    enrollments."""
    users_header = USERS_11_HEADER if version == "1.1" else USERS_12_HEADER
    files = {
        "users.csv": table(users_header, user_rows(version, persons, status)),
        "enrollments.csv": table(ENROLLMENTS_HEADER, enrollments),
    }
    if version == "1.2" and roles:
        files["roles.csv"] = table(
            ["sourcedId", "status", "userSourcedId", "roleType", "role"],
            [[f"R-{p[0]}", "", p[0], "primary", p[1]] for p in persons],
        )
    modes = {name.removesuffix(".csv"): "delta" for name in files}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("manifest.csv", manifest(version, modes))
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()
