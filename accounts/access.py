from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from accounts.models import ApiToken, Institution, User

NOT_AN_ADMIN = _("Only admins of this school or district can open its settings.")


def get_institution_for_user(
    user: User, institution_id: int, *, write: bool = False
) -> Institution:
    """The user's own institution (404 for any other); ``write`` needs an account admin (403)."""
    if user.institution_id != institution_id:
        raise Http404("No such institution.")
    institution = Institution.objects.get(pk=institution_id)
    if write and not user.is_account_admin:
        raise PermissionDenied(NOT_AN_ADMIN)
    return institution


def get_api_token_for_user(user: User, token_id: int) -> ApiToken:
    """One of the user's own tokens; anybody else's does not exist for them (404)."""
    token = ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).first()
    if token is None:
        raise Http404("No such token.")
    return token
