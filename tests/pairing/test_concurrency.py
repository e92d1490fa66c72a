"""Races between requests, on real concurrent PostgreSQL connections (one per thread)."""

import threading

import pytest
from django.db import connection

from accounts.roles import Role
from pairing.errors import PairingError
from pairing.models import ObserverLink, PairingCode, PairingCodeState
from pairing.services import (
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
    # Counted before they are tried, at most the five allowed guesses are actually tried.
    assert 1 <= len(wrong) <= 5
