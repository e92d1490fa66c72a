"""Who a sign-in through an identity provider is (accounts.services.sso_people), asked directly:
the browser tests (tests/browser/test_single_sign_on.py) run the same rules through real
providers. A district runs its provider, so it gets its own active people and nothing more:
never an admin's or an operator's account, never someone else's institution, never an address
it says it has not checked."""

import pytest

from accounts.errors import SignInError
from accounts.models import MatchBy, User
from accounts.services import (
    identity_provider_add_saml,
    sso_account_may_be_made,
    sso_email_trusted,
    sso_person_match,
)
from tests.factories import InstitutionFactory, UserFactory


@pytest.fixture
def provider(institution, saml_metadata):
    return identity_provider_add_saml(
        institution=institution, name="Springfield SSO", metadata_xml=saml_metadata, by=None
    )


@pytest.fixture
def alice(institution):
    return UserFactory(institution=institution, email="alice@springfield.test", sis_user_id="S-1")


def test_an_active_person_of_the_institution_is_matched_by_e_mail_in_any_case(provider, alice):
    assert sso_person_match(provider=provider, email="Alice@Springfield.TEST", sis_id="") == alice


def test_by_sis_id_when_the_admin_says_so_and_not_by_e_mail_then(provider, alice):
    provider.match_by, provider.sis_id_claim = MatchBy.SIS_ID, "student_number"
    assert sso_person_match(provider=provider, email="", sis_id="S-1") == alice
    assert sso_person_match(provider=provider, email=alice.email, sis_id="") is None


def test_nobody_of_another_institution_or_deactivated_is_matched(provider, alice):
    other = UserFactory(institution=InstitutionFactory(), email="bob@shelbyville.test")
    assert sso_person_match(provider=provider, email=other.email, sis_id="") is None
    User.objects.filter(pk=alice.pk).update(is_active=False)
    assert sso_person_match(provider=provider, email=alice.email, sis_id="") is None
    assert sso_person_match(provider=provider, email="", sis_id="", linked=alice) is None


@pytest.mark.parametrize(
    "role",
    [{"is_account_admin": True}, {"is_staff": True}, {"is_superuser": True}],
    ids=["account admin", "staff", "superuser"],
)
@pytest.mark.parametrize("by", ["e-mail", "SIS ID", "earlier link"])
def test_an_admin_or_operator_is_never_signed_in_by_a_provider(provider, institution, role, by):
    chief = UserFactory(institution=institution, email="chief@springfield.test", sis_user_id="C")
    User.objects.filter(pk=chief.pk).update(**role)
    chief.refresh_from_db()
    if by == "SIS ID":
        provider.match_by, provider.sis_id_claim = MatchBy.SIS_ID, "student_number"
    with pytest.raises(SignInError) as refused:
        sso_person_match(
            provider=provider,
            email=chief.email if by == "e-mail" else "",
            sis_id="C" if by == "SIS ID" else "",
            linked=chief if by == "earlier link" else None,
        )
    assert refused.value.message == SignInError.SSO_PRIVILEGED


@pytest.mark.parametrize("claim", [False, "false", "False", "0", 0, "no", ""])
def test_an_address_the_provider_says_it_has_not_checked_matches_nobody(provider, alice, claim):
    email = sso_email_trusted(email=alice.email, email_verified=claim)
    assert email == ""
    assert sso_person_match(provider=provider, email=email, sis_id="") is None


@pytest.mark.parametrize("claim", [True, "true", "TRUE", 1, None])
def test_a_checked_address_or_one_the_provider_does_not_qualify_counts(claim):
    # None: SAML attributes and Microsoft Entra send no email_verified at all.
    assert sso_email_trusted(email=" alice@springfield.test ", email_verified=claim) == (
        "alice@springfield.test"
    )


def test_an_account_is_made_only_where_allowed_for_a_checked_address_nobody_has(provider, alice):
    assert not sso_account_may_be_made(provider=provider, email="new@springfield.test")
    provider.create_accounts = True
    assert sso_account_may_be_made(provider=provider, email="new@springfield.test")
    assert not sso_account_may_be_made(provider=provider, email="")
    assert not sso_account_may_be_made(provider=provider, email="ALICE@springfield.test")
    elsewhere = UserFactory(institution=InstitutionFactory(), email="carol@shelbyville.test")
    assert not sso_account_may_be_made(provider=provider, email=elsewhere.email)
