"""A new school or district and its first account admin, for a fresh installation."""

import getpass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.errors import AccountError
from accounts.models import Institution, SelfRegistration
from accounts.services import institution_create, user_create


class Command(BaseCommand):
    help = (
        "Make an institution (a school or district) and its first account admin, who logs in "
        "with the e-mail and the password asked for here and does the rest in the portal."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="The institution's name, e.g. 'Springfield Schools'.")
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-name", required=True)
        parser.add_argument(
            "--self-registration",
            choices=SelfRegistration.values,
            default=SelfRegistration.NONE,
            help="Who may sign up themselves (default: nobody; the admin can change it).",
        )

    def handle(self, *args, name, admin_email, admin_name, self_registration, **options):
        if Institution.objects.filter(name__iexact=name.strip()).exists():
            raise CommandError(f"An institution named {name.strip()!r} already exists.")
        password = self._password()
        with transaction.atomic():
            institution = institution_create(
                name=name, self_registration=SelfRegistration(self_registration)
            )
            try:
                admin = user_create(
                    institution=institution,
                    email=admin_email,
                    name=admin_name,
                    password=password,
                    is_account_admin=True,
                )
            except AccountError as error:
                raise CommandError(error.message) from None
        self.stdout.write(
            f"Institution #{institution.pk} {institution.name!r}: {admin.email} is its admin."
        )

    def _password(self) -> str:
        # Asked, never taken from the command line (it would stay in the shell's history).
        password = getpass.getpass("The admin's password: ")
        if password != getpass.getpass("Again: "):
            raise CommandError("The two passwords differ.")
        try:
            validate_password(password)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        return password
