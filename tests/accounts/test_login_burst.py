"""A burst of simultaneous wrong passwords for one account, from many networks, cannot get more
guesses without a proof of work than the account's limit allows (each is counted before its
password is checked, so each sees the others)."""

import threading
import time

import pytest
from django.core.exceptions import ValidationError

from accounts.audit import audit_context
from accounts.errors import LoginProofRequired
from accounts.services.sign_in import login_attempt
from tests.pairing.test_concurrency import run_together

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_burst_of_wrong_passwords_from_many_networks_gets_no_more_free_guesses(settings):
    settings.THROTTLE_STORE = "database"
    settings.LOGIN_FAILURES_PER_ACCOUNT_PER_HOUR = (5, 3600)
    tried, lock = [], threading.Lock()

    def guess(index: int) -> None:
        with (
            audit_context(source="web", client_address=f"203.0.{index}.9"),
            login_attempt(username="teacher@example.test", proof=None),
        ):
            with lock:
                tried.append(index)
            time.sleep(0.5)  # checking a password takes a while: all eight are in flight at once
            raise ValidationError("wrong", code="invalid_login")

    results = run_together(8, guess)

    assert len(results) == 8
    # At most the account's five failures are tried without a proof; the rest are asked for one.
    assert len(tried) <= 5
    assert sum(isinstance(result, LoginProofRequired) for result in results) >= 3
