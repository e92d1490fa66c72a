"""Writes to users, institutions and the permission table. Every entry point calls these.

The modules: users (and users_many, their set-wise form for roster imports), institutions,
branding, tokens, act_as, sign_in (limits on log-ins and password resets, where a log-in may lead
next), invitations (and invitation_links: which links work, and withdrawing them),
identity_providers and sso_people (single sign-on: the providers, and whom they sign in).
"""

from accounts.services.act_as import (
    act_as_refusal,
    act_as_start,
    act_as_stop,
)
from accounts.services.branding import institution_branding_set
from accounts.services.identity_providers import (
    OidcPreset,
    identity_provider_add_oidc,
    identity_provider_add_saml,
    identity_provider_remove,
    identity_provider_update,
)
from accounts.services.institutions import (
    institution_audit_retention_set,
    institution_create,
    institution_pairing_settings_set,
    institution_self_registration_set,
    institution_set_up,
    role_permission_set,
)
from accounts.services.invitations import (
    invitable_new_people,
    invitation_accept,
    invitation_batch_request,
    invitation_create,
    invitation_for_token,
    invitation_link_issue,
    invitation_refusal,
    invitation_request_for_login,
    invitations_create_many,
)
from accounts.services.sign_in import (
    login_attempt,
    login_proof_purpose,
    password_reset_count,
    redirect_target_allowed,
)
from accounts.services.sign_up import (
    sign_up_limited,
    sign_up_open_to_everyone,
    teacher_sign_up,
)
from accounts.services.sso_people import (
    sso_account_may_be_made,
    sso_email_trusted,
    sso_person_match,
)
from accounts.services.tokens import (
    IssuedToken,
    api_token_authenticate,
    api_token_create,
    api_token_revoke,
)
from accounts.services.users import (
    password_policy_check,
    user_change_refusal,
    user_create,
    user_login_set,
    user_profile_update,
    user_update,
)
from accounts.services.users_many import (
    UserWanted,
    users_account_admin_grant_many,
    users_upsert_many,
)

__all__ = [
    "IssuedToken",
    "UserWanted",
    "OidcPreset",
    "act_as_refusal",
    "act_as_start",
    "act_as_stop",
    "api_token_authenticate",
    "api_token_create",
    "api_token_revoke",
    "identity_provider_add_oidc",
    "identity_provider_add_saml",
    "identity_provider_remove",
    "identity_provider_update",
    "institution_audit_retention_set",
    "institution_branding_set",
    "institution_create",
    "institution_pairing_settings_set",
    "institution_self_registration_set",
    "institution_set_up",
    "invitation_accept",
    "invitation_batch_request",
    "invitation_create",
    "invitation_for_token",
    "invitation_link_issue",
    "invitation_refusal",
    "invitation_request_for_login",
    "invitable_new_people",
    "invitations_create_many",
    "login_attempt",
    "login_proof_purpose",
    "password_policy_check",
    "password_reset_count",
    "redirect_target_allowed",
    "role_permission_set",
    "sign_up_limited",
    "sso_account_may_be_made",
    "sso_email_trusted",
    "sso_person_match",
    "sign_up_open_to_everyone",
    "teacher_sign_up",
    "user_change_refusal",
    "user_create",
    "user_login_set",
    "user_profile_update",
    "user_update",
    "users_account_admin_grant_many",
    "users_upsert_many",
]
