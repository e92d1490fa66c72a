from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from accounts.models import ApiToken, IdentityProvider, Institution, InvitationBatch, User
from accounts.permissions import is_platform_operator, user_has_permission
from accounts.roles import Permission

NOT_AN_ADMIN = _("Only admins of this school or district can open its settings.")


def get_institution_for_user(
    user: User,
    institution_id: int,
    *,
    write: bool = False,
    permission: Permission | None = None,
    refused: str = NOT_AN_ADMIN,
) -> Institution:
    """The user's own institution (404 for any other); ``write`` needs an account admin and
    ``permission`` that permission there (403 with ``refused`` otherwise).

    Platform operators (superusers) open every institution's pages, with every right: the one
    place that lets them in.
    """
    operator = is_platform_operator(user)
    if user.institution_id != institution_id and not operator:
        raise Http404("No such institution.")
    institution = Institution.objects.filter(pk=institution_id).first()
    if institution is None:
        raise Http404("No such institution.")
    if operator:
        return institution
    if write and not user.is_account_admin:
        raise PermissionDenied(refused)
    if permission is not None and not user_has_permission(user, permission):
        raise PermissionDenied(refused)
    return institution


def get_institution_member_for_user(
    user: User, institution_id: int, member_id: int
) -> tuple[Institution, User]:
    """One person of an institution whose admin pages ``user`` opens (get_institution_for_user,
    write): 404 for anyone else."""
    institution = get_institution_for_user(user, institution_id, write=True)
    member = User.objects.filter(pk=member_id, institution=institution).first()
    if member is None:
        raise Http404("No such user.")
    return institution, member


def get_api_token_for_user(user: User, token_id: int) -> ApiToken:
    """One of the user's own tokens; anybody else's does not exist for them (404)."""
    token = ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).first()
    if token is None:
        raise Http404("No such token.")
    return token


def get_identity_provider_for_user(
    user: User, institution_id: int, provider_id: int
) -> IdentityProvider:
    """One identity provider of an institution whose admin pages ``user`` opens: 404 otherwise."""
    institution = get_institution_for_user(user, institution_id, write=True)
    provider = (
        IdentityProvider.objects.select_related("app", "institution")
        .filter(pk=provider_id, institution=institution)
        .first()
    )
    if provider is None:
        raise Http404("No such identity provider.")
    return provider


def get_invitation_batch_for_user(
    user: User, institution_id: int, batch_id: int
) -> InvitationBatch:
    institution = get_institution_for_user(user, institution_id, write=True)
    batch = InvitationBatch.objects.filter(pk=batch_id, institution=institution).first()
    if batch is None:
        raise Http404("No such invitations.")
    return batch
