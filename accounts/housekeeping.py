"""Deleting what has served its time, set-wise (run on a schedule by accounts.tasks).

Each function is one statement however many rows go, and returns how many went.
"""

from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone

from accounts.models import AuditEvent, Institution, SpentChallenge, ThrottleBucket
from accounts.throttle_stores import KEEP_BUCKETS


def sessions_prune() -> int:
    """Sessions past their expiry (logged out by time; the cookie no longer opens them)."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


def throttle_buckets_prune() -> int:
    """Failed-attempt counters older than the longest window any limit looks at (Redis's
    counters expire by themselves)."""
    deleted, _ = ThrottleBucket.objects.filter(
        bucket_start__lt=timezone.now() - KEEP_BUCKETS
    ).delete()
    return deleted


def spent_challenges_prune() -> int:
    """Proofs of work past their expiry: they could not be used again anyway."""
    deleted, _ = SpentChallenge.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted


def audit_events_prune() -> int:
    """Audit trail entries older than their institution's retention (institutions that keep
    everything, the default, lose nothing)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            DELETE FROM {AuditEvent._meta.db_table} AS event
            USING {Institution._meta.db_table} AS institution
            WHERE event.institution_id = institution.id
              AND institution.audit_retention_years IS NOT NULL
              AND event.at < %s - make_interval(years => institution.audit_retention_years)
            """,  # noqa: S608 - the table names are ours; the one value is a parameter
            [timezone.now()],
        )
        return cursor.rowcount
