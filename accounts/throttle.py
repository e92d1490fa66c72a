"""Limits on failed attempts (wrong pairing codes, wrong passwords), shared by every app process.

Failures are counted in time buckets, in the database by default or in Redis when the cache is
Redis (accounts.throttle_stores), so two or more app servers enforce one limit. A limit is "at most N failures within a
window"; once reached, every attempt under that key (a right one too, or the pause would leak) is
refused until enough failures have left the window, and the caller is told when that is.

Keys that stand for one guesser (an account, an address, a network) refuse. A key that many
innocent people share (a whole institution, an account's every address) asks for a proof of work
instead (``Limit.proof_only``): refusing there would let a stranger lock everyone out.
"""

import ipaddress
import logging
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property, lru_cache

from django.conf import settings
from django.utils import timezone
from django.utils.translation import ngettext

from accounts.audit import audit_record
from accounts.models import AuditAction
from accounts.proof_of_work import proof_verify
from accounts.throttle_stores import STORE_UNAVAILABLE, counter_store

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    max_failures: int
    window: timedelta
    # A pause lasts a whole window from the failure that reached the limit ("paused for 15
    # minutes"); otherwise attempts are allowed again as soon as old failures leave the window.
    pause: bool = False
    # Past the limit, attempts are not refused but must come with a proof of work.
    proof_only: bool = False
    # Counted once an attempt fails rather than before it is tried (see Check.begin): only for a
    # proof-only limit on a key a whole institution shares, where a burst's few extra attempts
    # without a proof matter less than every attempt writing that one counter twice.
    counted_after: bool = False

    @cached_property
    def bucket(self) -> timedelta:
        # Minute buckets for short windows, hour buckets for a day: at most a few dozen to add up.
        return timedelta(minutes=1) if self.window <= timedelta(hours=2) else timedelta(hours=1)


def limit_from_settings(
    name: str, *, pause: bool = False, proof_only: bool = False, counted_after: bool = False
) -> Limit:
    """``settings.<name>`` is (max failures, window in seconds)."""
    if counted_after and not proof_only:
        raise ValueError("Only a proof-only limit may be counted after the attempt.")
    max_failures, seconds = getattr(settings, name)
    return _limit(int(max_failures), int(seconds), pause, proof_only, counted_after)


@lru_cache(maxsize=64)
def _limit(
    max_failures: int, seconds: int, pause: bool, proof_only: bool, counted_after: bool
) -> Limit:
    return Limit(
        max_failures=max_failures,
        window=timedelta(seconds=seconds),
        pause=pause,
        proof_only=proof_only,
        counted_after=counted_after,
    )


@lru_cache(maxsize=4096)
def network_of(address: str) -> str:
    """The network an address belongs to: its IPv4 /24 or its IPv6 /64.

    One household, phone or server is given a whole IPv6 /64 and may use any address in it, and
    whoever holds one IPv4 address usually holds its neighbours too: counted one by one, such a
    guesser would have addresses to spare. (An IPv4 address written as IPv6 counts as IPv4.)
    """
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 64
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def address_rules(
    prefix: str, address: str | None, *, per_address: str, per_network: str
) -> list[tuple[str, Limit]]:
    """The client's address and its network, each with its own limit (none without an address)."""
    if not address:
        return []
    return [
        (f"{prefix}:address:{address}:day", limit_from_settings(per_address)),
        (f"{prefix}:network:{network_of(address)}:day", limit_from_settings(per_network)),
    ]


def _bucket_start(moment: datetime, size: timedelta) -> datetime:
    seconds = int(size.total_seconds())
    return datetime.fromtimestamp(int(moment.timestamp()) // seconds * seconds, tz=moment.tzinfo)


def _until(
    buckets: list[tuple[datetime, int]], limit: Limit, *, counting_this: bool = False
) -> datetime | None:
    """When attempts may resume under ``limit``, given its buckets in the window; None if now.

    ``counting_this``: the buckets already include the attempt being decided, which may go ahead
    as long as it is at most the limit's last allowed failure.
    """
    threshold = limit.max_failures + (1 if counting_this else 0)
    remaining = sum(count for _start, count in buckets)
    if remaining < threshold:
        return None
    if limit.pause:
        # A window from the failure that reached the limit (its bucket's start, so at most a
        # bucket's length early: "paused for 15 minutes" may end a minute sooner, never later).
        return buckets[-1][0] + limit.window
    for start, count in buckets:
        remaining -= count
        if remaining < threshold:
            return start + limit.bucket + limit.window
    raise AssertionError("unreachable: the loop always brings remaining below the limit")


@dataclass(frozen=True)
class Status:
    refused_until: datetime | None  # attempts are refused until then
    proof_required: bool  # a proof-only limit is reached: attempts need a proof of work


@dataclass(frozen=True)
class Check:
    """A set of (key, limit) pairs checked and counted together, e.g. an account and an address."""

    rules: tuple[tuple[str, Limit], ...]

    def status(self) -> Status:
        """Where the rules stand now, read in one query."""
        if not self.rules:
            return Status(refused_until=None, proof_required=False)
        return self._status(counter_store().counts(self._wanted(timezone.now())), False)

    def _wanted(self, now: datetime) -> list[tuple[str, datetime, timedelta]]:
        return [
            (key, _bucket_start(now - limit.window, limit.bucket), limit.bucket)
            for key, limit in self.rules
        ]

    def _status(
        self, buckets: dict[str, list[tuple[datetime, int]]], counting_this: bool
    ) -> Status:
        times, proof_required = [], False
        for key, limit in self.rules:
            # A limit counted afterwards does not hold the attempt being decided (see begin).
            this = counting_this and not limit.counted_after
            until = _until(buckets[key], limit, counting_this=this)
            if until is None:
                continue
            if limit.proof_only:
                proof_required = True
            else:
                times.append(until)
        return Status(refused_until=max(times) if times else None, proof_required=proof_required)

    def begin(self) -> "Attempt":
        """Start an attempt, counted as a failure before it is tried.

        Counting first is what holds the limit under a burst of simultaneous attempts: each one
        sees the others' counts, so at most the allowed number go ahead (a burst may be refused a
        little early, never let through late). Refused attempts are taken back at once; the caller
        takes back one that succeeds (``Attempt.succeeded``).

        Limits marked ``counted_after`` are the exception: proof-only limits on a key a whole
        institution shares, whose counter every attempt would otherwise write twice. They are
        read here and counted only once an attempt turns out a failure (``Attempt.counted``):
        past one, a burst already under way goes ahead without a proof (at most as many attempts
        as are in flight at once, against a limit of thousands), and the attempts after it need
        one. A proof-only limit on one account (sign-in's) is counted first like any other: a
        burst there would be a burst of free guesses at one person's password.
        """
        now = timezone.now()
        if self.rules:
            # Counted and read back in one round trip (CounterStore.add_and_count).
            status = self._status(
                counter_store().add_and_count(self._entries(now), self._wanted(now)),
                counting_this=True,
            )
        else:
            status = Status(refused_until=None, proof_required=False)
        if status.refused_until is not None:
            self._add(now, -1)
        return Attempt(
            check=self,
            at=now,
            refused_until=status.refused_until,
            proof_required=status.proof_required,
        )

    def _entries(self, moment: datetime, *, after: bool = False) -> list:
        """The counters an attempt at ``moment`` counts first (or, ``after``, once it fails)."""
        return [
            (key, _bucket_start(moment, limit.bucket))
            for key, limit in self.rules
            if limit.counted_after == after
        ]

    def _add(self, moment: datetime, amount: int, *, after: bool = False) -> None:
        entries = self._entries(moment, after=after)
        if entries:
            counter_store().add(entries, amount)


@dataclass
class Attempt:
    check: Check
    at: datetime
    refused_until: datetime | None  # set when the attempt may not go ahead at all
    proof_required: bool = False  # it may go ahead only with a proof of work
    status: Status | None = None  # where the limits stood once it failed

    def succeeded(self) -> None:
        """It was not a failure after all (or was not tried): take back its count."""
        self.check._add(self.at, -1)

    def counted(self) -> None:
        """It counts (a failure, usually): the limits read but not counted when it began
        (``Limit.counted_after``) count it now."""
        self.check._add(self.at, 1, after=True)

    def failed(self) -> Status:
        """It was a failure (already counted): where the limits stand now."""
        self.status = self.check.status()
        return self.status


def failure_record(
    attempt: Attempt,
    *,
    action: str,
    institution: int | None,
    actor,
    details: dict | None = None,
    paused: Callable[[datetime], dict],
) -> Status:
    """Record a failed attempt as ``action`` in the audit trail, then the pause it started, if
    it did (``paused(until)``: the pause's details); returns where the limits stand now."""
    audit_record(action=action, institution=institution, actor=actor, details=details)
    status = attempt.failed()
    if status.refused_until is not None:
        audit_record(
            action=AuditAction.PAUSED,
            institution=institution,
            actor=actor,
            details=paused(status.refused_until),
        )
    return status


@dataclass(frozen=True)
class ProofOfWork:
    """What a proof-only limit asks of an attempt past it: a valid proof made for ``purpose``."""

    payload: str | None
    purpose: str
    missing: Callable[[], Exception]  # raised, and the attempt not counted, without one


def failures(error: Exception | None) -> bool:
    """Count an attempt that raised (whatever the error): the usual rule."""
    return error is not None


def every_attempt(error: Exception | None) -> bool:
    """Count every attempt, done or not (requests limited like failures: resets, codes made)."""
    return True


def successes(error: Exception | None) -> bool:
    """Count only what was done (sign-ups)."""
    return error is None


@contextmanager
def limited_attempt(
    check: Check,
    *,
    refused: Callable[[datetime], Exception],
    counts: Callable[[Exception | None], bool] = failures,
    on_failure: Callable[[Attempt, Exception], None] | None = None,
    proof: ProofOfWork | None = None,
) -> Iterator[Attempt]:
    """One attempt under ``check``'s limits, the body being the attempt itself.

    The attempt is counted before the body runs (``Check.begin``). Past a refusing limit the body
    does not run: ``refused(until)`` is raised. Past a proof-only limit it runs only with a valid
    ``proof`` (else ``proof.missing()``, uncounted: nothing was tried). Afterwards the count stays
    where ``counts(error)`` says so (``error`` is None when the body returned), and is taken back
    otherwise; ``on_failure`` hears of each error that counted, before it goes on up, and may ask
    ``attempt.failed()`` where the limits stand now (to record a pause, or to ask for proofs).
    """
    attempt = check.begin()
    if attempt.refused_until is not None:
        raise refused(attempt.refused_until)
    if (
        proof is not None
        and attempt.proof_required
        and not proof_verify(payload=proof.payload, purpose=proof.purpose)
    ):
        attempt.succeeded()  # not tried, so not a guess
        raise proof.missing()
    try:
        yield attempt
    except Exception as error:
        if not counts(error):
            attempt.succeeded()
        else:
            attempt.counted()
            if on_failure is not None:
                on_failure(attempt, error)
        raise
    _settle(attempt, counts=counts(None))


def _settle(attempt: Attempt, *, counts: bool) -> None:
    """Count or take back an attempt that went through. It did happen (a link made, a password
    right), so should the counters' server be away by now, the person is not told otherwise: the
    count stays as it was (a failure counted first stays counted), and the log says so."""
    try:
        if counts:
            attempt.counted()
        else:
            attempt.succeeded()
    except STORE_UNAVAILABLE:
        logger.warning("An attempt that went through could not be settled in its counters")


def minutes_until(moment: datetime) -> int:
    return max(1, math.ceil((moment - timezone.now()).total_seconds() / 60))


def wait_in_words(moment: datetime) -> str:
    """ "in 14 minutes", "in about 3 hours", as a parent would say it."""
    minutes = minutes_until(moment)
    if minutes < 90:
        return ngettext("in %(count)d minute", "in %(count)d minutes", minutes) % {"count": minutes}
    hours = round(minutes / 60)
    return ngettext("in about %(count)d hour", "in about %(count)d hours", hours) % {"count": hours}
