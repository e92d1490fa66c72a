"""Spending a code: limits on guessing, the redemption itself, and a parent's sign-up with a code."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.audit import current_context
from accounts.errors import AccountError
from accounts.models import AuditAction, Institution, SelfRegistration, User
from accounts.proof_of_work import challenge_json
from accounts.services import user_create
from accounts.throttle import (
    Attempt,
    Check,
    Limit,
    ProofOfWork,
    address_rules,
    failure_record,
    limit_from_settings,
    limited_attempt,
    successes,
    wait_in_words,
)
from pairing.alerts import guessing_alert_owe
from pairing.code_format import code_hash, code_normalize
from pairing.errors import PairingError
from pairing.models import ObserverLinkSource, PairingCode
from pairing.services.spend import Redemption, code_spend

# --- Redeeming codes ------------------------------------------------------------------------------


# Lazy: formatted (PairingPaused) in the language of the request, English on the API.
SIGN_UPS_PAUSED = _(
    "Many accounts were made from your network today, so sign-up is paused here for now. "
    "Please try again {wait}, or ask the school office to make your account."
)
WRONG_CODES_PAUSED = _(
    "For the students' safety, entering pairing codes is paused after too many wrong codes. "
    "Please try again {wait}."
)


PROOF_REQUIRED = _(
    "Many wrong pairing codes were entered at this school today, so your browser is asked to "
    "do a moment's work to show it is not guessing. Please wait for the check below to finish, "
    "then send the form again."
)


class PairingPaused(PairingError):
    """Too many attempts: every attempt, right or wrong, waits until ``until``."""

    def __init__(self, until, *, reason: str | None = None) -> None:
        super().__init__((reason or WRONG_CODES_PAUSED).format(wait=wait_in_words(until)))
        self.until = until


class ProofOfWorkRequired(PairingError):
    """Guessing is rife at the institution: this attempt needs a proof of work for ``purpose``."""

    def __init__(self, *, purpose: str) -> None:
        super().__init__(PROOF_REQUIRED)
        self.purpose = purpose


def redemption_purpose(*, institution_id: int, sign_up: bool = False) -> str:
    """What a proof of work for a redemption (or a sign-up) at the institution is bound to."""
    return f"{'sign-up' if sign_up else 'redeem'}:{institution_id}"


def _institution_rule(institution_id: int) -> tuple[str, Limit]:
    return (
        f"redeem:institution:{institution_id}:day",
        limit_from_settings(
            "PAIRING_FAILURES_PER_INSTITUTION_PER_DAY", proof_only=True, counted_after=True
        ),
    )


def redemption_proof_purpose(*, institution_id: int | None, sign_up: bool = False) -> str | None:
    """The purpose a proof of work must be made for if the institution asks for one now, else
    None: pages show the widget straight away then, so that parents send the form only once."""
    if institution_id is None:
        return None
    if not Check(rules=(_institution_rule(institution_id),)).status().proof_required:
        return None
    return redemption_purpose(institution_id=institution_id, sign_up=sign_up)


def redemption_challenge(*, institution_id: int | None, sign_up: bool = False) -> str | None:
    """The proof-of-work challenge (JSON) a pairing form shows while its institution asks for
    proofs of work, else None."""
    purpose = redemption_proof_purpose(institution_id=institution_id, sign_up=sign_up)
    return challenge_json(purpose=purpose) if purpose else None


def _code_is_live(*, code: str, institution_id: int) -> bool:
    """Whether ``code`` is an active, unexpired code of a student of the institution (no lock)."""
    normalized = code_normalize(code)
    return (
        normalized is not None
        and PairingCode.objects.live()
        .filter(code_hash=code_hash(normalized), student__institution_id=institution_id)
        .exists()
    )


def _redemption_limits(*, observer: User | None, institution_id: int | None) -> Check:
    """The account, the client's address and network, and the institution, each with its limit.

    The institution's limit refuses nobody: past it, every attempt there needs a proof of work.
    """
    rules = []
    if observer is not None and observer.pk:
        rules += [
            (
                f"redeem:account:{observer.pk}:pause",
                limit_from_settings("PAIRING_FAILURES_PER_ACCOUNT_PAUSE", pause=True),
            ),
            (
                f"redeem:account:{observer.pk}:day",
                limit_from_settings("PAIRING_FAILURES_PER_ACCOUNT_PER_DAY"),
            ),
        ]
    rules += address_rules(
        "redeem",
        current_context().client_address,
        per_address="PAIRING_FAILURES_PER_ADDRESS_PER_DAY",
        per_network="PAIRING_FAILURES_PER_NETWORK_PER_DAY",
    )
    if institution_id is not None:
        rules.append(_institution_rule(institution_id))
    return Check(rules=tuple(rules))


def _is_wrong_code(error: Exception) -> bool:
    return isinstance(error, PairingError) and error.message == PairingError.INVALID_CODE


def _wrong_codes(error: Exception | None) -> bool:
    """What counts against the limits: a wrong code. A refusal for another reason was no guess;
    an error nobody expected leaves the attempt counted."""
    if isinstance(error, PairingError):
        return _is_wrong_code(error)
    return error is not None


@contextmanager
def _redemption_attempt(
    *,
    observer: User | None,
    institution_id: int | None,
    proof: str | None,
    sign_up: bool = False,
    counts: Callable[[Exception | None], bool] = _wrong_codes,
) -> Iterator[Attempt]:
    """One redemption (or sign-up) under the limits on guessing: refused with ``PairingPaused``
    past a limit; past the institution's, it goes ahead only with a fresh ``proof`` of work (else
    ``ProofOfWorkRequired``, uncounted). A wrong code is recorded, and may pause the guesser."""
    purpose = redemption_purpose(institution_id=institution_id, sign_up=sign_up)
    with limited_attempt(
        _redemption_limits(observer=observer, institution_id=institution_id),
        refused=PairingPaused,
        counts=counts,
        on_failure=lambda attempt, error: _count_failed_redemption(
            attempt, error, observer=observer, institution_id=institution_id
        ),
        proof=ProofOfWork(
            payload=proof, purpose=purpose, missing=lambda: ProofOfWorkRequired(purpose=purpose)
        ),
    ) as attempt:
        yield attempt


def _count_failed_redemption(
    attempt: Attempt, error: Exception, *, observer: User | None, institution_id: int | None
) -> None:
    """Record a wrong code, kept outside any transaction the failure rolls back (other errors
    that count are not guesses to record)."""
    if not _is_wrong_code(error):
        return
    status = failure_record(
        attempt,
        action=AuditAction.CODE_FAILED,
        institution=institution_id,
        actor=observer,
        paused=lambda until: {"what": "pairing codes", "until": until.isoformat()},
    )
    if status.proof_required and institution_id is not None:
        guessing_alert_owe(institution_id=institution_id)


def pairing_code_redeem(
    *,
    code: str,
    observer: User,
    source: ObserverLinkSource = ObserverLinkSource.PAIRING_CODE,
    keep_code_if_linked: bool = True,
    proof: str | None = None,
) -> Redemption:
    """Link ``observer`` to the student whose code this is, and spend the code.

    Unknown, expired, used, malformed and other institutions' codes all fail alike, and each such
    failure counts against the observer, their address (from the request) and their institution;
    past a limit every attempt is refused with ``PairingPaused`` until the time it names. Past the
    institution's limit, an attempt without a fresh ``proof`` of work raises ``ProofOfWorkRequired``
    (and is not counted). While the institution's self-registration is None, every redemption is
    refused with ``REDEMPTION_OFF`` before the code is looked at (nothing is counted or spent: the
    code works again once self-registration is back on, as seeds 001 and 004 say codes exist only
    with self-registration). For a
    student the observer already observes, the existing link is returned and, as Canvas's pages do,
    the code is kept for someone else; Canvas's observees API spends it all the same
    (``keep_code_if_linked=False``).
    """
    _refuse_while_pairing_is_off(observer=observer)
    with _redemption_attempt(
        observer=observer, institution_id=observer.institution_id, proof=proof
    ):
        return _redeem(
            code=code, observer=observer, source=source, keep_code_if_linked=keep_code_if_linked
        )


def _refuse_while_pairing_is_off(*, observer: User) -> None:
    """Refuse (``PairingError.REDEMPTION_OFF``) while the observer's institution has
    self-registration None: the one rule every way of spending a code follows (the Observing
    page, the API; sign-up is closed then anyway)."""
    institution = observer.institution
    if institution is None or not institution.pairing_enabled:
        raise PairingError(PairingError.REDEMPTION_OFF)


@transaction.atomic
def _redeem(
    *, code: str, observer: User, source: ObserverLinkSource, keep_code_if_linked: bool
) -> Redemption:
    """Spend the code for ``observer`` (``pairing.services.spend``: the student's row locked, then
    one statement for every write), in a transaction of its own or the caller's."""
    normalized = code_normalize(code)
    if normalized is None:
        raise PairingError(PairingError.INVALID_CODE)
    return code_spend(
        code_hash=code_hash(normalized),
        observer=observer,
        source=source,
        keep_code_if_linked=keep_code_if_linked,
    )


def observer_sign_up(
    *,
    institution: Institution | None,
    name: str,
    email: str,
    password: str,
    code: str,
    proof: str | None = None,
) -> User:
    """A parent makes an account and links to one student, in one transaction or not at all.

    Sign-ups count against the client's address (a few a day), and a wrong code counts against
    the address, its network and the institution like any other; past the institution's limit a
    sign-up needs a fresh ``proof`` of work, as a redemption does.
    """
    if institution is None or institution.self_registration not in (
        SelfRegistration.OBSERVER,
        SelfRegistration.ALL,
    ):
        raise PairingError(PairingError.SELF_REGISTRATION_OFF)
    address = current_context().client_address
    sign_ups = limited_attempt(
        Check(
            rules=(
                (
                    f"signup:address:{address}:day",
                    limit_from_settings("SIGN_UPS_PER_ADDRESS_PER_DAY"),
                ),
            )
            if address
            else ()
        ),
        refused=lambda until: PairingPaused(until, reason=SIGN_UPS_PAUSED),
        counts=successes,
    )
    redemption = _redemption_attempt(
        observer=None,
        institution_id=institution.pk,
        proof=proof,
        sign_up=True,
        counts=_wrong_codes_or_taken_emails,
    )
    with sign_ups, redemption:
        if not _code_is_live(code=code, institution_id=institution.pk):
            # The code first: without a real code nobody learns whether an e-mail has an account.
            raise PairingError(PairingError.INVALID_CODE)
        with transaction.atomic():
            observer = user_create(
                institution=institution, email=email, name=name, password=password
            )
            _redeem(
                code=code,
                observer=observer,
                source=ObserverLinkSource.SIGN_UP,
                keep_code_if_linked=True,
            )
    return observer


def _wrong_codes_or_taken_emails(error: Exception | None) -> bool:
    """Probing which e-mails have accounts costs attempts too; other form mistakes do not."""
    if isinstance(error, AccountError):
        return error.message == AccountError.EMAIL_TAKEN
    return _wrong_codes(error)
