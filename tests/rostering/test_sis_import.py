"""The SIS import of each kind of CSV file (rostering.sis_import): good rows land, and every bad row
is skipped with its file, row number (the header is row 1) and the reason, in Canvas's words."""

import pytest

from accounts.models import User
from accounts.roles import Role
from courses.models import Course, CourseState, Enrollment, EnrollmentState
from pairing.models import ObserverLink, ObserverLinkSource, ObserverLinkState
from pairing.services import observer_link_create
from rostering.models import SisImportState
from tests.factories import CourseFactory, EnrollmentFactory, UserFactory
from tests.rostering.sis_helpers import (
    COURSES,
    ENROLLMENTS,
    USER_OBSERVERS,
    USERS,
    counts,
    csv_bytes,
    observer_courses,
    run,
    skips,
)


@pytest.fixture
def sam(student):
    """The student persona (enrolled in Biology 101) with SIS id S1."""
    student.sis_user_id = "S1"
    student.save(update_fields=["sis_user_id"])
    return student


@pytest.fixture
def pat(observer):
    """The observer persona with SIS id O1."""
    observer.sis_user_id = "O1"
    observer.save(update_fields=["sis_user_id"])
    return observer


@pytest.fixture
def biology(course):
    course.sis_course_id = "BIO-101"
    course.save(update_fields=["sis_course_id"])
    return course


# --- users.csv ----------------------------------------------------------------------------------------


def test_users_csv_creates_people_and_skips_each_bad_row_with_its_reason(institution, student):
    record = run(
        institution,
        "users.csv",
        csv_bytes(
            USERS,
            "U1,jose@example.test,José,Núñez,,active",
            ",nobody@example.test,No,Id,,active",
            "U3,u3@example.test,Una,Three,,enrolled",
            "U4,jnunez,Jo,Four,,active",
            "U5,,Five,Person,,active",
            "U6,bad@,Six,Person,,active",
            "U7,u7@example.test,,,,active",
            "U8,u8@example.test,Gone,Person,,deleted",
            "U9,SAM@example.test,Taken,Login,,active",
            "U10,ten,Ten,Person,ten@example.test,ACTIVE",
        ),
    )

    assert record.state == SisImportState.DONE
    assert record.counts == {"users.csv": counts("users", 10, changed=2, skipped=8)}
    assert skips(record) == [
        ("users.csv", 3, "No user_id given for a user"),
        ("users.csv", 4, 'Improper status "enrolled" for user U3'),
        (
            "users.csv",
            5,
            'The login_id "jnunez" of user U4 is not an e-mail address, and no email is given',
        ),
        ("users.csv", 6, "No login_id or email given for user U5"),
        ("users.csv", 7, "The login 'bad@' of user U6 is not an e-mail address"),
        ("users.csv", 8, "No name given for user U7"),
        ("users.csv", 9, "Can't delete user U8: no such user"),
        ("users.csv", 10, "The login SAM@example.test of user U9 is taken"),
    ]
    assert record.message_count == 8
    jose = User.objects.get(institution=institution, sis_user_id="U1")
    assert (jose.email, jose.name, jose.sortable_name) == (
        "jose@example.test",
        "José Núñez",
        "Núñez, José",
    )
    assert User.objects.get(sis_user_id="U10").email == "ten@example.test"
    assert set(User.objects.exclude(sis_user_id=None).values_list("sis_user_id", flat=True)) == {
        "U1",
        "U10",
    }


def test_users_csv_updates_and_deactivates_known_people_by_sis_id(institution, student):
    run(institution, "users.csv", csv_bytes(USERS, "U1,a@example.test,Ann,Lee,,active"))
    run(institution, "users.csv", csv_bytes(USERS, "U2,b@example.test,Bo,Kim,,active"))

    record = run(
        institution,
        "users.csv",
        csv_bytes(
            USERS,
            "U1,ann@example.test,Ann,Lee-Park,,active",
            "U2,b@example.test,Bo,Kim,,Deleted",
            "U1,sam@example.test,Ann,Lee-Park,,active",
        ),
    )

    assert record.counts == {"users.csv": counts("users", 3, changed=2, skipped=1)}
    assert skips(record) == [("users.csv", 4, "The login sam@example.test of user U1 is taken")]
    ann, bo = User.objects.get(sis_user_id="U1"), User.objects.get(sis_user_id="U2")
    assert (ann.email, ann.name, ann.is_active) == ("ann@example.test", "Ann Lee-Park", True)
    assert bo.is_active is False


def test_a_repeated_row_whose_login_is_taken_is_skipped_every_time(institution, student):
    run(institution, "users.csv", csv_bytes(USERS, "U1,a@example.test,Ann,Lee,,active"))

    record = run(
        institution,
        "users.csv",
        csv_bytes(
            USERS, "U1,sam@example.test,Ann,Lee,,active", "U1,sam@example.test,Ann,Lee,,active"
        ),
    )

    taken = "The login sam@example.test of user U1 is taken"
    assert skips(record) == [("users.csv", 2, taken), ("users.csv", 3, taken)]
    assert record.counts == {"users.csv": counts("users", 2, skipped=2)}


# --- courses.csv --------------------------------------------------------------------------------------


def test_courses_csv_creates_and_updates_courses_and_skips_bad_rows(institution):
    record = run(
        institution,
        "courses.csv",
        csv_bytes(
            COURSES,
            "C1,BIO1,Biology One,active",
            ",X,No Id,active",
            "C3,,Chemistry,active",
            "C4,PHYS,,active",
            "C5,ART,Art,open",
            "C6,CHEM,Chemistry,Unpublished",
            "C7,HIST,History,",
        ),
    )

    assert record.counts == {"courses.csv": counts("courses", 7, changed=3, skipped=4)}
    assert skips(record) == [
        ("courses.csv", 3, "No course_id given for a course"),
        ("courses.csv", 4, "No short_name given for course C3"),
        ("courses.csv", 5, "No long_name given for course C4"),
        ("courses.csv", 6, 'Improper status "open" for course C5'),
    ]
    assert dict(
        Course.objects.filter(institution=institution).values_list("sis_course_id", "state")
    ) == {"C1": CourseState.AVAILABLE, "C6": CourseState.UNPUBLISHED, "C7": CourseState.AVAILABLE}

    again = run(
        institution,
        "courses.csv",
        csv_bytes(COURSES, "C1,BIO1,Biology I,COMPLETED", "C6,CHEM,Chemistry,DELETED"),
    )

    assert again.counts == {"courses.csv": counts("courses", 2, changed=2)}
    c1 = Course.objects.get(sis_course_id="C1")
    assert (c1.name, c1.state) == ("Biology I", CourseState.COMPLETED)
    assert Course.objects.get(sis_course_id="C6").state == CourseState.DELETED


# --- enrollments.csv ----------------------------------------------------------------------------------


def test_enrollments_csv_enrolls_people_and_skips_each_bad_row_with_its_reason(
    institution, biology, sam, pat
):
    UserFactory(institution=institution, sis_user_id="T1")
    UserFactory(institution=institution, sis_user_id="S2")
    record = run(
        institution,
        "enrollments.csv",
        csv_bytes(
            ENROLLMENTS,
            "BIO-101,T1,teacher,active,",
            ",S1,student,active,",
            "BIO-101,,student,active,",
            "BIO-101,S2,principal,active,",
            "BIO-101,S2,student,pending,",
            "NOPE,S2,student,active,",
            "BIO-101,NOBODY,student,active,",
            "BIO-101,O1,observer,active,GHOST",
            "BIO-101,O1,observer,active,O1",
            "BIO-101,O1,observer,active,T1",
            "BIO-101,S2,Student,ACTIVE,O1",
            "BIO-101,S2,observer,active,S1",
            "BIO-101,S1,observer,active,S2",
        ),
    )

    assert record.counts == {"enrollments.csv": counts("enrollments", 13, changed=3, skipped=10)}
    assert skips(record) == [
        ("enrollments.csv", 3, "No course_id given for an enrollment"),
        ("enrollments.csv", 4, "No user_id given for an enrollment"),
        ("enrollments.csv", 5, 'Improper role "principal" for an enrollment'),
        ("enrollments.csv", 6, 'Improper status "pending" for an enrollment'),
        ("enrollments.csv", 7, "An enrollment referenced a non-existent course NOPE"),
        ("enrollments.csv", 8, "An enrollment referenced a non-existent user NOBODY"),
        ("enrollments.csv", 9, "An observer enrollment referenced a non-existent user GHOST"),
        ("enrollments.csv", 10, "Can't observe yourself user O1"),
        (
            "enrollments.csv",
            11,
            "Enrollment of user O1 in course BIO-101: That student is not enrolled in this course.",
        ),
        (
            "enrollments.csv",
            14,
            "Enrollment of user S1 in course BIO-101: Two people cannot observe each other in the same course.",
        ),
    ]
    assert set(
        Enrollment.objects.filter(course=biology).values_list(
            "user__sis_user_id", "type", "state", "associated_user__sis_user_id"
        )
    ) == {
        ("S1", Role.STUDENT, EnrollmentState.ACTIVE, None),
        ("T1", Role.TEACHER, EnrollmentState.ACTIVE, None),
        ("S2", Role.STUDENT, EnrollmentState.ACTIVE, None),  # associated_user_id ignored
        ("S2", Role.OBSERVER, EnrollmentState.ACTIVE, "S1"),
    }


def test_an_observer_row_with_an_associated_user_observes_one_course_without_a_link(
    institution, biology, sam, pat
):
    EnrollmentFactory(course=CourseFactory(institution=institution, course_code="CHEM"), user=sam)

    record = run(
        institution, "enrollments.csv", csv_bytes(ENROLLMENTS, "BIO-101,O1,observer,active,S1")
    )

    assert record.counts == {"enrollments.csv": counts("enrollments", 1, changed=1)}
    assert observer_courses(pat, sam) == {"BIO101"}
    assert not ObserverLink.objects.exists()


def test_a_student_enrolled_by_the_import_brings_their_linked_observers_along(
    institution, sam, pat
):
    observer_link_create(observer=pat, student=sam, by=None, source=ObserverLinkSource.ADMIN)
    CourseFactory(institution=institution, course_code="CHEM", sis_course_id="CHEM-1")

    run(institution, "enrollments.csv", csv_bytes(ENROLLMENTS, "CHEM-1,S1,student,invited,"))

    assert observer_courses(pat, sam) == {"BIO101", "CHEM"}


# --- user_observers.csv -------------------------------------------------------------------------------


def test_an_active_row_links_the_observer_in_each_current_course_of_the_student(
    institution, sam, pat, admin
):
    for code, state in [
        ("CHEM", EnrollmentState.INVITED),
        ("ART", EnrollmentState.COMPLETED),
        ("HIST", EnrollmentState.DELETED),
    ]:
        course = CourseFactory(institution=institution, course_code=code)
        EnrollmentFactory(course=course, user=sam, state=state)

    record = run(
        institution, "user_observers.csv", csv_bytes(USER_OBSERVERS, "O1,S1,ACTIVE"), by=admin
    )

    assert record.counts == {"user_observers.csv": counts("user_observers", 1, changed=1)}
    link = ObserverLink.objects.get(observer=pat, student=sam)
    assert (link.state, link.source, link.created_by) == (
        ObserverLinkState.ACTIVE,
        ObserverLinkSource.SIS_IMPORT,
        admin,
    )
    assert observer_courses(pat, sam) == {"BIO101", "CHEM"}


def test_a_deleted_row_removes_the_link_and_its_enrollments_and_active_restores_both(
    institution, biology, sam, pat
):
    run(institution, "user_observers.csv", csv_bytes(USER_OBSERVERS, "O1,S1,active"))

    removed = run(institution, "user_observers.csv", csv_bytes(USER_OBSERVERS, "O1,S1,Deleted"))

    assert removed.counts == {"user_observers.csv": counts("user_observers", 1, changed=1)}
    link = ObserverLink.objects.get(observer=pat, student=sam)
    assert link.state == ObserverLinkState.DELETED
    assert link.removed_at is not None
    assert observer_courses(pat, sam) == set()
    assert observer_courses(pat, sam, EnrollmentState.DELETED) == {"BIO101"}

    restored = run(institution, "user_observers.csv", csv_bytes(USER_OBSERVERS, "O1,S1,Active"))

    assert restored.counts == {"user_observers.csv": counts("user_observers", 1, changed=1)}
    assert ObserverLink.objects.get(pk=link.pk).state == ObserverLinkState.ACTIVE
    assert observer_courses(pat, sam) == {"BIO101"}


def test_user_observers_csv_skips_each_bad_row_with_its_reason(institution, sam, pat):
    UserFactory(institution=institution, sis_user_id="O2")
    record = run(
        institution,
        "user_observers.csv",
        csv_bytes(
            USER_OBSERVERS,
            "O1,S1,active",
            ",S1,active",
            "O1,S1,maybe",
            "S1,S1,active",
            "GHOST,S1,active",
            "O1,GHOST,active",
            "O2,S1,deleted",
        ),
    )

    assert record.counts == {
        "user_observers.csv": counts("user_observers", 7, changed=1, skipped=6)
    }
    assert skips(record) == [
        ("user_observers.csv", 3, "No observer_id given for a user observer"),
        ("user_observers.csv", 4, 'Improper status "maybe" for a user_observer'),
        ("user_observers.csv", 5, "Can't observe yourself user S1"),
        ("user_observers.csv", 6, "An observer referenced a non-existent user GHOST"),
        ("user_observers.csv", 7, "A student referenced a non-existent user GHOST"),
        (
            "user_observers.csv",
            8,
            "Can't delete a non-existent observer for observer: O2, student: S1",
        ),
    ]
    assert list(ObserverLink.objects.values_list("observer", "student")) == [(pat.pk, sam.pk)]


def test_an_admin_cannot_make_themself_an_observer_through_an_import(institution, sam, admin):
    admin.sis_user_id = "A1"
    admin.save(update_fields=["sis_user_id"])

    record = run(
        institution, "user_observers.csv", csv_bytes(USER_OBSERVERS, "A1,S1,active"), by=admin
    )

    # The same rule as linking by id on the admin pages: never an observer for oneself.
    assert skips(record) == [
        (
            "user_observers.csv",
            2,
            "observer_id A1 is your own account: an import can't make you an observer",
        )
    ]
    assert not ObserverLink.objects.exists()


def test_a_row_without_a_student_id_says_so_in_canvas_words(institution, sam, pat):
    record = run(institution, "user_observers.csv", csv_bytes(USER_OBSERVERS, "O1,,active"))

    # canvas-behaviour.md §7 lists Canvas's message for an empty student_id.
    assert skips(record) == [("user_observers.csv", 2, "No student_id given for a user observer")]


def test_a_deactivated_user_cannot_be_linked_as_observer_or_student(institution, sam, pat):
    UserFactory(institution=institution, sis_user_id="O2")
    run(institution, "users.csv", csv_bytes(USERS, f"O1,{pat.email},Pat,Parent,,deleted"))
    run(institution, "users.csv", csv_bytes(USERS, f"S1,{sam.email},Sam,Student,,deleted"))

    record = run(
        institution, "user_observers.csv", csv_bytes(USER_OBSERVERS, "O1,S1,active", "O2,S1,active")
    )

    # §7: both users are resolved by their *active* SIS login in the institution.
    assert skips(record) == [
        ("user_observers.csv", 2, "An observer referenced a non-existent user O1"),
        ("user_observers.csv", 3, "A student referenced a non-existent user S1"),
    ]
    assert not ObserverLink.objects.exists()


def test_an_invited_observer_row_in_enrollments_csv_obeys_the_course_observer_rules(
    institution, course, student
):
    outsider = UserFactory(institution=institution, sis_user_id="S-OUT")  # not in the course
    UserFactory(institution=institution, sis_user_id="P-1")
    course.sis_course_id = "C-1"
    course.save()
    data = b"course_id,user_id,role,status,associated_user_id\nC-1,P-1,observer,invited,S-OUT\n"
    record = run(institution, "enrollments.csv", data)
    assert record.counts["enrollments.csv"]["skipped"] == 1
    assert "not enrolled in this course" in record.messages[0]["message"]
    assert not outsider.observed_enrollments.exists()
