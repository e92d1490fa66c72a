"""Seeds 001, 002 and 004: pairing codes exist only while self-registration is on. With it None,
a code made earlier links nobody (page, API), is kept, and works again once it is back on; the
pages state the institution's real code lifetime."""

from django.urls import reverse

from accounts.models import AuditAction, AuditEvent, SelfRegistration
from pairing.errors import PairingError
from pairing.models import ObserverLink, PairingCode, PairingCodeState
from tests.api.helpers import bearer
from tests.pairing.helpers import new_code

OBSERVING = reverse("observees")


def switch(institution, value):
    institution.self_registration = value
    institution.save()


def test_a_code_made_earlier_links_nobody_while_self_registration_is_none(
    client, institution, course, student, observer
):
    code = new_code(student)
    switch(institution, SelfRegistration.NONE)
    client.force_login(observer)

    response = client.post(OBSERVING, {"code": code})

    page = response.content.decode()
    assert response.status_code == 200
    assert PairingError.REDEMPTION_OFF in page
    assert "Please contact the school office" in page
    assert not ObserverLink.objects.exists()
    assert PairingCode.objects.get().state == PairingCodeState.ACTIVE  # kept, not spent
    # No guess was made, so nothing counts against the parent.
    assert not AuditEvent.objects.filter(action=AuditAction.CODE_FAILED).exists()


def test_the_code_works_again_once_self_registration_is_back_on(
    client, institution, course, student, observer
):
    code = new_code(student)
    switch(institution, SelfRegistration.NONE)
    client.force_login(observer)
    client.post(OBSERVING, {"code": code})

    switch(institution, SelfRegistration.OBSERVER)
    response = client.post(OBSERVING, {"code": code}, follow=True)

    assert "You are now observing Sam Student." in response.content.decode()
    assert ObserverLink.objects.filter(observer=observer, student=student).exists()


def test_the_observing_page_says_so_before_anyone_types_a_code(client, institution, observer):
    switch(institution, SelfRegistration.NONE)
    client.force_login(observer)
    assert PairingError.REDEMPTION_OFF in client.get(OBSERVING).content.decode()
    switch(institution, SelfRegistration.ALL)
    assert PairingError.REDEMPTION_OFF not in client.get(OBSERVING).content.decode()


def test_the_api_refuses_redemption_with_401_and_the_reason(
    client, institution, course, student, observer
):
    code = new_code(student)
    switch(institution, SelfRegistration.NONE)

    response = client.post(
        f"/api/v1/users/{observer.pk}/observees", {"pairing_code": code}, **bearer(observer)
    )

    assert response.status_code == 401
    assert "WWW-Authenticate" not in response.headers
    assert response.json() == {
        "status": "unauthorized",
        "errors": [{"message": PairingError.REDEMPTION_OFF}],
    }
    assert PairingCode.objects.get().state == PairingCodeState.ACTIVE


def test_the_authentication_page_names_the_choices_as_the_seed_does(client, institution, admin):
    client.force_login(admin)
    page = client.get(reverse("institution_authentication", args=[institution.pk]))
    labels = [
        line.split(">")[-1]
        for line in page.content.decode().split("</label>")
        if 'for="id_self_registration_' in line
    ]
    assert labels == ["None", "Observer accounts only", "All account types"]


def test_every_page_that_states_the_lifetime_states_the_institutions(client, institution, observer):
    institution.pairing_code_lifetime_days = 3
    institution.save()
    client.force_login(observer)
    observing = client.get(OBSERVING).content.decode()
    client.logout()
    sign_up = client.get(reverse("observer_sign_up")).content.decode()

    for page in (observing, sign_up):
        assert "for 3 days" in page
        assert "seven" not in page
