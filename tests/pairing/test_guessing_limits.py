"""Guessing pairing codes is hopeless: wrong codes pause the account, the address, the institution."""

import math
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import AuditAction, AuditEvent, ThrottleBucket
from pairing.codes import ALPHABET, CODE_LENGTH
from pairing.errors import PairingError
from pairing.models import ObserverLink
from pairing.services import PairingPaused, pairing_code_redeem
from tests.factories import UserFactory
from tests.pairing.helpers import new_code

OBSERVEES = reverse("observees")


@pytest.fixture(autouse=True)
def _database_counters(settings):
    """These tests move time forward by editing the counters' rows, so they keep them in the
    database even where CACHE_URL names Redis (tests/test_shared_limits.py covers Redis)."""
    settings.THROTTLE_STORE = "database"


def wrong(client, times: int, **extra) -> None:
    for _ in range(times):
        response = client.post(OBSERVEES, {"code": "zzzzzz"}, **extra)
        assert response.status_code == 200


def age_failures(by: timedelta) -> None:
    """Let time pass for the counters (they live in the database in these tests).

    Shifted buckets may land on each other's times, so they are merged and written afresh.
    """
    merged: dict[tuple[str, object], int] = {}
    for bucket in ThrottleBucket.objects.all():
        key = (bucket.key, bucket.bucket_start - by)
        merged[key] = merged.get(key, 0) + bucket.count
    ThrottleBucket.objects.all().delete()
    ThrottleBucket.objects.bulk_create(
        ThrottleBucket(key=key, bucket_start=start, count=count)
        for (key, start), count in merged.items()
    )


def test_five_wrong_codes_pause_the_account_for_fifteen_minutes(client, student, observer):
    client.force_login(observer)
    wrong(client, 5)
    page = client.post(OBSERVEES, {"code": new_code(student)}).content.decode()
    assert "entering pairing codes is paused after too many wrong codes" in page
    assert "Please try again in 15 minutes." in page
    assert not ObserverLink.objects.exists()  # the right code is refused too
    assert AuditEvent.objects.filter(action=AuditAction.PAUSED, actor=observer).count() == 1


def test_four_wrong_codes_do_not(client, student, observer):
    client.force_login(observer)
    wrong(client, 4)
    client.post(OBSERVEES, {"code": new_code(student)})
    assert ObserverLink.objects.filter(observer=observer).exists()


def test_the_pause_ends_by_itself(client, student, observer):
    client.force_login(observer)
    wrong(client, 5)
    age_failures(timedelta(minutes=16))
    client.post(OBSERVEES, {"code": new_code(student)})
    assert ObserverLink.objects.filter(observer=observer).exists()


def test_attempts_during_a_pause_do_not_extend_it(client, observer):
    client.force_login(observer)
    wrong(client, 5)
    wrong(client, 10)
    assert (
        sum(ThrottleBucket.objects.filter(key__contains=":pause").values_list("count", flat=True))
        == 5
    )


def test_an_account_fails_at_most_twenty_times_a_day(client, student, observer):
    client.force_login(observer)
    for _ in range(4):
        wrong(client, 5)
        age_failures(timedelta(minutes=16))
    page = client.post(OBSERVEES, {"code": new_code(student)}).content.decode()
    assert "paused" in page
    assert "Please try again in about" in page


def test_an_address_fails_at_most_fifty_times_a_day_whatever_the_accounts(
    client, institution, student, settings
):
    settings.PAIRING_FAILURES_PER_ADDRESS_PER_DAY = (6, 24 * 3600)
    for _ in range(3):
        client.force_login(UserFactory(institution=institution))
        wrong(client, 2, REMOTE_ADDR="198.51.100.7")
    fresh = UserFactory(institution=institution)
    client.force_login(fresh)
    page = client.post(
        OBSERVEES, {"code": new_code(student)}, REMOTE_ADDR="198.51.100.7"
    ).content.decode()
    assert "paused" in page
    client.post(OBSERVEES, {"code": new_code(student)}, REMOTE_ADDR="198.51.100.8")
    assert ObserverLink.objects.filter(observer=fresh).exists()


def test_the_whole_institution_is_limited_too(institution, student, settings):
    settings.PAIRING_FAILURES_PER_INSTITUTION_PER_DAY = (3, 24 * 3600)
    for _ in range(3):
        with pytest.raises(PairingError):
            pairing_code_redeem(code="zzzzzz", observer=UserFactory(institution=institution))
    with pytest.raises(PairingPaused):
        pairing_code_redeem(code=new_code(student), observer=UserFactory(institution=institution))


def test_sign_ups_are_limited_per_address(client, institution, course, settings):
    from tests.factories import EnrollmentFactory

    settings.SIGN_UPS_PER_ADDRESS_PER_DAY = (2, 24 * 3600)
    url = reverse("observer_sign_up")
    for number in range(3):
        kid = EnrollmentFactory(course=course).user
        client.logout()
        response = client.post(
            url,
            {
                "name": f"Parent {number}",
                "email": f"parent{number}@example.org",
                "password": "a-long-family-passphrase",
                "password_confirmation": "a-long-family-passphrase",
                "code": new_code(kid),
            },
        )
        if number < 2:
            assert response.status_code == 302
        else:
            assert "paused" in response.content.decode()
    assert ObserverLink.objects.count() == 2


def test_wrong_codes_at_sign_up_count_against_the_address(client, institution, student):
    url = reverse("observer_sign_up")
    data = {
        "name": "Guesser",
        "email": "guess@example.org",
        "password": "a-long-family-passphrase",
        "password_confirmation": "a-long-family-passphrase",
        "code": "zzzzzz",
    }
    for _ in range(settings.PAIRING_FAILURES_PER_ADDRESS_PER_DAY[0]):
        client.post(url, data, REMOTE_ADDR="192.0.2.44")
    response = client.post(url, {**data, "code": new_code(student)}, REMOTE_ADDR="192.0.2.44")
    assert "paused" in response.content.decode()


def test_the_api_answers_429_with_json_and_retry_after(client, student, observer):
    from accounts.services import api_token_create

    token = api_token_create(user=observer, purpose="t").token
    url = f"/api/v1/users/{observer.pk}/observees"
    for _ in range(5):
        response = client.post(
            url, {"pairing_code": "zzzzzz"}, HTTP_AUTHORIZATION=f"Bearer {token}"
        )
        assert response.status_code == 422
    response = client.post(
        url, {"pairing_code": new_code(student)}, HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert "paused" in response.json()["errors"][0]["message"]
    assert 14 * 60 <= int(response["Retry-After"]) <= 15 * 60


def test_failed_logins_pause_the_account_even_for_the_right_password(client, student):
    from tests.factories import PASSWORD

    for _ in range(5):
        client.post(reverse("login"), {"username": student.email, "password": "wrong"})
    response = client.post(reverse("login"), {"username": student.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "logging in is paused" in response.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).count() == 5


def test_the_odds_of_guessing_any_of_10000_codes_from_one_address_in_a_year_stay_below_one_percent():
    # The figure the README gives: each wrong guess is a failure, and one address may fail
    # PAIRING_FAILURES_PER_ADDRESS_PER_DAY times a day; every guess hits one of 10,000 live codes
    # among ALPHABET ** CODE_LENGTH possible ones with probability p.
    guesses_per_year = settings.PAIRING_FAILURES_PER_ADDRESS_PER_DAY[0] * 365
    p = 10_000 / len(ALPHABET) ** CODE_LENGTH
    odds = 1 - math.exp(guesses_per_year * math.log1p(-p))
    assert round(odds * 100, 2) == 0.59
    assert odds < 0.01
