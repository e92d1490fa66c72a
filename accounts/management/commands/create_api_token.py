"""Print a new personal access token for a user, for scripts and set-up."""

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.services import api_token_create


class Command(BaseCommand):
    help = "Make an API access token for the user with this e-mail and print it (shown only once)."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--purpose", default="Command line", help="What the token is for.")

    def handle(self, *args, email: str, purpose: str, **options):
        user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
        if user is None:
            raise CommandError(f"No active user logs in with {email!r}.")
        issued = api_token_create(user=user, purpose=purpose)
        # Only the token on stdout, so that scripts can capture it: TOKEN=$(manage.py create_api_token …)
        self.stdout.write(issued.token)
