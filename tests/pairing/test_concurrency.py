"""Races between requests, on real concurrent PostgreSQL connections (one per thread)."""

import threading
import time

import pytest
from django.db import connection, transaction

from accounts.roles import Role
from courses.models import Enrollment
from pairing.errors import PairingError
from pairing.models import ObserverLink, ObserverLinkSource, PairingCode, PairingCodeState
from pairing.services import (
    enrollment_upsert,
    observer_link_create,
    pairing_code_create,
    pairing_code_redeem,
    pairing_codes_create_for_course,
)
from tests.factories import CourseFactory, EnrollmentFactory, InstitutionFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(count: int, work) -> list:
    """Run ``work(i)`` in ``count`` threads released at the same instant; collect results or errors."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def runner(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as error:  # noqa: BLE001 - the test inspects what each thread met
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def school():
    institution = InstitutionFactory()
    course = CourseFactory(institution=institution)
    student = EnrollmentFactory(course=course, type=Role.STUDENT).user
    return institution, course, student


def test_one_code_redeemed_by_twenty_observers_at_once_links_exactly_one(school):
    institution, _course, student = school
    code = pairing_code_create(student=student, by=student).code
    observers = [UserFactory(institution=institution) for _ in range(20)]

    results = run_together(20, lambda i: pairing_code_redeem(code=code, observer=observers[i]).link)

    winners = [r for r in results if isinstance(r, ObserverLink)]
    losers = [r for r in results if isinstance(r, PairingError)]
    assert len(winners) == 1
    assert len(losers) == 19
    assert {e.message for e in losers} == {PairingError.INVALID_CODE}
    assert ObserverLink.objects.count() == 1
    assert PairingCode.objects.get().used_by == winners[0].observer


def test_ten_simultaneous_generations_never_leave_more_than_five_active_codes(school):
    _institution, _course, student = school
    results = run_together(10, lambda _i: pairing_code_create(student=student, by=student))

    assert not [r for r in results if isinstance(r, Exception)]
    assert PairingCode.objects.filter(student=student).count() == 10
    assert PairingCode.objects.filter(student=student, state=PairingCodeState.ACTIVE).count() == 5
    assert PairingCode.objects.filter(student=student, state=PairingCodeState.REPLACED).count() == 5


def test_exports_racing_single_codes_keep_the_limit_and_do_not_deadlock(school):
    institution, course, student = school
    classmates = [EnrollmentFactory(course=course, type=Role.STUDENT).user for _ in range(5)]
    admin = UserFactory(institution=institution, is_account_admin=True)

    def work(i: int):
        if i % 2:
            return pairing_codes_create_for_course(course=course, by=admin)
        return pairing_code_create(student=[student, *classmates][i % 6], by=admin)

    results = run_together(8, work)

    assert not [r for r in results if isinstance(r, Exception)]
    for person in [student, *classmates]:
        assert (
            PairingCode.objects.filter(student=person, state=PairingCodeState.ACTIVE).count() <= 5
        )


def test_a_burst_of_simultaneous_wrong_codes_cannot_get_past_the_limit(school, settings):
    from pairing.services import PairingPaused

    settings.THROTTLE_STORE = "database"
    institution, _course, _student = school
    guesser = UserFactory(institution=institution)

    results = run_together(12, lambda _i: pairing_code_redeem(code="zzzzzz", observer=guesser))

    wrong = [r for r in results if isinstance(r, PairingError) and not isinstance(r, PairingPaused)]
    paused = [r for r in results if isinstance(r, PairingPaused)]
    assert len(wrong) + len(paused) == 12
    # Counted before they are tried, at most the five allowed guesses are actually tried. (If all
    # twelve are counted before any is checked, all are refused: early, never late.)
    assert len(wrong) <= 5


def hold_open_then_race(first, second) -> list:
    """Run ``first`` in a transaction kept open while ``second`` starts on another connection;
    commit ``first`` half a second later. Without a lock between them, ``second`` finishes in
    that half second without seeing ``first``'s uncommitted rows, and each misses the other."""
    first_done, release = threading.Event(), threading.Event()
    errors: list = []

    def run_first() -> None:
        try:
            with transaction.atomic():
                first()
                first_done.set()
                release.wait(timeout=10)
        except Exception as error:  # noqa: BLE001 - the test reports what each thread met
            errors.append(error)
            first_done.set()
        finally:
            connection.close()

    def run_second() -> None:
        try:
            first_done.wait(timeout=10)
            second()
        except Exception as error:  # noqa: BLE001 - as above
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for thread in threads:
        thread.start()
    first_done.wait(timeout=10)
    time.sleep(0.5)
    release.set()
    for thread in threads:
        thread.join(timeout=30)
    return errors


def observer_enrollment_in(course, observer, student) -> bool:
    return Enrollment.objects.filter(
        course=course, user=observer, type=Role.OBSERVER, associated_user=student
    ).exists()


def test_a_link_made_while_the_student_is_being_enrolled_reaches_the_new_course(school):
    institution, _course, student = school
    observer = UserFactory(institution=institution)
    new_course = CourseFactory(institution=institution)

    errors = hold_open_then_race(
        lambda: enrollment_upsert(course=new_course, user=student, type=Role.STUDENT),
        lambda: observer_link_create(
            observer=observer, student=student, by=None, source=ObserverLinkSource.SIS_IMPORT
        ),
    )

    assert errors == []
    assert observer_enrollment_in(new_course, observer, student)


def test_an_enrollment_made_while_a_link_is_being_made_reaches_the_observer(school):
    institution, _course, student = school
    observer = UserFactory(institution=institution)
    new_course = CourseFactory(institution=institution)

    errors = hold_open_then_race(
        lambda: observer_link_create(
            observer=observer, student=student, by=None, source=ObserverLinkSource.SIS_IMPORT
        ),
        lambda: enrollment_upsert(course=new_course, user=student, type=Role.STUDENT),
    )

    assert errors == []
    assert observer_enrollment_in(new_course, observer, student)


def test_redemptions_racing_new_codes_for_the_same_student_never_deadlock(school):
    institution, _course, student = school
    observers = [UserFactory(institution=institution) for _ in range(6)]
    codes = [pairing_code_create(student=student, by=student).code for _ in range(5)]

    def work(i: int):
        # New codes retire the oldest while observers spend them: both touch the same code rows.
        if i % 2:
            return pairing_code_create(student=student, by=student)
        return pairing_code_redeem(code=codes[i // 2], observer=observers[i // 2])

    results = run_together(10, work)

    unexpected = [
        r for r in results if isinstance(r, Exception) and not isinstance(r, PairingError)
    ]
    assert unexpected == []  # a deadlock would be an OperationalError here
    assert PairingCode.objects.filter(student=student, state=PairingCodeState.ACTIVE).count() <= 5
