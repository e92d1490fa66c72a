"""Where the attempt counters of ``accounts.throttle`` live: PostgreSQL, or Redis when the cache
is Redis. Either way counting an attempt and reading its limits' windows back is one round trip.
"""

from datetime import datetime, timedelta
from typing import Protocol

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from accounts.models import ThrottleBucket

KEEP_BUCKETS = timedelta(days=2)


class CounterStore(Protocol):
    def add(self, entries: list[tuple[str, datetime]], amount: int) -> None:
        """Add ``amount`` to each (key, bucket start) counter (never below zero)."""

    def counts(
        self, wanted: list[tuple[str, datetime, timedelta]]
    ) -> dict[str, list[tuple[datetime, int]]]:
        """For each (key, since, bucket size): its buckets from ``since`` on, oldest first."""

    def add_and_count(
        self, entries: list[tuple[str, datetime]], wanted: list[tuple[str, datetime, timedelta]]
    ) -> dict[str, list[tuple[datetime, int]]]:
        """``add(entries, 1)`` then ``counts(wanted)``, in one round trip: the counts include
        this addition and every other one that came before it."""


def _quick_commit() -> str:
    """A part for a counter's statement that, run on its own (autocommit), lets it commit without
    waiting for the disk (``synchronous_commit`` off for that transaction alone): a commit that
    waits costs some 4 ms here, and every attempt writes counters twice. What a PostgreSQL crash
    could lose is the last fraction of a second of counts (at most three times
    ``wal_writer_delay``); a limit is never read from counts not yet written. Inside a caller's
    transaction nothing changes: its commit stays the caller's to decide."""
    if connection.get_autocommit():
        return "quick AS (SELECT set_config('synchronous_commit', 'off', true) AS off),"
    return "quick AS (SELECT NULL AS off),"


class DatabaseStore:
    """Counters in PostgreSQL: an atomic upsert, so concurrent failures are never lost."""

    def add(self, entries: list[tuple[str, datetime]], amount: int) -> None:
        table = ThrottleBucket._meta.db_table
        # Every counter of a check in one statement, which also drops those keys' old buckets.
        # Sorted, so two statements touching the same counters lock them in the same order.
        entries = sorted(set(entries))
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                WITH {_quick_commit()} pruned AS (
                    DELETE FROM {table} WHERE key = ANY(%s) AND bucket_start < %s
                )
                INSERT INTO {table} (key, bucket_start, count)
                SELECT entry.key, entry.bucket_start, GREATEST(%s, 0)
                FROM unnest(%s::text[], %s::timestamptz[]) AS entry(key, bucket_start), quick
                ON CONFLICT ON CONSTRAINT throttle_bucket_unique
                DO UPDATE SET count = GREATEST({table}.count + %s, 0)
                """,  # noqa: S608 - the table name is ours; every value is a parameter
                [
                    [key for key, _start in entries],
                    timezone.now() - KEEP_BUCKETS,
                    amount,
                    [key for key, _start in entries],
                    [start for _key, start in entries],
                    amount,
                ],
            )

    def counts(
        self, wanted: list[tuple[str, datetime, timedelta]]
    ) -> dict[str, list[tuple[datetime, int]]]:
        # One query for every key of a check (an account, an address, an institution).
        since = {key: start for key, start, _bucket in wanted}
        rows = (
            ThrottleBucket.objects.filter(key__in=since, bucket_start__gte=min(since.values()))
            .order_by("bucket_start")
            .values_list("key", "bucket_start", "count")
        )
        found: dict[str, list[tuple[datetime, int]]] = {key: [] for key in since}
        for key, start, count in rows:
            if start >= since[key]:
                found[key].append((start, count))
        return found

    def add_and_count(
        self, entries: list[tuple[str, datetime]], wanted: list[tuple[str, datetime, timedelta]]
    ) -> dict[str, list[tuple[datetime, int]]]:
        table = ThrottleBucket._meta.db_table
        entries = sorted(set(entries))
        keys = [key for key, _start in entries]
        with connection.cursor() as cursor:
            # One statement: old buckets pruned, every counter of the check counted (sorted, so
            # that two statements lock shared counters in the same order), and every bucket in
            # the windows read back. The final SELECT sees the table as it was when the statement
            # began, so the buckets just counted are read from the INSERT's RETURNING (their
            # values now, after any concurrent attempt that counted first), the others from the
            # table.
            cursor.execute(
                f"""
                WITH {_quick_commit()} pruned AS (
                    DELETE FROM {table} WHERE key = ANY(%(keys)s::text[])
                        AND bucket_start < %(keep_from)s::timestamptz
                ), added AS (
                    INSERT INTO {table} (key, bucket_start, count)
                    SELECT entry.key, entry.bucket_start, 1
                    FROM unnest(%(keys)s::text[], %(starts)s::timestamptz[])
                        AS entry(key, bucket_start), quick
                    ON CONFLICT ON CONSTRAINT throttle_bucket_unique
                    DO UPDATE SET count = GREATEST({table}.count + 1, 0)
                    RETURNING key, bucket_start, count
                )
                SELECT key, bucket_start, count FROM added
                UNION ALL
                SELECT bucket.key, bucket.bucket_start, bucket.count
                FROM unnest(%(wanted)s::text[], %(since)s::timestamptz[]) AS span(key, since)
                JOIN {table} bucket
                    ON bucket.key = span.key AND bucket.bucket_start >= span.since
                WHERE NOT EXISTS (
                    SELECT FROM added
                    WHERE added.key = bucket.key AND added.bucket_start = bucket.bucket_start
                )
                """,  # noqa: S608 - the table name is ours; every value is a parameter
                {
                    "keys": keys,
                    "starts": [start for _key, start in entries],
                    "keep_from": timezone.now() - KEEP_BUCKETS,
                    "wanted": [key for key, _since, _bucket in wanted],
                    "since": [since for _key, since, _bucket in wanted],
                },
            )
            rows = cursor.fetchall()
        since = {key: start for key, start, _bucket in wanted}
        found: dict[str, list[tuple[datetime, int]]] = {key: [] for key in since}
        for key, start, count in sorted(rows, key=lambda row: row[1]):
            if key in since and start >= since[key]:
                found[key].append((start, count))
        return found


class CacheStore:
    """Counters in the cache (Redis): INCR is atomic there, and keys expire by themselves."""

    @staticmethod
    def _key(key: str, bucket_start: datetime) -> str:
        return f"throttle:{key}:{int(bucket_start.timestamp())}"

    def add(self, entries: list[tuple[str, datetime]], amount: int) -> None:
        client = _redis_client()
        if client is None:  # another cache than Redis (tests, a single process)
            for key, bucket_start in entries:
                cache_key = self._key(key, bucket_start)
                cache.add(cache_key, 0, timeout=int(KEEP_BUCKETS.total_seconds()))
                cache.incr(cache_key, amount)
            return
        # Every counter in one round trip (made if new, with its expiry, then counted).
        pipe = client.pipeline(transaction=True)
        self._count(pipe, entries, amount)
        pipe.execute()

    def _count(self, pipe, entries: list[tuple[str, datetime]], amount: int) -> None:
        for key, bucket_start in entries:
            name = cache.make_and_validate_key(self._key(key, bucket_start))
            pipe.set(name, 0, nx=True, ex=int(KEEP_BUCKETS.total_seconds()))
            pipe.incrby(name, amount)

    def counts(
        self, wanted: list[tuple[str, datetime, timedelta]]
    ) -> dict[str, list[tuple[datetime, int]]]:
        starts = self._starts(wanted)
        found = cache.get_many([self._key(k, s) for k, moments in starts.items() for s in moments])
        return {
            key: [(s, found[self._key(key, s)]) for s in moments if found.get(self._key(key, s))]
            for key, moments in starts.items()
        }

    def add_and_count(
        self, entries: list[tuple[str, datetime]], wanted: list[tuple[str, datetime, timedelta]]
    ) -> dict[str, list[tuple[datetime, int]]]:
        starts = self._starts(wanted)
        client = _redis_client()
        if client is None:  # another cache than Redis (tests, a single process): two calls
            self.add(entries, 1)
            return self.counts(wanted)
        # One round trip to Redis: each counter made if new (with its expiry) and counted, then
        # every bucket of the windows read, in one MULTI/EXEC that no other client interleaves.
        pipe = client.pipeline(transaction=True)
        self._count(pipe, entries, 1)
        names = [(key, s, self._key(key, s)) for key, moments in starts.items() for s in moments]
        pipe.mget([cache.make_and_validate_key(name) for _key, _start, name in names])
        values = pipe.execute()[-1]
        found: dict[str, list[tuple[datetime, int]]] = {key: [] for key in starts}
        for (key, start, _name), value in zip(names, values, strict=True):
            if value is not None and int(value):
                found[key].append((start, int(value)))
        return found

    @staticmethod
    def _starts(wanted: list[tuple[str, datetime, timedelta]]) -> dict[str, list[datetime]]:
        now = timezone.now()
        starts: dict[str, list[datetime]] = {}
        for key, since, bucket in wanted:
            start, starts[key] = since, []
            while start <= now:
                starts[key].append(start)
                start += bucket
        return starts


def _redis_client():
    """The Redis client of Django's own Redis cache (the primary, which takes writes), or None
    for another cache."""
    backend = getattr(cache, "_cache", None)
    if not hasattr(backend, "get_client"):
        return None
    return backend.get_client(write=True)


def counter_store() -> CounterStore:
    choice = getattr(settings, "THROTTLE_STORE", "auto")
    uses_redis = "redis" in settings.CACHES["default"]["BACKEND"].lower()
    if choice == "cache" or (choice == "auto" and uses_redis):
        return CacheStore()
    return DatabaseStore()
