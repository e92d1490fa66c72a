"""The scheduled housekeeping deletes what has served its time, set-wise, and nothing else; every
worker offers the schedule and the database runs each tick once."""

from datetime import timedelta

from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone
from procrastinate.contrib.django import app

from accounts.models import SpentChallenge, ThrottleBucket
from accounts.tasks import accounts_housekeeping_job
from pairing.models import CodeExport, ObserverLinkSource, ObserverNotice
from pairing.services import observer_link_create
from pairing.tasks import pairing_housekeeping_job


def test_expired_sessions_old_counters_and_spent_proofs_go_and_current_ones_stay(db):
    now = timezone.now()
    live, expired = SessionStore(), SessionStore()
    live.create()
    expired.create()
    Session.objects.filter(session_key=expired.session_key).update(expire_date=now)
    ThrottleBucket.objects.create(key="old", bucket_start=now - timedelta(days=3), count=4)
    ThrottleBucket.objects.create(key="new", bucket_start=now - timedelta(hours=23), count=4)
    SpentChallenge.objects.create(nonce="used-up", expires_at=now - timedelta(seconds=1))
    SpentChallenge.objects.create(nonce="still-good", expires_at=now + timedelta(minutes=5))

    assert accounts_housekeeping_job(timestamp=0) == {
        "expired sessions": 1,
        "old attempt counters": 1,
        "expired proofs of work": 1,
    }
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
    assert list(ThrottleBucket.objects.values_list("key", flat=True)) == ["new"]
    assert list(SpentChallenge.objects.values_list("nonce", flat=True)) == ["still-good"]


def test_notices_sent_a_month_ago_and_export_files_past_their_day_go(
    course, student, observer, admin
):
    observer_link_create(
        observer=observer, student=student, by=None, source=ObserverLinkSource.ADMIN
    )
    second = ObserverNotice.objects.create(student=student, observer=admin)
    unsent = ObserverNotice.objects.create(student=student, observer=admin)
    ObserverNotice.objects.exclude(pk__in=[second.pk, unsent.pk]).update(
        sent_at=timezone.now() - timedelta(days=31)
    )
    ObserverNotice.objects.filter(pk=second.pk).update(sent_at=timezone.now() - timedelta(days=29))
    stale = CodeExport.objects.create(
        institution=course.institution,
        format="csv",
        language="en",
        base_url="http://portal.example/",
        state="done",
        result=b"x",
        result_expires_at=timezone.now() - timedelta(minutes=1),
    )

    assert pairing_housekeeping_job(timestamp=0) == {
        "export files purged": 1,
        "old notices deleted": 1,
    }
    assert set(ObserverNotice.objects.values_list("pk", flat=True)) == {second.pk, unsent.pk}
    stale.refresh_from_db()
    assert stale.result is None


def test_every_housekeeping_job_is_on_the_schedule():
    app.perform_import_paths()
    scheduled = {name for name, _periodic_id in app.periodic_registry.periodic_tasks}
    assert scheduled == {
        "accounts.housekeeping",
        "accounts.audit_retention",
        "pairing.housekeeping",
        "jobs.retry_stalled",
        "jobs.remove_old",
    }
