"""The pages of signing in (identity providers, invitations, the operators' page) for
tests/test_translations.py, each as (persona, what to do with the client)."""

from allauth.socialaccount.models import SocialApp
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import IdentityProvider, InvitationBatch, User
from accounts.services import invitation_create, invitation_link_issue, user_create


def _admin(w, name, *extra):
    return reverse(name, args=[w.institution.pk, *extra])


def _providers(w) -> tuple[IdentityProvider, IdentityProvider]:
    """An OpenID Connect and a SAML provider of the institution, made once (no network: rows)."""
    made = []
    for kind, name, settings in (
        ("openid_connect", "District Keycloak", {"server_url": "https://sso.example.test"}),
        (
            "saml",
            "District Federation",
            {
                "idp": {
                    "entity_id": "https://idp.example.test",
                    "x509cert": "MIIC",
                    "sso_url": "https://idp.example.test/sso",
                }
            },
        ),
    ):
        slug = f"i{w.institution.pk}-{kind}"
        app, _ = SocialApp.objects.get_or_create(
            provider_id=slug,
            defaults={"provider": kind, "name": name, "client_id": slug, "settings": settings},
        )
        provider, _ = IdentityProvider.objects.get_or_create(
            app=app, defaults={"institution": w.institution, "sign_in_origin": "https://x.test"}
        )
        made.append(provider)
    return made[0], made[1]


def _newcomer(w) -> User:
    """Someone an import made: no password, never signed in."""
    person = User.objects.filter(email="nia@springfield.example").first()
    return person or user_create(
        institution=w.institution, email="nia@springfield.example", name="Nia Newcomer"
    )


def _invited(client, w):
    invitation_create(person=_newcomer(w), by=w.admin)
    return client.get(_admin(w, "institution_invitations"))


def _batch(client, w):
    batch = InvitationBatch.objects.create(
        institution=w.institution, requested_by=w.admin, user_ids=[_newcomer(w).pk]
    )
    return client.get(_admin(w, "invitation_batch", batch.pk))


def _invitation_link(client, w, data=None):
    link = invitation_link_issue(person=_newcomer(w), by=None, base_url="http://testserver/")
    path = link.removeprefix("http://testserver")
    return client.post(path, data) if data else client.get(path)


def _operator_page(client, w):
    operator = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser(
        "ops@example.test", None, name="Ops Operator"
    )
    client.force_login(operator)
    return client.post(reverse("operator_institutions"), {"name": "", "admin_email": "x"})


SIGN_IN_PAGES = {
    "log in, with identity providers": (
        "anonymous",
        lambda c, w: (_providers(w), c.get(reverse("login"), {"local": "1"}))[1],
    ),
    "authentication, with identity providers": (
        "admin",
        lambda c, w: (_providers(w), c.get(_admin(w, "institution_authentication")))[1],
    ),
    "authentication, provider refused": (
        "admin",
        lambda c, w: c.post(
            _admin(w, "identity_provider_add_oidc"),
            {
                "oidc-preset": "other",
                "oidc-issuer": "http://nowhere.example",
                "oidc-match_by": "email",
            },
        ),
    ),
    "identity provider, OpenID Connect": (
        "admin",
        lambda c, w: c.get(_admin(w, "identity_provider", _providers(w)[0].pk)),
    ),
    "identity provider, SAML": (
        "admin",
        lambda c, w: c.get(_admin(w, "identity_provider", _providers(w)[1].pk)),
    ),
    "identity provider, settings refused": (
        "admin",
        lambda c, w: c.post(
            _admin(w, "identity_provider", _providers(w)[0].pk), {"match_by": "sis_id"}
        ),
    ),
    "sign-in cancelled": (
        "anonymous",
        lambda c, w: c.get(reverse("socialaccount_login_cancelled")),
    ),
    "sign-in failed": (
        "anonymous",
        lambda c, w: (
            _providers(w),
            c.get(f"/accounts/saml/{_providers(w)[1].app.client_id}/acs/finish/"),
        )[1],
    ),
    "invitations": ("admin", _invited),
    "invitations, file refused": (
        "admin",
        lambda c, w: c.post(
            _admin(w, "institution_invitations"),
            {"file": SimpleUploadedFile("x.csv", b"a,b\n1,2\n", "text/csv")},
        ),
    ),
    "invitations sent together": ("admin", _batch),
    "a user's invitation": (
        "admin",
        lambda c, w: c.get(_admin(w, "institution_user", _newcomer(w).pk)),
    ),
    "invitation, choose a password": ("anonymous", _invitation_link),
    "invitation, password refused": (
        "anonymous",
        lambda c, w: _invitation_link(c, w, {"new_password1": "a", "new_password2": "b"}),
    ),
    "invitation link that does not work": (
        "anonymous",
        lambda c, w: c.get(reverse("invitation_accept", args=["no-such-token"])),
    ),
    "institutions, operator": ("anonymous", _operator_page),
}
