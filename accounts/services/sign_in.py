"""Signing in: limits on log-ins and password resets (accounts.throttle counts them), and where
a log-in or a log-out may send the person next."""

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.audit import current_context
from accounts.errors import AttemptsPaused, LoginProofRequired
from accounts.models import (
    AuditAction,
    User,
)
from accounts.throttle import (
    Attempt,
    Check,
    ProofOfWork,
    address_rules,
    every_attempt,
    failure_record,
    limit_from_settings,
    limited_attempt,
)


def login_proof_purpose(username: str) -> str:
    """What a proof of work for a log-in to ``username`` (as typed) is bound to."""
    return f"login:{_login_digest(username.strip().lower())}"


@contextmanager
def login_attempt(*, username: str, proof: str | None) -> Iterator[Attempt]:
    """One log-in to ``username``, for the portal's and the admin's forms; the body checks the
    password, and Django's forms say a wrong one with a ValidationError coded "invalid_login".

    Wrong passwords for one account from one address pause that pair (``AttemptsPaused``): while
    paused, even the right password from there is refused (a guesser could otherwise go on testing
    passwords and learn the right one from the different answer). An address or a network guessing
    many accounts is stopped. An account failing from many addresses is not locked: every log-in
    to it (the right password from anywhere included) must then carry a proof of work
    (``LoginProofRequired``), so that strangers cannot lock a teacher out and a guesser pays for
    every guess. Once a wrong password asked for proofs, ``attempt.status.proof_required`` says so.
    """
    username = username.strip().lower()
    purpose = login_proof_purpose(username)
    with limited_attempt(
        _login_limits(username),
        refused=lambda until: AttemptsPaused(AttemptsPaused.LOGINS, until=until),
        counts=_wrong_passwords,
        on_failure=lambda attempt, error: _count_failed_login(attempt, error, username=username),
        proof=ProofOfWork(
            payload=proof, purpose=purpose, missing=lambda: LoginProofRequired(purpose=purpose)
        ),
    ) as attempt:
        yield attempt


def _is_wrong_password(error: Exception) -> bool:
    return isinstance(error, ValidationError) and error.code == "invalid_login"


def _wrong_passwords(error: Exception | None) -> bool:
    """A wrong password counts; a form's other complaints do not; an error nobody expected leaves
    the attempt counted."""
    if isinstance(error, ValidationError):
        return _is_wrong_password(error)
    return error is not None


def _count_failed_login(attempt: Attempt, error: Exception, *, username: str) -> None:
    if not _is_wrong_password(error):
        return
    institution_id = (
        User.objects.filter(email__iexact=username).values_list("institution_id", flat=True).first()
    )
    failure_record(
        attempt,
        action=AuditAction.LOGIN_FAILED,
        institution=institution_id,
        actor=None,
        details={"login": username[:254]},
        paused=lambda _until: {"what": "log-in", "login": username[:254]},
    )


def _login_digest(username: str) -> str:
    # A digest, so any typed name makes a short key and no e-mail address is stored with it.
    return hashlib.sha256(username.encode()).hexdigest()[:32]


def _login_limits(username: str) -> Check:
    digest = _login_digest(username)
    address = current_context().client_address
    rules = [
        (
            f"login:account:{digest}:hour",
            limit_from_settings("LOGIN_FAILURES_PER_ACCOUNT_PER_HOUR", proof_only=True),
        ),
        *address_rules(
            "login",
            address,
            per_address="LOGIN_FAILURES_PER_ADDRESS_PER_DAY",
            per_network="LOGIN_FAILURES_PER_NETWORK_PER_DAY",
        ),
    ]
    # Without an address (a proxy misconfigured), every such client is one for the account.
    pair = f"login:account:{digest}:address:{address or 'unknown'}"
    rules += [
        (
            f"{pair}:pause",
            limit_from_settings("LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS_PAUSE", pause=True),
        ),
        (f"{pair}:day", limit_from_settings("LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS_PER_DAY")),
    ]
    return Check(rules=tuple(rules))


def password_reset_count() -> None:
    """Count one password-reset request from the client's address, so that nobody can flood
    someone's inbox; past the limit, ``AttemptsPaused`` and no e-mail."""
    address = current_context().client_address
    if not address:
        return
    limits = Check(
        rules=(
            (
                f"reset:address:{address}:day",
                limit_from_settings("PASSWORD_RESETS_PER_ADDRESS_PER_DAY"),
            ),
        )
    )
    with limited_attempt(
        limits,
        refused=lambda until: AttemptsPaused(AttemptsPaused.PASSWORD_RESETS, until=until),
        counts=every_attempt,
    ):
        pass  # requests are limited like failures: each one counts, whatever comes of it


def redirect_target_allowed(*, url: str | None, request: HttpRequest) -> bool:
    """Whether a log-in (with a password or through an identity provider: Django's views and
    allauth's ask this) or a log-out may send the person to ``url`` (its ``next``).

    A path of the portal, or an address on the very host the request came to: never another
    site, nor another institution's host (ALLOWED_HOSTS lists every institution's, so it is no
    test of "ours"). https whenever the request is, and always in production, where a proxy may
    not have said so.
    """
    return url_has_allowed_host_and_scheme(
        url,
        allowed_hosts={request.get_host()},
        require_https=request.is_secure() or not settings.DEBUG,
    )
