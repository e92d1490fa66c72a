"""A person's data from the command line: everything held about them as JSON, or their deletion
(the same services as the admin's page; an operator at the shell, so admins are refused here)."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder

from accounts.audit import audit_context
from accounts.errors import AccountError
from accounts.models import AuditSource, User
from accounts.personal_data import person_delete
from pairing.services import person_data_export


class Command(BaseCommand):
    help = (
        "export USER_ID: print everything the portal holds about a person, as JSON. "
        "delete USER_ID: delete them, with their enrollments, links and pairing codes (their "
        "audit events stay, naming them by number only). Admins are deleted in the Django admin."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["export", "delete"])
        parser.add_argument("user_id", type=int)

    def handle(self, *args, action: str, user_id: int, **options):
        person = User.objects.select_related("institution").filter(pk=user_id).first()
        if person is None:
            raise CommandError(f"No user #{user_id}.")
        with audit_context(source=AuditSource.COMMAND):
            try:
                if action == "export":
                    document = person_data_export(person=person, by=None)
                    self.stdout.write(json.dumps(document, cls=DjangoJSONEncoder, indent=2))
                    return
                deleted = person_delete(person=person, by=None)
            except AccountError as error:
                raise CommandError(error.message) from None
        kinds = ", ".join(f"{count} {label}" for label, count in sorted(deleted.items()))
        self.stdout.write(f"User #{user_id} deleted ({kinds or 'nothing else'}).")
