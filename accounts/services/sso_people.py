"""Who a sign-in through an identity provider is: the one rule that accounts.sso asks.

An identity provider is run by a district, not by the portal: whoever controls it (or a mailbox
it vouches for) must not get more from it than its own people's accounts. So:

- only active people of the provider's own institution are matched, by login e-mail or by SIS ID
  (a claim the admin names), or by the link an earlier sign-in made;
- an e-mail address counts only when the provider does not say it is unverified (OpenID Connect's
  ``email_verified``, which some providers send as the string "false");
- admins and platform operators never get a session this way, whatever matched them: they log in
  with their password (there is no flow that links them to a provider on purpose).
"""

from accounts.errors import SignInError
from accounts.models import IdentityProvider, MatchBy, User

# What providers send as email_verified when they have not checked the address.
UNVERIFIED = {"false", "0", "no", "off", ""}


def sso_email_trusted(*, email: str, email_verified: object = None) -> str:
    """The address a provider vouches for, or "" when it says it has not checked it.

    ``email_verified`` absent (None): SAML attributes and Microsoft Entra do not send it; the
    district's own provider vouches for its own addresses.
    """
    if email_verified is not None and str(email_verified).strip().lower() in UNVERIFIED:
        return ""
    return str(email or "").strip()[:254]


def sso_person_match(
    *, provider: IdentityProvider, email: str, sis_id: str, linked: User | None = None
) -> User | None:
    """The active person of the provider's institution this sign-in is, or None (nobody).

    ``email`` is the address as sso_email_trusted returned it; ``linked`` the account an earlier
    sign-in linked. SignInError(SSO_PRIVILEGED) for an admin or a platform operator.
    """
    people = User.objects.filter(institution_id=provider.institution_id, is_active=True)
    if linked is not None:
        user = people.filter(pk=linked.pk).first()
    elif provider.match_by == MatchBy.SIS_ID:
        user = people.filter(sis_user_id=sis_id).first() if sis_id else None
    else:
        user = people.filter(email__iexact=email).first() if email else None
    if user is not None and (user.is_account_admin or user.is_staff or user.is_superuser):
        raise SignInError(SignInError.SSO_PRIVILEGED)
    return user


def sso_account_may_be_made(*, provider: IdentityProvider, email: str) -> bool:
    """Whether this provider may make an account for someone sso_person_match found nobody for:
    only where the admin lets it, for a vouched-for address nobody in the portal has."""
    return bool(
        provider.create_accounts and email and not User.objects.filter(email__iexact=email).exists()
    )
