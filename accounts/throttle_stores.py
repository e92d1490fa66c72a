"""Where the attempt counters of ``accounts.throttle`` live: PostgreSQL, or Redis when the cache
is Redis. Either way counting an attempt and reading its limits' windows back is one round trip.
"""

import json
from datetime import UTC, datetime, timedelta
from typing import Protocol

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.utils import timezone
from redis.exceptions import RedisError

from accounts.models import ThrottleBucket

KEEP_BUCKETS = timedelta(days=2)
# What a store raises when its server (PostgreSQL's, or Redis's) cannot be reached.
STORE_UNAVAILABLE = (DatabaseError, RedisError)


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
        # Every counter of a check in one statement. Old buckets are left to the hourly
        # housekeeping (accounts.housekeeping): reads look only inside their windows.
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                WITH {_quick_commit()} {_ENTRIES}
                INSERT INTO {table} (key, bucket_start, count)
                SELECT entry.key, entry.bucket_start, GREATEST(%(amount)s, 0) FROM entry, quick
                ON CONFLICT ON CONSTRAINT throttle_bucket_unique
                DO UPDATE SET count = GREATEST({table}.count + %(amount)s, 0)
                """,  # noqa: S608 - the table name is ours; every value is a parameter
                {**_entries(entries), "amount": amount},
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
        with connection.cursor() as cursor:
            # One statement: every counter of the check counted, and every
            # bucket in the windows read back. The final SELECT sees the table as it was when the
            # statement began, so the buckets just counted are read from the INSERT's RETURNING
            # (their values now, after any concurrent attempt that counted first), the others
            # from the table.
            cursor.execute(
                f"""
                WITH {_quick_commit()} {_ENTRIES}, added AS (
                    INSERT INTO {table} (key, bucket_start, count)
                    SELECT entry.key, entry.bucket_start, 1 FROM entry, quick
                    ON CONFLICT ON CONSTRAINT throttle_bucket_unique
                    DO UPDATE SET count = GREATEST({table}.count + 1, 0)
                    RETURNING key, bucket_start, count
                )
                SELECT key, bucket_start, count FROM added
                UNION ALL
                SELECT bucket.key, bucket.bucket_start, bucket.count
                FROM json_to_recordset(%(wanted)s::json) AS span(key text, since double precision)
                JOIN {table} bucket ON bucket.key = span.key
                    AND bucket.bucket_start >= to_timestamp(span.since)
                WHERE NOT EXISTS (
                    SELECT FROM added
                    WHERE added.key = bucket.key AND added.bucket_start = bucket.bucket_start
                )
                """,  # noqa: S608 - the table name is ours; every value is a parameter
                {
                    **_entries(entries),
                    "wanted": json.dumps(
                        [{"key": key, "since": since.timestamp()} for key, since, _ in wanted]
                    ),
                },
            )
            rows = cursor.fetchall()
        since = {key: start for key, start, _bucket in wanted}
        found: dict[str, list[tuple[datetime, int]]] = {key: [] for key in since}
        for key, start, count in sorted(rows, key=lambda row: row[1]):
            if key in since and start >= since[key]:
                found[key].append((start, count))
        return found


# The counters of a statement, from one JSON parameter (PostgreSQL reads it faster than psycopg
# writes arrays), sorted, so that two statements touching the same counters lock them in the
# same order.
_ENTRIES = """entry AS (
    SELECT entry.key, to_timestamp(entry.start) AS bucket_start
    FROM json_to_recordset(%(entries)s::json) AS entry(key text, start double precision)
    ORDER BY entry.key, entry.start
)"""


def _entries(entries: list[tuple[str, datetime]]) -> dict:
    return {
        "entries": json.dumps(
            [{"key": key, "start": start.timestamp()} for key, start in sorted(set(entries))]
        ),
    }


# Counting and reading in Redis, in one call whatever the number of counters and buckets: each
# counter's bucket made if new (with its expiry) and counted, then every bucket of its window
# read. A script runs alone, so no other client's count falls between the two.
# ARGV: seconds a bucket lives, the amount to add, now (epoch seconds); then four per counter:
# its buckets' names up to the bucket's start, the bucket to count (epoch seconds; "" for none),
# the window's first bucket (epoch seconds; "" to read nothing), a bucket's length in seconds.
# Returns, per counter, its non-zero buckets in the window as (start, count) pairs, flattened.
_COUNT_AND_READ = """
local ttl, amount, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local out = {}
for i = 4, #ARGV, 4 do
  local prefix, counted, since, size = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
  if counted ~= "" then
    redis.call("SET", prefix .. counted, 0, "NX", "EX", ttl)
    redis.call("INCRBY", prefix .. counted, amount)
  end
  local found = {}
  if since ~= "" then
    local start = tonumber(since)
    while start <= now do
      local count = tonumber(redis.call("GET", prefix .. string.format("%d", start)) or "0")
      if count ~= 0 then
        table.insert(found, start)
        table.insert(found, count)
      end
      start = start + size
    end
  end
  table.insert(out, found)
end
return out
"""


class CacheStore:
    """Counters in the cache (Redis): INCR is atomic there, and keys expire by themselves."""

    @staticmethod
    def _key(key: str, bucket_start: datetime) -> str:
        return f"throttle:{key}:{int(bucket_start.timestamp())}"

    def add(self, entries: list[tuple[str, datetime]], amount: int) -> None:
        if _redis_client() is None:  # another cache than Redis (tests, a single process)
            for key, bucket_start in entries:
                cache_key = self._key(key, bucket_start)
                cache.add(cache_key, 0, timeout=int(KEEP_BUCKETS.total_seconds()))
                cache.incr(cache_key, amount)
            return
        self._run(amount, [(key, start, None, None) for key, start in entries])

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
        if _redis_client() is None:  # another cache than Redis (tests, a single process)
            self.add(entries, 1)
            return self.counts(wanted)
        counted = dict(entries)
        return self._run(
            1, [(key, counted.get(key), since, bucket) for key, since, bucket in wanted]
        )

    def _run(
        self, amount: int, counters: list[tuple[str, datetime | None, datetime | None, timedelta]]
    ) -> dict[str, list[tuple[datetime, int]]]:
        """One call of the script: (key, bucket to count, window's first bucket, bucket length)
        per counter; returns each counter's buckets in its window."""
        client = _redis_client()
        args: list = [int(KEEP_BUCKETS.total_seconds()), amount, int(timezone.now().timestamp())]
        for key, counted, since, bucket in counters:
            args += [
                # The cache's own name for the bucket, up to its start (make_key, as get_many).
                cache.make_key(f"throttle:{key}:"),
                int(counted.timestamp()) if counted else "",
                int(since.timestamp()) if since else "",
                int(bucket.total_seconds()) if bucket else 0,
            ]
        results = _script(client)(keys=[], args=args, client=client)
        return {
            key: [
                (datetime.fromtimestamp(int(found[i]), tz=UTC), int(found[i + 1]))
                for i in range(0, len(found), 2)
            ]
            for (key, _counted, _since, _bucket), found in zip(counters, results, strict=True)
        }

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


_scripts: dict[int, object] = {}


def _script(client):
    """The counting script, registered once per client (run by its hash, sent again only if
    Redis has forgotten it)."""
    if id(client) not in _scripts:
        _scripts[id(client)] = client.register_script(_COUNT_AND_READ)
    return _scripts[id(client)]


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
