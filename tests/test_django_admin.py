"""The Django admin site lists every model for platform operators, with search, read-mostly."""

import pytest
from django.contrib import admin
from django.contrib import admin as django_admin
from django.urls import reverse

from accounts.models import User
from tests.factories import UserFactory

MODELS = sorted(admin.site._registry, key=lambda model: model._meta.label)
OURS = [m for m in MODELS if m._meta.app_label in ("accounts", "courses", "pairing")]


@pytest.fixture
def operator(db):
    return User.objects.create_superuser(
        "ops@example.test", "a-long-operator-passphrase", name="Ops"
    )


@pytest.mark.parametrize("model", OURS, ids=lambda m: m._meta.label)
def test_every_model_is_listed_and_searchable(client, operator, model):
    client.force_login(operator)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert client.get(url, {"q": "x"}).status_code == 200


def test_every_model_of_ours_is_registered():
    from django.apps import apps

    ours = {m for m in apps.get_models() if m._meta.app_label in ("accounts", "courses", "pairing")}
    assert ours == set(OURS)


@pytest.mark.parametrize(
    "label",
    [
        "courses.Enrollment",
        "pairing.PairingCode",
        "pairing.ObserverLink",
        "rostering.SisImport",
        "pairing.CodeExport",
        "pairing.ObserverNotice",
        "accounts.ApiToken",
    ],
)
def test_records_that_services_own_cannot_be_added_or_changed_here(label, rf, operator):
    from django.apps import apps

    model_admin = admin.site._registry[apps.get_model(label)]
    request = rf.get("/")
    request.user = operator
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)


def test_ordinary_users_cannot_open_the_admin_site(client, admin):
    client.force_login(admin)
    assert client.get(reverse("admin:index")).status_code == 302


def test_operators_see_queued_running_and_failed_jobs(client, operator):
    from django.db import connection

    from pairing_portal.jobs import jobs_defer

    queued, running, failed = jobs_defer(
        "pairing.observer_notice_send", [{"notice_id": n} for n in (101, 102, 103)]
    )
    with connection.cursor() as cursor:
        cursor.execute("UPDATE procrastinate_jobs SET status = 'doing' WHERE id = %s", [running])
        cursor.execute("UPDATE procrastinate_jobs SET status = 'failed' WHERE id = %s", [failed])
    client.force_login(operator)
    jobs = reverse("admin:procrastinate_procrastinatejob_changelist")
    for status, job in (("todo", queued), ("doing", running), ("failed", failed)):
        page = client.get(jobs, {"status": status}).content.decode()
        assert f">{job}</a>" in page, status
        assert "observer_notice_send" in page
    assert (
        client.get(
            reverse("admin:procrastinate_procrastinatejob_change", args=[failed])
        ).status_code
        == 200
    )
    assert client.get(reverse("admin:index")).content.decode().count("Procrastinate") >= 1


@pytest.mark.parametrize(
    "label",
    ["pairing.ObserverLink", "courses.Enrollment", "accounts.AuditEvent", "pairing.PairingCode"],
)
def test_the_django_admin_cannot_delete_what_services_own(label, rf, db):
    from django.apps import apps

    operator = UserFactory(institution=None, is_superuser=True, is_staff=True)
    request = rf.get("/")
    request.user = operator
    assert not django_admin.site._registry[apps.get_model(label)].has_delete_permission(request)


def test_allauths_apps_tokens_and_links_cannot_be_changed_here(client, rf, operator):
    from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken

    assert SocialApp not in admin.site._registry
    assert SocialToken not in admin.site._registry
    links = admin.site._registry[SocialAccount]
    request = rf.get("/")
    request.user = operator
    assert not links.has_add_permission(request)
    assert not links.has_change_permission(request)
    assert not links.has_delete_permission(request)
    # What the provider said of the person (its claims) is not shown.
    assert "extra_data" in links.get_exclude(request)
    client.force_login(operator)
    assert client.get(reverse("admin:socialaccount_socialaccount_changelist")).status_code == 200
