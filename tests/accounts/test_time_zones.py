"""Each user reads dates and times in the time zone they chose in User Settings (else the portal's),
formatted for their language."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from accounts.errors import AccountError
from accounts.services import user_profile_update
from pairing.models import PairingCode

pytestmark = pytest.mark.django_db

URL = reverse("profile_settings")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
SPANISH_MONTHS = [
    "enero", "febrero", "marzo", "abril", "mayo", "junio",
    "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
]  # fmt: skip


def names(user, **changes):
    return {"name": user.name, "short_name": "", "sortable_name": "", **changes}


def test_a_user_chooses_a_time_zone_in_user_settings(client, student):
    client.force_login(student)
    page = client.get(URL).content.decode()
    assert '<option value="America/Los_Angeles">America/Los Angeles</option>' in page
    assert '<option value="" selected>Default (UTC)</option>' in page

    response = client.post(URL, names(student, time_zone="America/Los_Angeles"))

    assert response.url == URL
    student.refresh_from_db()
    assert student.time_zone == "America/Los_Angeles"
    page = client.get(URL).content.decode()
    assert '<option value="America/Los_Angeles" selected>' in page


def test_a_time_zone_not_in_the_list_is_refused_and_nothing_changes(client, student):
    client.force_login(student)
    response = client.post(URL, names(student, name="Samantha", time_zone="Mars/Olympus_Mons"))
    assert response.status_code == 200
    assert 'id="id_time_zone_error"' in response.content.decode()
    student.refresh_from_db()
    assert (student.name, student.time_zone) == ("Sam Student", "")


def test_the_service_refuses_a_time_zone_it_does_not_know(student):
    with pytest.raises(AccountError, match=AccountError.TIME_ZONE_INVALID):
        user_profile_update(
            user=student, name="Sam Student", short_name="", sortable_name="", time_zone="Nowhere"
        )
    student.refresh_from_db()
    assert student.time_zone == ""


def test_a_blank_time_zone_goes_back_to_the_default_and_none_leaves_it(student):
    student.time_zone = "Europe/Madrid"
    student.save()
    user_profile_update(user=student, name="Sam Student", short_name="", sortable_name="")
    student.refresh_from_db()
    assert student.time_zone == "Europe/Madrid"
    user_profile_update(
        user=student, name="Sam Student", short_name="", sortable_name="", time_zone=""
    )
    student.refresh_from_db()
    assert student.time_zone == ""


def make_code_page(student, zone: str, language: str = "en") -> tuple[str, datetime]:
    """The Pair with Observer dialog for ``student`` living in ``zone``, and the code's expiry."""
    student.time_zone = zone
    student.save()
    client = Client(headers={"accept-language": language})
    client.force_login(student)
    page = client.post(reverse("profile_pairing_code"), follow=True).content.decode()
    expires_at = PairingCode.objects.filter(student=student).latest("created_at").expires_at
    return page, expires_at


def expiry_shown(page: str) -> tuple[str, str]:
    found = re.search(r'<time datetime="([^"]+)">([^<]+)</time>', page)
    return found.group(1), found.group(2)


def test_a_codes_expiry_shows_in_the_students_time_zone(student):
    page, expires_at = make_code_page(student, "America/Los_Angeles")

    machine, shown = expiry_shown(page)
    local = expires_at.astimezone(LOS_ANGELES)
    assert datetime.fromisoformat(machine) == expires_at
    assert machine.endswith(local.strftime("%z")[:3] + ":" + local.strftime("%z")[3:])
    hour = local.strftime("%I:%M").lstrip("0")
    assert shown == (
        f"{local:%A, %B} {local.day}, {local.year}, {hour} {local:%p} {local.tzname()}"
    )
    assert local.tzname() in ("PST", "PDT")


def test_a_student_without_a_time_zone_sees_the_expiry_in_utc(student):
    page, expires_at = make_code_page(student, "")

    _machine, shown = expiry_shown(page)
    hour = expires_at.strftime("%I:%M").lstrip("0")
    assert shown.endswith(f", {hour} {expires_at:%p} UTC")
    # Los Angeles is seven or eight hours behind: the two students read different hours.
    assert hour != expires_at.astimezone(LOS_ANGELES).strftime("%I:%M").lstrip("0")


def test_the_expiry_is_in_spanish_words_for_a_spanish_reader(student):
    page, expires_at = make_code_page(student, "America/Los_Angeles", language="es")

    _machine, shown = expiry_shown(page)
    local = expires_at.astimezone(LOS_ANGELES)
    month = SPANISH_MONTHS[local.month - 1]
    assert f"{local.day} de {month} de {local.year}, {local:%H:%M} {local.tzname()}" in shown
    assert "Vence el <time" in page


def test_lists_of_dates_follow_the_zone_and_the_language(client, admin):
    admin.time_zone = "Asia/Tokyo"
    admin.save()
    client.force_login(admin)
    page = client.get(reverse("institution_audit", args=[admin.institution_id])).content.decode()
    assert "When (Asia/Tokyo)" in page


def test_an_admin_acting_as_someone_reads_their_own_clock(client, admin, student):
    admin.time_zone = "Asia/Tokyo"
    admin.save()
    student.time_zone = "America/Los_Angeles"
    student.save()
    client.force_login(admin)
    client.post(reverse("act_as_begin", args=[student.pk]))
    page = client.post(reverse("profile_pairing_code"), follow=True).content.decode()
    assert expiry_shown(page)[1].endswith(" JST")


def test_a_tokens_expiry_is_the_day_chosen_whatever_the_zone(client, student):
    """The form's day is a UTC day (its help says so); Los Angeles must not see the day before."""
    student.time_zone = "America/Los_Angeles"
    student.save()
    client.force_login(student)
    page = client.post(reverse("api_token_new"), {"purpose": "Sync", "expires_on": "2031-12-05"})
    assert "until Dec. 5, 2031." in page.content.decode()
    assert "<td>Dec. 5, 2031</td>" in client.get(URL).content.decode()
