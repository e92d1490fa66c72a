"""Limits on failed attempts (wrong pairing codes, wrong passwords), shared by every app process.

Failures are counted in time buckets, in the database by default or in Redis when the cache is
Redis, so two or more app servers enforce one limit. A limit is "at most N failures within a
window"; once reached, every attempt (a right one too, or the pause would leak) is refused until
enough failures have left the window, and the caller is told when that is.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from accounts.models import ThrottleBucket

KEEP_BUCKETS = timedelta(days=2)


@dataclass(frozen=True)
class Limit:
    max_failures: int
    window: timedelta
    # A pause lasts a whole window from the failure that reached the limit ("paused for 15
    # minutes"); otherwise attempts are allowed again as soon as old failures leave the window.
    pause: bool = False

    @property
    def bucket(self) -> timedelta:
        # Minute buckets for short windows, hour buckets for a day: at most a few dozen to add up.
        return timedelta(minutes=1) if self.window <= timedelta(hours=2) else timedelta(hours=1)


def limit_from_settings(name: str, *, pause: bool = False) -> Limit:
    """``settings.<name>`` is (max failures, window in seconds)."""
    max_failures, seconds = getattr(settings, name)
    return Limit(
        max_failures=int(max_failures), window=timedelta(seconds=int(seconds)), pause=pause
    )


def _bucket_start(moment: datetime, size: timedelta) -> datetime:
    seconds = int(size.total_seconds())
    return datetime.fromtimestamp(int(moment.timestamp()) // seconds * seconds, tz=moment.tzinfo)


class CounterStore(Protocol):
    def add(self, key: str, bucket_start: datetime) -> None: ...

    def counts(self, key: str, since: datetime) -> list[tuple[datetime, int]]: ...


class DatabaseStore:
    """Counters in PostgreSQL: an atomic upsert, so concurrent failures are never lost."""

    def add(self, key: str, bucket_start: datetime) -> None:
        table = ThrottleBucket._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {table} (key, bucket_start, count) VALUES (%s, %s, 1)
                ON CONFLICT ON CONSTRAINT throttle_bucket_unique
                DO UPDATE SET count = {table}.count + 1
                """,  # noqa: S608 - the table name is ours; every value is a parameter
                [key, bucket_start],
            )
        ThrottleBucket.objects.filter(
            key=key, bucket_start__lt=timezone.now() - KEEP_BUCKETS
        ).delete()

    def counts(self, key: str, since: datetime) -> list[tuple[datetime, int]]:
        return list(
            ThrottleBucket.objects.filter(key=key, bucket_start__gte=since)
            .order_by("bucket_start")
            .values_list("bucket_start", "count")
        )


class CacheStore:
    """Counters in the cache (Redis): INCR is atomic there, and keys expire by themselves."""

    def __init__(self, bucket: timedelta) -> None:
        self.bucket = bucket

    def _key(self, key: str, bucket_start: datetime) -> str:
        return f"throttle:{key}:{int(bucket_start.timestamp())}"

    def add(self, key: str, bucket_start: datetime) -> None:
        cache_key = self._key(key, bucket_start)
        cache.add(cache_key, 0, timeout=int(KEEP_BUCKETS.total_seconds()))
        cache.incr(cache_key)

    def counts(self, key: str, since: datetime) -> list[tuple[datetime, int]]:
        now = timezone.now()
        starts = []
        start = _bucket_start(since, self.bucket)
        while start <= now:
            starts.append(start)
            start += self.bucket
        found = cache.get_many([self._key(key, s) for s in starts])
        return [(s, found[self._key(key, s)]) for s in starts if found.get(self._key(key, s))]


def _store(limit: Limit) -> CounterStore:
    choice = getattr(settings, "THROTTLE_STORE", "auto")
    uses_redis = "redis" in settings.CACHES["default"]["BACKEND"].lower()
    if choice == "cache" or (choice == "auto" and uses_redis):
        return CacheStore(limit.bucket)
    return DatabaseStore()


def blocked_until(key: str, limit: Limit) -> datetime | None:
    """When ``key`` may try again under ``limit``, or None if it may now."""
    now = timezone.now()
    buckets = _store(limit).counts(key, since=_bucket_start(now - limit.window, limit.bucket))
    remaining = sum(count for _start, count in buckets)
    if remaining < limit.max_failures:
        return None
    if limit.pause:
        # A window from the failure that reached the limit (its bucket's start, so at most a
        # bucket's length early: "paused for 15 minutes" may end a minute sooner, never later).
        return buckets[-1][0] + limit.window
    for start, count in buckets:
        remaining -= count
        if remaining < limit.max_failures:
            return start + limit.bucket + limit.window
    return now + limit.window  # not reached: the loop always brings remaining below the limit


def record(key: str, limit: Limit) -> None:
    _store(limit).add(key, _bucket_start(timezone.now(), limit.bucket))


@dataclass(frozen=True)
class Check:
    """A set of (key, limit) pairs checked and counted together, e.g. an account and an address."""

    rules: tuple[tuple[str, Limit], ...]

    def blocked_until(self) -> datetime | None:
        times = [t for key, limit in self.rules if (t := blocked_until(key, limit)) is not None]
        return max(times) if times else None

    def record_failure(self) -> datetime | None:
        """Count a failure everywhere; returns when the attempts are blocked from, if they now are."""
        for key, limit in self.rules:
            record(key, limit)
        return self.blocked_until()


def minutes_until(moment: datetime) -> int:
    return max(1, math.ceil((moment - timezone.now()).total_seconds() / 60))


def wait_in_words(moment: datetime) -> str:
    """ "in 14 minutes", "in about 3 hours", as a parent would say it."""
    minutes = minutes_until(moment)
    if minutes < 90:
        return f"in {minutes} minute{'s' if minutes != 1 else ''}"
    hours = round(minutes / 60)
    return f"in about {hours} hours"
