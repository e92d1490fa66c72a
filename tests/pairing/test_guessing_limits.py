"""Guessing pairing codes is hopeless: wrong codes pause the account, the address and its network;
an institution under attack asks everyone for a proof of work instead of turning parents away."""

import math
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import AuditAction, AuditEvent, ThrottleBucket
from pairing.code_format import ALPHABET, CODE_LENGTH
from pairing.models import ObserverLink
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


def test_a_school_network_goes_on_pairing_while_one_address_there_guesses(
    client, institution, student
):
    guesser = "198.51.100.7"  # stopped at 50 a day; its /24 holds four times as many
    for _ in range(settings.PAIRING_FAILURES_PER_ADDRESS_PER_DAY[0] // 5):
        client.force_login(UserFactory(institution=institution))  # each pauses after 5
        wrong(client, 5, REMOTE_ADDR=guesser)
    parent = UserFactory(institution=institution)
    client.force_login(parent)
    assert (
        "paused"
        in client.post(OBSERVEES, {"code": new_code(student)}, REMOTE_ADDR=guesser).content.decode()
    )
    client.post(OBSERVEES, {"code": new_code(student)}, REMOTE_ADDR="198.51.100.8")
    assert ObserverLink.objects.filter(observer=parent).exists()


def test_an_ipv4_network_fails_at_most_its_limit_a_day_whatever_the_addresses(
    client, institution, student, settings
):
    settings.PAIRING_FAILURES_PER_NETWORK_PER_DAY = (6, 24 * 3600)
    for host in range(1, 7):
        client.force_login(UserFactory(institution=institution))
        wrong(client, 1, REMOTE_ADDR=f"198.51.100.{host}")
    client.force_login(UserFactory(institution=institution))
    page = client.post(
        OBSERVEES, {"code": new_code(student)}, REMOTE_ADDR="198.51.100.200"
    ).content.decode()
    assert "paused" in page
    client.post(OBSERVEES, {"code": new_code(student)}, REMOTE_ADDR="198.51.101.1")
    assert ObserverLink.objects.count() == 1  # the next /24 is another network


def test_an_ipv6_guesser_rotating_addresses_in_one_64_is_stopped(client, institution, student):
    # Without an account, through sign-up: every wrong code from a new address of one /64.
    url = reverse("observer_sign_up")
    data = {
        "name": "Guesser",
        "email": "guess@example.org",
        "password": "a-long-family-passphrase",
        "password_confirmation": "a-long-family-passphrase",
    }
    limit = settings.PAIRING_FAILURES_PER_NETWORK_PER_DAY[0]
    for host in range(1, limit + 1):
        page = client.post(
            url, {**data, "code": "zzzzzz"}, REMOTE_ADDR=f"2001:db8:7:7::{host:x}"
        ).content.decode()
        assert "Invalid pairing code" in page
    page = client.post(
        url, {**data, "code": new_code(student)}, REMOTE_ADDR="2001:db8:7:7:ffff:1:2:3"
    ).content.decode()
    assert "paused" in page
    assert not ObserverLink.objects.exists()  # a right code is refused there too
    response = client.post(url, {**data, "code": new_code(student)}, REMOTE_ADDR="2001:db8:7:8::1")
    assert response.status_code == 302  # the next /64 is someone else


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


def test_the_readme_gives_the_odds_the_settings_make():
    # The figures the README gives, from the settings: each wrong guess is a failure, and every
    # guess hits one of 10,000 live codes among ALPHABET ** CODE_LENGTH with probability p.
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    odds = guessing_odds()
    assert f"**{odds['address']:.2f} %**" in readme
    assert f"**{odds['network']:.1f} %**" in readme
    assert f"**{odds['botnet_days']:.0f} days**" in readme
    assert odds["address"] < 1  # one address: below one percent a year


def guessing_odds() -> dict[str, float]:
    p = 10_000 / len(ALPHABET) ** CODE_LENGTH

    def within_a_year(per_day: int) -> float:
        return 100 * (1 - math.exp(per_day * 365 * math.log1p(-p)))

    network_per_day = settings.PAIRING_FAILURES_PER_NETWORK_PER_DAY[0]
    botnet_per_day = 1000 * network_per_day
    return {
        "address": within_a_year(settings.PAIRING_FAILURES_PER_ADDRESS_PER_DAY[0]),
        "network": within_a_year(network_per_day),
        # A botnet of 1,000 networks: the days until its chance of a hit reaches one half.
        "botnet_days": math.log(2) / -(botnet_per_day * math.log1p(-p)),
    }
