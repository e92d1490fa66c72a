"""An institution under attack asks every redemption and sign-up for a proof of work instead of
turning parents away, and tells its admins once."""

import pytest
from django.conf import settings as project_settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from procrastinate.contrib.django.models import ProcrastinateJob

from accounts.services import api_token_create
from pairing.alerts import ALERT_TASK, guessing_alert_send
from pairing.models import GuessingAlert, ObserverLink
from tests.factories import UserFactory
from tests.pairing.helpers import new_code
from tests.proof_of_work import challenge_on, solved

SIGN_UP = reverse("observer_sign_up")
OBSERVEES = reverse("observees")
PARENT = {
    "name": "Robin Parent",
    "email": "robin@example.test",
    "password": "a-long-family-passphrase",
    "password_confirmation": "a-long-family-passphrase",
}


@pytest.fixture
def under_attack(settings, institution):
    """A small institution limit, reached by wrong codes from three networks, and a small proof of
    work (the real one costs a second; test_2050_wrong_codes… solves one at full strength)."""
    settings.PAIRING_FAILURES_PER_INSTITUTION_PER_DAY = (3, 24 * 3600)
    settings.PROOF_OF_WORK_MAX_NUMBER = 50
    guessing(times=3)
    return institution


def guessing(*, times: int, first: int = 1) -> None:
    """Wrong codes at sign-up, each from another network, as a guesser without an account who
    pays the proof of work when asked."""
    guesser = Client()
    for number in range(first, first + times):
        address = f"203.0.{number}.9"
        challenge = challenge_on(guesser.get(SIGN_UP, REMOTE_ADDR=address).content.decode())
        proof = {"altcha": solved(challenge)} if challenge else {}
        page = guesser.post(
            SIGN_UP, {**PARENT, "code": "zzzzzz", **proof}, REMOTE_ADDR=address
        ).content.decode()
        assert "Invalid pairing code" in page


def test_2050_wrong_codes_from_41_addresses_do_not_turn_away_a_parent(
    client, institution, student, admin
):
    # The attack as it was seen: 41 addresses (of 41 networks), 50 wrong codes each, no account.
    for number in range(1, 42):
        address = f"203.0.{number}.9"
        for _ in range(50):
            response = client.post(SIGN_UP, {**PARENT, "code": "zzzzzz"}, REMOTE_ADDR=address)
            assert response.status_code == 200
    code = new_code(student)

    # A real parent is asked for a proof of work, not turned away ...
    page = client.post(SIGN_UP, {**PARENT, "code": code}, REMOTE_ADDR="192.0.2.10")
    assert "paused" not in page.content.decode()
    assert "your browser is asked to do a moment" in page.content.decode()
    assert not ObserverLink.objects.exists()
    assert challenge_on(client.get(SIGN_UP, REMOTE_ADDR="192.0.2.10").content.decode())

    # ... and gets in once their browser (here the altcha library's solver) has done it.
    response = client.post(
        SIGN_UP,
        {**PARENT, "code": code, "altcha": solved(challenge_on(page.content.decode()))},
        REMOTE_ADDR="192.0.2.10",
    )
    assert response.status_code == 302
    assert ObserverLink.objects.filter(student=student, observer__email=PARENT["email"]).exists()
    assert GuessingAlert.objects.count() == 1


def test_pages_show_no_proof_of_work_while_all_is_well(client, institution, observer):
    assert challenge_on(client.get(SIGN_UP).content.decode()) is None
    client.force_login(observer)
    assert challenge_on(client.get(OBSERVEES).content.decode()) is None


def test_the_observing_page_asks_for_a_proof_and_takes_the_code_with_it(
    client, under_attack, student, observer
):
    client.force_login(observer)
    page = client.get(OBSERVEES).content.decode()
    response = client.post(
        OBSERVEES, {"code": new_code(student), "altcha": solved(challenge_on(page))}
    )
    assert response.status_code == 302
    assert ObserverLink.objects.filter(observer=observer, student=student).exists()


def test_a_wrong_proof_is_no_proof(client, under_attack, student, observer):
    client.force_login(observer)
    for forged in ("", "not-base64", "eyJjaGFsbGVuZ2UiOiAxfQ=="):
        page = client.post(OBSERVEES, {"code": new_code(student), "altcha": forged})
        assert "your browser is asked to do a moment" in page.content.decode()
    assert not ObserverLink.objects.exists()


def test_a_replayed_solution_is_refused(client, under_attack, course, institution):
    from tests.factories import EnrollmentFactory

    first, second = (EnrollmentFactory(course=course).user for _ in range(2))
    parent = UserFactory(institution=institution)
    client.force_login(parent)
    proof = solved(challenge_on(client.get(OBSERVEES).content.decode()))
    assert client.post(OBSERVEES, {"code": new_code(first), "altcha": proof}).status_code == 302
    page = client.post(OBSERVEES, {"code": new_code(second), "altcha": proof}).content.decode()
    assert "your browser is asked to do a moment" in page
    assert list(ObserverLink.objects.values_list("student", flat=True)) == [first.pk]


def test_a_solution_made_for_another_purpose_is_refused(client, under_attack, student, observer):
    # A proof made for signing up at the school does not open the Observing page, nor the reverse.
    sign_up_proof = solved(challenge_on(client.get(SIGN_UP).content.decode()))
    client.force_login(observer)
    page = client.post(OBSERVEES, {"code": new_code(student), "altcha": sign_up_proof})
    assert "your browser is asked to do a moment" in page.content.decode()
    assert not ObserverLink.objects.exists()


def test_a_missing_proof_is_not_counted_as_a_guess(client, under_attack, student, observer):
    client.force_login(observer)
    for _ in range(project_settings.PAIRING_FAILURES_PER_ACCOUNT_PAUSE[0] + 1):
        client.post(OBSERVEES, {"code": "zzzzzz"})
    page = client.get(OBSERVEES).content.decode()
    client.post(OBSERVEES, {"code": new_code(student), "altcha": solved(challenge_on(page))})
    assert ObserverLink.objects.filter(observer=observer).exists()


def test_the_admins_get_one_email_per_episode(client, under_attack, admin, institution):
    second_admin = UserFactory(institution=institution, is_account_admin=True)
    assert mail.outbox == []  # owed in the request, sent by a job
    guessing(times=5, first=10)  # the attack goes on
    alert = GuessingAlert.objects.get()
    [job] = ProcrastinateJob.objects.filter(task_name=ALERT_TASK)
    assert job.args == {"alert_id": alert.pk}

    assert guessing_alert_send(alert_id=alert.pk)  # what its job does
    [message] = mail.outbox
    assert sorted(message.to) == sorted([admin.email, second_admin.email])
    assert message.subject == "Many wrong pairing codes at Springfield Schools today"
    assert "Nobody is turned away" in message.body

    guessing(times=3, first=20)
    assert ProcrastinateJob.objects.filter(task_name=ALERT_TASK).count() == 1
    assert not guessing_alert_send(alert_id=alert.pk)  # a retry of a sent alert sends nothing
    assert len(mail.outbox) == 1  # nothing more the same day


def test_another_institution_is_not_affected(client, under_attack, other_admin):
    from tests.factories import CourseFactory, EnrollmentFactory

    course = CourseFactory(institution=other_admin.institution)
    kid = EnrollmentFactory(course=course).user
    parent = UserFactory(institution=other_admin.institution)
    client.force_login(parent)
    assert challenge_on(client.get(OBSERVEES).content.decode()) is None
    assert client.post(OBSERVEES, {"code": new_code(kid)}).status_code == 302


# --- The API: a challenge in the JSON error, the solution as a parameter ---------------------------


def test_the_api_names_a_challenge_and_takes_the_solution(client, under_attack, student, observer):
    token = api_token_create(user=observer, purpose="t").token
    url = f"/api/v1/users/{observer.pk}/observees"
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    code = new_code(student)

    response = client.post(url, {"pairing_code": code}, **auth)
    assert response.status_code == 429
    body = response.json()
    assert "proof of work" in body["errors"][0]["message"]
    proof = solved(body["altcha_challenge"])

    response = client.post(url, {"pairing_code": code, "altcha": proof}, **auth)
    assert response.status_code == 200, response.content
    assert response.json()["id"] == student.pk

    # The same solution again: asked for a new one.
    response = client.post(url, {"pairing_code": new_code(student), "altcha": proof}, **auth)
    assert response.status_code == 429
    assert "altcha_challenge" in response.json()


def test_the_institution_counter_counts_wrong_codes_only(
    client, settings, institution, student, observer
):
    # The institution's limit refuses nobody, so it is counted once an attempt fails, never
    # before: a working code leaves the counter every parent shares untouched.
    from accounts.models import ThrottleBucket
    from pairing.errors import PairingError
    from pairing.services import pairing_code_redeem

    settings.THROTTLE_STORE = "database"

    def counts(key: str) -> list[int]:
        return list(ThrottleBucket.objects.filter(key=key).values_list("count", flat=True))

    shared, mine = f"redeem:institution:{institution.pk}:day", f"redeem:account:{observer.pk}:day"

    pairing_code_redeem(code=new_code(student), observer=observer)
    assert counts(shared) == []
    assert counts(mine) == [0]  # counted first, then taken back

    with pytest.raises(PairingError):
        pairing_code_redeem(code="zzzzzz", observer=observer)
    assert counts(shared) == [1]
    assert counts(mine) == [1]
