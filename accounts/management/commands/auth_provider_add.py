"""Add an identity provider (single sign-on) to an institution from the shell, as its
Authentication page does."""

import getpass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.errors import AccountError
from accounts.models import Institution, MatchBy
from accounts.services import (
    OidcPreset,
    identity_provider_add_oidc,
    identity_provider_add_saml,
    identity_provider_update,
)


class Command(BaseCommand):
    help = (
        "Add an OpenID Connect or SAML 2.0 identity provider to an institution. It signs in only "
        "people who already have an account there, matched by e-mail (or SIS ID)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--institution", type=int, required=True, help="The institution's id.")
        kind = parser.add_mutually_exclusive_group(required=True)
        kind.add_argument("--oidc", action="store_true", help="An OpenID Connect provider.")
        kind.add_argument("--saml", action="store_true", help="A SAML 2.0 identity provider.")
        parser.add_argument("--name", default="", help="Shown as 'Sign in with NAME'.")
        parser.add_argument(
            "--preset", choices=OidcPreset.values, default=OidcPreset.OTHER, help="OpenID Connect."
        )
        parser.add_argument("--issuer", default="", help="OpenID Connect: the issuer URL.")
        parser.add_argument("--tenant", default="", help="Microsoft: the tenant (directory) ID.")
        parser.add_argument("--client-id", default="")
        parser.add_argument(
            "--client-secret",
            default=None,
            help="Omit it to be asked for it (a secret typed here stays in the shell's history).",
        )
        parser.add_argument("--metadata-url", default="", help="SAML: the IdP's metadata URL.")
        parser.add_argument(
            "--metadata-file", type=Path, default=None, help="SAML: the IdP's metadata XML file."
        )
        parser.add_argument("--match-by", choices=MatchBy.values, default=MatchBy.EMAIL)
        parser.add_argument("--sis-id-claim", default="", help="The claim or attribute name.")
        parser.add_argument(
            "--create-accounts", action="store_true", help="Make accounts for new people."
        )
        parser.add_argument(
            "--default", action="store_true", help="The log-in page goes straight to it."
        )

    def handle(self, *args, **options):
        institution = Institution.objects.filter(pk=options["institution"]).first()
        if institution is None:
            raise CommandError(f"No institution #{options['institution']}.")
        rules = {
            "match_by": MatchBy(options["match_by"]),
            "sis_id_claim": options["sis_id_claim"],
            "create_accounts": options["create_accounts"],
        }
        try:
            provider = (
                self._oidc(institution, options, rules)
                if options["oidc"]
                else self._saml(institution, options, rules)
            )
            if options["default"]:
                identity_provider_update(provider=provider, is_default=True, by=None, **rules)
        except AccountError as error:
            raise CommandError(error.message) from None
        self.stdout.write(
            f"Identity provider #{provider.pk} {provider.app.name!r} added to {institution.name}."
        )

    def _oidc(self, institution, options, rules):
        secret = options["client_secret"]
        if secret is None:
            secret = getpass.getpass("The client secret: ")
        return identity_provider_add_oidc(
            institution=institution,
            name=options["name"],
            preset=OidcPreset(options["preset"]),
            issuer=options["issuer"],
            tenant=options["tenant"],
            client_id=options["client_id"],
            client_secret=secret,
            by=None,
            **rules,
        )

    def _saml(self, institution, options, rules):
        xml = ""
        if options["metadata_file"] is not None:
            try:
                xml = options["metadata_file"].read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                raise CommandError(f"Cannot read {options['metadata_file']}: {error}") from None
        return identity_provider_add_saml(
            institution=institution,
            name=options["name"],
            metadata_url=options["metadata_url"],
            metadata_xml=xml,
            by=None,
            **rules,
        )
