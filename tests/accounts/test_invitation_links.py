"""An invitation link is for one person at one address: a new login e-mail or a deactivation (by
whichever service makes it: the Django admin's, an SIS import's one by one or by the thousand)
withdraws it, and accepting checks both again. One rule says who may be invited, for one person
and for a set."""

import re

import pytest
from django.core import mail

from accounts.errors import SignInError
from accounts.invitation_mail import invitation_send
from accounts.models import Invitation, User
from accounts.services import (
    UserWanted,
    invitation_accept,
    invitation_create,
    invitation_for_token,
    invitation_refusal,
    user_create,
    user_login_set,
    user_update,
    users_upsert_many,
)
from accounts.services.invitations import invitable_people
from tests.factories import InstitutionFactory, UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-and-unusual-passphrase"
LINK = re.compile(r"https?://\S+/invitation/([\w-]+)")


@pytest.fixture
def newcomer(institution):
    return user_create(
        institution=institution,
        email="nia@springfield.example",
        name="Nia Newcomer",
        sis_user_id="S-NIA",
    )


@pytest.fixture
def operator(db):
    return User.objects.create_superuser("ops@example.test", None, name="Ops")


def sent_token(person, admin) -> str:
    """Invite ``person``, send the e-mail (what the job does): the token in the link."""
    invitation_send(invitation_id=invitation_create(person=person, by=admin).pk)
    [message] = [m for m in mail.outbox if m.to == [person.email]]
    return LINK.search(message.body)[1]


def assert_link_dead(token: str, person: User) -> None:
    assert invitation_for_token(token) is None
    with pytest.raises(SignInError) as refused:
        invitation_accept(token=token, password=PASSWORD)
    assert refused.value.message == SignInError.LINK_INVALID
    person.refresh_from_db()
    assert not person.has_usable_password()


@pytest.fixture(autouse=True)
def portal_url(settings):
    settings.PORTAL_URL = "https://portal.test"


def test_a_new_login_e_mail_withdraws_the_link_sent_to_the_old_one(newcomer, admin, operator):
    token = sent_token(newcomer, admin)
    user_login_set(user=newcomer, email="nia.new@springfield.example", is_active=True, by=operator)
    assert Invitation.objects.get().withdrawn_at is not None
    assert_link_dead(token, newcomer)


def test_a_deactivation_withdraws_the_link_and_reactivating_does_not_bring_it_back(newcomer, admin):
    token = sent_token(newcomer, admin)
    user_update(user=newcomer, email=newcomer.email, name=newcomer.name, is_active=False, by=admin)
    user_update(user=newcomer, email=newcomer.email, name=newcomer.name, is_active=True, by=admin)
    assert Invitation.objects.get().withdrawn_at is not None
    assert_link_dead(token, newcomer)


def test_a_queued_invitation_withdrawn_by_a_new_address_is_never_sent(newcomer, admin):
    invitation = invitation_create(person=newcomer, by=admin)
    user_update(user=newcomer, email="nia.new@springfield.example", name=newcomer.name, by=admin)
    assert not invitation_send(invitation_id=invitation.pk)
    assert mail.outbox == []


def test_an_sis_import_by_the_thousand_withdraws_the_links_it_changes_the_address_of(
    institution, newcomer, admin
):
    other = user_create(
        institution=institution, email="omar@springfield.example", name="Omar", sis_user_id="S-O"
    )
    token_nia, token_omar = sent_token(newcomer, admin), sent_token(other, admin)
    outcomes = users_upsert_many(
        institution=institution,
        rows=[
            UserWanted(sis_user_id="S-NIA", email="nia.new@springfield.example", name="Nia"),
            UserWanted(sis_user_id="S-O", email="omar@springfield.example", name="Omar O."),
        ],
        by=admin,
    )
    assert outcomes == [True, True]  # Omar's name changed, not his address
    assert_link_dead(token_nia, newcomer)
    assert invitation_for_token(token_omar) is not None


def test_an_sis_import_deactivating_someone_withdraws_their_link(institution, newcomer, admin):
    token = sent_token(newcomer, admin)
    users_upsert_many(
        institution=institution,
        rows=[UserWanted(sis_user_id="S-NIA", email=newcomer.email, name="Nia", is_active=False)],
        by=admin,
    )
    User.objects.filter(pk=newcomer.pk).update(is_active=True)  # whatever turns them on again
    assert_link_dead(token, newcomer)


def test_accepting_checks_the_address_again_whatever_changed_it(newcomer, admin):
    token = sent_token(newcomer, admin)
    # Not through a service (a raw UPDATE, a restored backup): the link is not withdrawn…
    User.objects.filter(pk=newcomer.pk).update(email="someone.else@springfield.example")
    assert Invitation.objects.get().withdrawn_at is None
    # …and still does not open the account at its new address.
    assert_link_dead(token, newcomer)


def test_a_link_to_the_same_address_still_works_after_other_changes(newcomer, admin):
    token = sent_token(newcomer, admin)
    user_update(user=newcomer, email=newcomer.email, name="Nia N. Newcomer", by=admin)
    assert invitation_accept(token=token, password=PASSWORD) == newcomer


def test_one_rule_decides_for_one_person_and_for_a_set(institution, admin, operator):
    """invitation_refusal (one person) and invitable_people (a batch, an import) agree, for
    every kind of person and every kind of inviter."""
    elsewhere = InstitutionFactory()
    people = {
        "newcomer": user_create(institution=institution, email="a@s.example", name="A"),
        "with a password": UserFactory(institution=institution),
        "deactivated": user_create(institution=institution, email="b@s.example", name="B"),
        "an admin": user_create(
            institution=institution, email="c@s.example", name="C", is_account_admin=True
        ),
        "of another school": user_create(institution=elsewhere, email="d@s.example", name="D"),
    }
    User.objects.filter(pk=people["deactivated"].pk).update(is_active=False)
    teacher = UserFactory(institution=institution)
    inviters = {
        "a command": None,
        "an operator": operator,
        "the admin": admin,
        "a teacher": teacher,
    }
    seen = {}
    for who, by in inviters.items():
        allowed = set(
            invitable_people(User.objects.filter(pk__in=[p.pk for p in people.values()]), by=by)
        )
        for kind, person in people.items():
            refusal = invitation_refusal(by=by, person=person)
            assert (refusal is None) == (person in allowed), (who, kind)
            seen[who, kind] = refusal
    assert seen["the admin", "newcomer"] is None
    assert seen["the admin", "with a password"] == SignInError.HAS_PASSWORD
    assert seen["the admin", "deactivated"] == SignInError.INACTIVE
    assert seen["the admin", "an admin"] == SignInError.INVITE_ADMIN
    assert seen["the admin", "of another school"] == SignInError.INVITE_NOT_ALLOWED
    assert seen["an operator", "an admin"] is None
    assert seen["a command", "of another school"] is None
    assert seen["a teacher", "newcomer"] == SignInError.INVITE_NOT_ALLOWED
