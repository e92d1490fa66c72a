"""OneRoster 1.1 and 1.2 imports of a sample district (tests/rostering/oneroster_district.py):
people, classes, enrollments and the guardians' observer links, every message, nothing changed
the second time, a delta's removals, and bulk snapshots that remove what they no longer list."""

import pytest

from accounts.models import AuditAction, AuditEvent, User
from accounts.roles import Role
from courses.models import Course, CourseState, EnrollmentState
from pairing.models import ObserverLinkSource, ObserverLinkState
from pairing.services import pairing_code_create, pairing_code_redeem
from rostering.models import RosterRecord, SisImportState
from tests.rostering.oneroster_district import PEOPLE, delta_zip, district_zip
from tests.rostering.oneroster_helpers import active_people, enrollments, import_oneroster, links
from tests.rostering.sis_helpers import USER_OBSERVERS, csv_bytes, run, snapshot

SIS = ObserverLinkSource.SIS_IMPORT
S, T, TA, OB = Role.STUDENT, Role.TEACHER, Role.TA, Role.OBSERVER
ACTIVE, COMPLETED, INACTIVE, DELETED = (
    EnrollmentState.ACTIVE,
    EnrollmentState.COMPLETED,
    EnrollmentState.INACTIVE,
    EnrollmentState.DELETED,
)
DISTRICT_LINKS = {
    ("U-P1", "U-K1", SIS),  # named both ways: one link
    ("U-P1", "U-K2", SIS),
    ("U-P2", "U-K3", SIS),
    ("U-R1", "U-K2", SIS),
}
DISTRICT_ENROLLMENTS = {
    ("C-MATH", "U-T1", T, ACTIVE, None),
    ("C-MATH", "U-A1", TA, ACTIVE, None),
    ("C-MATH", "U-K1", S, ACTIVE, None),
    ("C-MATH", "U-K2", S, ACTIVE, None),
    ("C-ART", "U-K1", S, COMPLETED, None),  # its endDate has passed
    ("C-ART", "U-K2", S, INACTIVE, None),  # its beginDate has not come
    ("C-HIST", "U-K3", S, ACTIVE, None),
    # The guardians' observer enrollments, following their students' current enrollments.
    ("C-MATH", "U-P1", OB, ACTIVE, "U-K1"),
    ("C-MATH", "U-P1", OB, ACTIVE, "U-K2"),
    ("C-MATH", "U-R1", OB, ACTIVE, "U-K2"),
    ("C-HIST", "U-P2", OB, ACTIVE, "U-K3"),
}
GUARDIANS = "users.csv: agentSourcedIds"
DISTRICT_MESSAGES = [
    (
        "users.csv",
        10,
        "User U-ADM is an administrator; administrators are imported only when the import is "
        "asked to make them account admins",
    ),
    (
        "users.csv",
        11,
        'User U-PR has the role "proctor", which is not imported (students, teachers, aides, '
        "administrators, parents, guardians and relatives are)",
    ),
    (
        "enrollments.csv",
        9,
        'The enrollment role "administrator" is not imported (student, teacher and aide are)',
    ),
    (
        GUARDIANS,
        6,
        "The agentSourcedIds of student U-K3 name U-T1, who is not a parent, guardian or relative",
    ),
    (GUARDIANS, 8, "A student referenced a non-existent user U-NOPE"),
]


def messages(record) -> list[tuple[str, int, str]]:
    return sorted(((m["file"], m["row"], m["message"]) for m in record.messages), key=str)


@pytest.fixture(params=["1.1", "1.2"])
def version(request):
    return request.param


@pytest.fixture
def district(institution, version):
    record = import_oneroster(institution, district_zip(version))
    assert (record.state, record.error) == (SisImportState.DONE, "")
    return record


def test_a_district_lands_with_every_link_enrollment_and_message(institution, district, version):
    assert links(institution) == DISTRICT_LINKS
    assert enrollments(institution) == DISTRICT_ENROLLMENTS
    assert messages(district) == sorted(DISTRICT_MESSAGES, key=str)
    assert district.counts[GUARDIANS] == {
        "kind": "user_observers",
        "rows": 6,
        "changed": 4,
        "unchanged": 0,
        "skipped": 2,
    }
    imported = {sid for sid, role, *_rest in PEOPLE if role not in ("administrator", "proctor")}
    assert active_people(institution) == imported
    kim = User.objects.get(sis_user_id="U-K2")
    assert kim.email == "kim@lakeside.test"  # no email: the username, an e-mail address
    kai = User.objects.get(sis_user_id="U-K1")
    assert kai.name == ("Kai Kid" if version == "1.1" else "Kay Kid")  # 1.2's preferredFirstName
    assert not kai.is_account_admin
    courses = {c.sis_course_id: c for c in Course.objects.filter(institution=institution)}
    assert {(c.name, c.course_code, c.state) for c in courses.values()} == {
        ("Math 5", "MATH5", CourseState.AVAILABLE),
        ("Art 5", "ART5", CourseState.AVAILABLE),
        ("History 8", "History 8", CourseState.COMPLETED),  # its only term is over
    }


def test_schools_are_recorded_on_people_and_courses_not_made_institutions(institution, district):
    schools = dict(
        RosterRecord.objects.filter(institution=institution, source="lakeside")
        .exclude(kind__in=["enrollment", "link"])
        .values_list("key", "org_name")
    )
    assert schools["U-K3"] == schools["C-HIST"] == "South Middle"
    assert schools["U-K1"] == schools["C-MATH"] == "North Elementary"
    assert User.objects.get(sis_user_id="U-K3").institution == institution


def test_the_links_come_with_their_audit_trail(institution, district):
    created = AuditEvent.objects.filter(
        institution=institution, action=AuditAction.LINK_CREATED
    ).values_list("subject__sis_user_id", "details")
    assert sorted((student, details["source"]) for student, details in created) == [
        ("U-K1", "sis_import"),
        ("U-K2", "sis_import"),
        ("U-K2", "sis_import"),
        ("U-K3", "sis_import"),
    ]


def test_importing_the_same_export_again_changes_nothing(institution, district, version):
    before = snapshot(institution)
    again = import_oneroster(institution, district_zip(version))
    assert snapshot(institution) == before
    assert messages(again) == messages(district)
    assert all(counts["changed"] == 0 for counts in again.counts.values())


def test_a_dry_run_counts_and_changes_nothing(institution, version):
    record = import_oneroster(institution, district_zip(version), dry_run=True)
    assert record.counts[GUARDIANS]["changed"] == 4
    assert links(institution) == set()
    assert not User.objects.filter(sis_user_id="U-K1").exists()


def test_a_delta_removes_what_its_tobedeleted_rows_name(institution, district, version):
    rae = next(person for person in PEOPLE if person[0] == "U-R1")
    delta = delta_zip(
        version,
        [rae],
        {"U-R1": ("tobedeleted", "true")},
        [["E3", "tobedeleted", "", "C-MATH", "S1", "U-K1", "student", "false", "", ""]],
    )
    record = import_oneroster(institution, delta)
    assert (record.state, record.messages) == (SisImportState.DONE, [])
    assert "U-R1" not in active_people(institution)  # deactivated
    now = enrollments(institution)
    assert ("C-MATH", "U-K1", S, DELETED, None) in now
    assert ("C-MATH", "U-P1", OB, DELETED, "U-K1") in now  # the observer followed the student
    assert ("C-MATH", "U-P1", OB, ACTIVE, "U-K2") in now
    # A delta is no snapshot: what it does not name stays.
    assert links(institution) == DISTRICT_LINKS
    assert len(now) == len(DISTRICT_ENROLLMENTS)


def test_a_bulk_snapshot_without_a_guardian_removes_their_link_not_a_pairing_code_link(
    institution, district, version, observer
):
    kim = User.objects.get(sis_user_id="U-K2")
    issued = pairing_code_create(student=kim, by=kim)
    pairing_code_redeem(code=issued.code, observer=observer)

    record = import_oneroster(institution, district_zip(version, without=("U-R1",)))

    assert (record.state, record.error) == (SisImportState.DONE, "")
    coded = (observer.email, "U-K2", ObserverLinkSource.PAIRING_CODE)
    assert links(institution) == (DISTRICT_LINKS - {("U-R1", "U-K2", SIS)}) | {coded}
    assert links(institution, ObserverLinkState.DELETED) == {("U-R1", "U-K2", SIS)}
    assert ("C-MATH", "U-R1", OB, DELETED, "U-K2") in enrollments(institution)
    assert "U-R1" not in active_people(institution)  # made by the source, no longer listed
    assert record.counts["Observer links no longer listed"]["changed"] == 1
    assert record.counts["People no longer listed"]["changed"] == 1


def test_a_bulk_snapshot_missing_half_the_district_stops_and_removes_nothing(
    institution, district, version
):
    before = snapshot(institution)
    half = district_zip(version, without=("U-K1", "U-K2", "U-P1", "U-R1"), filler=12)

    record = import_oneroster(institution, half)

    assert record.state == SisImportState.WAITING
    assert record.upload  # kept, for the admin to confirm
    assert "earlier imports from lakeside made, more than 10 %" in record.error
    assert "Nothing was changed" in record.error
    assert snapshot(institution) == before


def test_allowing_the_removals_imports_the_half_district(institution, district, version):
    half = district_zip(version, without=("U-K1", "U-K2", "U-P1", "U-R1"), filler=12)
    record = import_oneroster(institution, half, allow_removals=True)
    assert record.state == SisImportState.DONE
    assert links(institution) == {("U-P2", "U-K3", SIS)}
    assert active_people(institution) == {"U-T1", "U-A1", "U-K3", "U-P2"}
    filler_left = User.objects.filter(sis_user_id__startswith="U-F", is_active=True).count()
    assert filler_left == 12


def test_a_threshold_option_lets_a_larger_share_go(institution, district, version):
    half = district_zip(version, without=("U-K1", "U-K2", "U-P1", "U-R1"), filler=12)
    assert import_oneroster(institution, half, change_threshold=80).state == SisImportState.DONE


def test_what_another_source_made_is_not_swept_by_this_one(institution, district, version):
    half = district_zip(version, without=("U-K1",), filler=0)
    record = import_oneroster(institution, half, oneroster_source="another-sis")
    assert record.state == SisImportState.DONE
    assert "U-K1" in active_people(institution)


def test_the_identifier_option_takes_sis_ids_from_identifier(institution, version):
    record = import_oneroster(institution, district_zip(version), oneroster_sis_id="identifier")
    assert record.state == SisImportState.DONE
    assert ("ID-P1", "ID-K1", SIS) in links(institution)
    assert ("C-MATH", "ID-K1", S, ACTIVE, None) in enrollments(institution)


def test_administrators_become_account_admins_only_when_asked(institution, version):
    import_oneroster(institution, district_zip(version), oneroster_admins=True)
    ada = User.objects.get(sis_user_id="U-ADM")
    assert ada.is_account_admin
    assert AuditEvent.objects.filter(action=AuditAction.ADMIN_GRANTED, subject=ada).exists()
    assert not User.objects.get(sis_user_id="U-T1").is_account_admin


def test_an_import_does_not_change_an_admin_it_lists(institution, admin, version):
    admin.sis_user_id = "U-T1"
    admin.save()
    record = import_oneroster(institution, district_zip(version))
    assert ("users.csv", 2) in {(m["file"], m["row"]) for m in record.messages}
    admin.refresh_from_db()
    assert (admin.email, admin.is_account_admin) == ("admin@example.test", True)


def test_a_bulk_snapshot_leaves_what_others_made_that_it_does_not_list(
    institution, district, version
):
    canvas = run(institution, "user_observers.csv", csv_bytes(USER_OBSERVERS, "U-P2,U-K1,active"))
    assert canvas.counts["user_observers.csv"]["changed"] == 1
    art = Course.objects.get(sis_course_id="C-ART")
    kit = User.objects.get(sis_user_id="U-K3")
    art.enrollments.create(user=kit, type=S)  # a teacher's doing, not the export's

    record = import_oneroster(institution, district_zip(version))

    assert record.state == SisImportState.DONE
    assert ("U-P2", "U-K1", SIS) in links(institution)  # made by a Canvas SIS CSV
    assert ("C-ART", "U-K3", S, ACTIVE, None) in enrollments(institution)
    assert all(counts["changed"] == 0 for counts in record.counts.values())


def test_a_12_delta_deactivates_someone_whose_roles_it_leaves_out(institution):
    import_oneroster(institution, district_zip("1.2"))
    kit = next(person for person in PEOPLE if person[0] == "U-K3")
    delta = delta_zip("1.2", [kit], {"U-K3": ("tobedeleted", "true")}, [], roles=False)
    record = import_oneroster(institution, delta)
    assert (record.state, record.messages) == (SisImportState.DONE, [])
    assert "U-K3" not in active_people(institution)
