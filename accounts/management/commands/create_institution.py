"""A new school or district and its first account admin, for a fresh installation."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.errors import AccountError
from accounts.models import SelfRegistration
from accounts.services import institution_set_up, invitation_create, invitation_link_issue
from accounts.services.invitations import portal_base_url


class Command(BaseCommand):
    help = (
        "Make an institution (a school or district) and its first account admin, who gets an "
        "invitation link to set their password and does the rest in the portal."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="The institution's name, e.g. 'Springfield Schools'.")
        parser.add_argument("--admin-email", required=True)
        parser.add_argument(
            "--admin-name", default="", help="Default: the e-mail address's first part."
        )
        parser.add_argument(
            "--domain",
            default=None,
            help="The host name its people use, e.g. portal.springfield.example (its log-in "
            "page, its links in e-mails).",
        )
        parser.add_argument(
            "--self-registration",
            choices=SelfRegistration.values,
            default=SelfRegistration.NONE,
            help="Who may sign up themselves (default: nobody; the admin can change it).",
        )
        parser.add_argument(
            "--print-link",
            action="store_true",
            help="Print the admin's invitation link here instead of e-mailing it (it is a "
            "password: hand it over safely). Without it, the background worker e-mails it.",
        )

    def handle(self, *args, name, admin_email, admin_name, domain, self_registration, **options):
        try:
            with transaction.atomic():
                institution, admin = institution_set_up(
                    name=name,
                    admin_email=admin_email,
                    admin_name=admin_name,
                    domain=domain,
                    self_registration=SelfRegistration(self_registration),
                    by=None,
                )
                if options["print_link"]:
                    link = invitation_link_issue(person=admin, by=None)
                else:
                    # Said now, not by a job later: the link needs the portal's address.
                    invitation_create(person=admin, by=None, base_url=portal_base_url(institution))
        except AccountError as error:
            raise CommandError(error.message) from None
        self.stdout.write(
            f"Institution #{institution.pk} {institution.name!r}: {admin.email} is its admin."
        )
        if options["print_link"]:
            self.stdout.write(
                f"Their invitation link (works once, for {settings.INVITATION_DAYS} days; it sets "
                f"their password):\n{link}"
            )
        else:
            self.stdout.write(
                f"An invitation e-mail to {admin.email} is queued; the background worker "
                "(manage.py run_worker) sends it."
            )
