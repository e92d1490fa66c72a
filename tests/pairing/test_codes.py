"""Making pairing codes: their form, their storage, their limits, and who may make them."""

import string
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import SelfRegistration
from accounts.roles import Permission, Role
from accounts.services import role_permission_set
from courses.models import EnrollmentState
from pairing.code_format import ALPHABET, code_hash, code_normalize
from pairing.errors import PairingError
from pairing.models import PairingCode, PairingCodeState
from pairing.services import pairing_code_create, pairing_code_refusal
from tests.db import refused_by
from tests.factories import CourseFactory, EnrollmentFactory, InstitutionFactory, UserFactory


def test_the_alphabet_leaves_out_look_alikes():
    assert len(ALPHABET) == 56
    assert not set("0Oo1lI") & set(ALPHABET)
    assert set(ALPHABET) <= set(string.ascii_letters + string.digits)


def test_a_code_is_six_letters_and_digits_from_the_alphabet(student):
    codes = {pairing_code_create(student=student, by=student).code for _ in range(5)}
    assert len(codes) == 5
    for code in codes:
        assert len(code) == 6
        assert set(code) <= set(ALPHABET)


def test_only_a_keyed_hash_is_stored(student):
    issued = pairing_code_create(student=student, by=student)
    row = PairingCode.objects.get(pk=issued.record.pk)
    stored = " ".join(
        str(value) for value in PairingCode.objects.filter(pk=row.pk).values().get().values()
    )
    assert issued.code not in stored
    assert row.code_hash == code_hash(issued.code)
    assert len(row.code_hash) == 64


def test_the_hash_depends_on_the_server_secret(settings):
    first = code_hash("AbC234")
    settings.SECRET_KEY = "another-secret-" + "x" * 50
    assert code_hash("AbC234") != first


def test_surrounding_spaces_are_ignored_but_case_is_kept():
    assert code_normalize("  AbC234\n") == "AbC234"
    assert code_normalize("abc234") == "abc234"


@pytest.mark.parametrize("raw", ["", "AbC23", "AbC2345", "AbC 23", "AbC2O4", "Ab<23>", "ÄbC234"])
def test_something_that_cannot_be_a_code_is_refused_before_any_lookup(raw):
    assert code_normalize(raw) is None


def test_a_code_expires_seven_days_after_it_is_made(student):
    before = timezone.now()
    record = pairing_code_create(student=student, by=student).record
    assert before + timedelta(days=7) <= record.expires_at <= timezone.now() + timedelta(days=7)
    assert record.state == PairingCodeState.ACTIVE
    assert record.created_by == student


def test_a_sixth_code_retires_the_oldest(student):
    records = [pairing_code_create(student=student, by=student).record for _ in range(6)]
    states = {r.pk: r.state for r in PairingCode.objects.filter(student=student)}
    assert states[records[0].pk] == PairingCodeState.REPLACED
    assert [states[r.pk] for r in records[1:]] == [PairingCodeState.ACTIVE] * 5
    assert PairingCode.objects.get(pk=records[0].pk).ended_at is not None


def test_codes_past_their_expiry_are_marked_expired_and_do_not_count(student):
    old = pairing_code_create(student=student, by=student).record
    PairingCode.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=8), expires_at=timezone.now() - timedelta(days=1)
    )
    for _ in range(5):
        pairing_code_create(student=student, by=student)
    assert PairingCode.objects.get(pk=old.pk).state == PairingCodeState.EXPIRED
    assert PairingCode.objects.filter(student=student, state=PairingCodeState.ACTIVE).count() == 5


def test_one_students_limit_leaves_another_students_codes_alone(course, student):
    other = EnrollmentFactory(course=course).user
    mine = pairing_code_create(student=student, by=student).record
    for _ in range(6):
        pairing_code_create(student=other, by=other)
    assert PairingCode.objects.get(pk=mine.pk).state == PairingCodeState.ACTIVE


def test_two_codes_never_share_a_hash(student):
    row = pairing_code_create(student=student, by=student).record
    with refused_by("pairing_pairingcode_code_hash_key"):
        PairingCode.objects.create(
            student=student, code_hash=row.code_hash, expires_at=timezone.now() + timedelta(days=1)
        )


def test_an_ended_code_must_say_when(student):
    with refused_by("pairing_code_ended_at_matches_state"):
        PairingCode.objects.create(
            student=student,
            code_hash="x" * 64,
            state=PairingCodeState.USED,
            expires_at=timezone.now() + timedelta(days=1),
        )


def test_a_code_cannot_expire_before_it_is_made(student):
    with refused_by("pairing_code_expires_after_creation"):
        PairingCode.objects.create(
            student=student, code_hash="y" * 64, expires_at=timezone.now() - timedelta(days=1)
        )


# --- Who may make a code ---------------------------------------------------------------------------


def test_a_student_may_make_their_own_code(student):
    assert pairing_code_refusal(student=student, by=student) is None


def test_an_admin_may_make_a_code_for_a_student_of_the_institution(student, admin):
    assert pairing_code_create(student=student, by=admin).record.created_by == admin


def test_a_teacher_needs_the_permission(course, student, teacher, admin):
    assert pairing_code_refusal(student=student, by=teacher) == PairingError.NOT_ALLOWED
    role_permission_set(
        institution=course.institution,
        role=Role.TEACHER,
        permission=Permission.GENERATE_OBSERVER_PAIRING_CODE,
        enabled=True,
        by=admin,
    )
    assert pairing_code_refusal(student=student, by=teacher) is None


def test_a_teacher_with_the_permission_cannot_make_codes_for_students_of_other_courses(
    course, teacher, admin
):
    role_permission_set(
        institution=course.institution,
        role=Role.TEACHER,
        permission=Permission.GENERATE_OBSERVER_PAIRING_CODE,
        enabled=True,
        by=admin,
    )
    stranger = EnrollmentFactory(course=CourseFactory(institution=course.institution)).user
    assert pairing_code_refusal(student=stranger, by=teacher) == PairingError.NOT_ALLOWED


def test_an_observer_never_makes_a_code_for_the_student_they_observe(course, student, observer):
    EnrollmentFactory(course=course, user=observer, type=Role.OBSERVER, associated_user=student)
    assert pairing_code_refusal(student=student, by=observer) == PairingError.NOT_ALLOWED


def test_another_student_cannot_make_a_code_for_a_classmate(course, student):
    classmate = EnrollmentFactory(course=course).user
    assert pairing_code_refusal(student=student, by=classmate) == PairingError.NOT_ALLOWED


def test_an_admin_of_another_institution_cannot(student, other_admin):
    assert pairing_code_refusal(student=student, by=other_admin) == PairingError.NOT_ALLOWED


def test_codes_are_only_for_students(teacher, admin):
    assert pairing_code_refusal(student=teacher, by=teacher) == PairingError.NOT_A_STUDENT
    assert pairing_code_refusal(student=teacher, by=admin) == PairingError.NOT_A_STUDENT


@pytest.mark.parametrize("state", [EnrollmentState.INACTIVE, EnrollmentState.DELETED])
def test_an_ended_student_enrollment_does_not_count(course, state):
    former = EnrollmentFactory(course=course, state=state).user
    assert pairing_code_refusal(student=former, by=former) == PairingError.NOT_A_STUDENT


def test_no_codes_while_self_registration_is_off(student, admin):
    student.institution.self_registration = SelfRegistration.NONE
    student.institution.save()
    for maker in (student, admin):
        assert pairing_code_refusal(student=student, by=maker) == PairingError.SELF_REGISTRATION_OFF
    with pytest.raises(PairingError, match=PairingError.SELF_REGISTRATION_OFF):
        pairing_code_create(student=student, by=student)
    assert not PairingCode.objects.exists()


def test_a_refused_maker_leaves_no_code(student, observer):
    with pytest.raises(PairingError):
        pairing_code_create(student=student, by=observer)
    assert not PairingCode.objects.exists()


def test_a_student_at_two_institutions_is_not_possible_so_codes_stay_home(db):
    # Users belong to one institution; a course elsewhere cannot take them (service rule).
    from courses.errors import CourseError
    from courses.services import enrollment_row_upsert

    student = UserFactory()
    with pytest.raises(CourseError):
        enrollment_row_upsert(
            course=CourseFactory(institution=InstitutionFactory()), user=student, type=Role.STUDENT
        )
