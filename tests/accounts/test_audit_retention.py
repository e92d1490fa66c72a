"""Authentication → Data retention: an admin chooses how long the audit trail keeps its entries
(kept for ever unless they choose 1 to 7 years), and the nightly housekeeping deletes older ones."""

from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from accounts.errors import AccountError
from accounts.housekeeping import audit_events_prune
from accounts.models import AuditAction, AuditEvent, Institution
from accounts.services import institution_audit_retention_set
from accounts.tasks import audit_retention_job


def url(institution) -> str:
    return reverse("institution_audit_retention", args=[institution.pk])


def test_an_admin_chooses_three_years_and_it_is_on_the_audit_trail(client, institution, admin):
    client.force_login(admin)
    page = client.get(reverse("institution_authentication", args=[institution.pk])).content.decode()
    assert "Data retention" in page
    assert '<option value="" selected>Keep every entry (no limit)</option>' in page

    response = client.post(url(institution), {"audit_retention_years": "3"}, follow=True)
    assert "Data retention saved." in response.content.decode()
    assert '<option value="3" selected>3 years</option>' in response.content.decode()
    institution.refresh_from_db()
    assert institution.audit_retention_years == 3
    event = AuditEvent.objects.get(action=AuditAction.AUDIT_RETENTION_CHANGED)
    assert (event.actor, event.details) == (admin, {"from": None, "to": 3})


def test_an_admin_goes_back_to_keeping_everything(client, institution, admin):
    institution_audit_retention_set(institution=institution, years=2, by=admin)
    client.force_login(admin)
    client.post(url(institution), {"audit_retention_years": ""})
    institution.refresh_from_db()
    assert institution.audit_retention_years is None


@pytest.mark.parametrize("value", ["0", "8", "ten"])
def test_a_choice_outside_one_to_seven_years_is_refused_and_changes_nothing(
    client, institution, admin, value
):
    client.force_login(admin)
    response = client.post(url(institution), {"audit_retention_years": value})
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    institution.refresh_from_db()
    assert institution.audit_retention_years is None


def test_the_service_refuses_eight_years_and_the_database_too(institution, admin):
    with pytest.raises(AccountError) as refused:
        institution_audit_retention_set(institution=institution, years=8, by=admin)
    assert refused.value.message == AccountError.AUDIT_RETENTION_OUT_OF_RANGE
    with pytest.raises(IntegrityError):
        Institution.objects.filter(pk=institution.pk).update(audit_retention_years=0)


def test_get_is_not_allowed_and_teachers_and_other_schools_are_refused(
    client, institution, teacher, other_admin
):
    client.force_login(teacher)
    assert client.get(url(institution)).status_code == 405
    assert client.post(url(institution), {"audit_retention_years": "1"}).status_code == 403
    client.force_login(other_admin)
    assert client.post(url(institution), {"audit_retention_years": "1"}).status_code == 404
    institution.refresh_from_db()
    assert institution.audit_retention_years is None


def test_anonymous_visitors_are_sent_to_log_in(client, institution):
    response = client.post(url(institution), {"audit_retention_years": "1"})
    assert response.url.startswith(reverse("login") + "?next=")


def _event(institution, *, days_ago: int) -> AuditEvent:
    return AuditEvent.objects.create(
        institution=institution,
        action=AuditAction.LOGIN_FAILED,
        source="page",
        at=timezone.now() - timedelta(days=days_ago),
    )


def test_choosing_a_retention_deletes_nothing_until_the_nightly_housekeeping(
    client, institution, admin
):
    old = _event(institution, days_ago=800)
    client.force_login(admin)
    client.post(url(institution), {"audit_retention_years": "1"})
    assert AuditEvent.objects.filter(pk=old.pk).exists()
    audit_retention_job(timestamp=0)
    assert not AuditEvent.objects.filter(pk=old.pk).exists()


def test_housekeeping_deletes_entries_past_each_institutions_retention_only(
    institution, other_admin, admin
):
    institution_audit_retention_set(institution=institution, years=1, by=admin)
    old, recent = _event(institution, days_ago=400), _event(institution, days_ago=300)
    elsewhere = _event(other_admin.institution, days_ago=4000)  # that school keeps everything
    unattached = _event(None, days_ago=4000)

    assert audit_retention_job(timestamp=0) == 1  # what the nightly job does
    remaining = set(AuditEvent.objects.values_list("pk", flat=True))
    assert old.pk not in remaining
    assert {recent.pk, elsewhere.pk, unattached.pk} <= remaining
    assert audit_events_prune() == 0
