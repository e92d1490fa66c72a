"""The portal's background worker: e-mail notices and school-wide code exports (keep it running
beside the portal)."""

import logging
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from accounts.audit import audit_context
from accounts.models import AuditSource
from pairing.alerts import guessing_alerts_send
from pairing.notices import new_observer_notices_send
from pairing.services.exports import code_export_claim, code_export_run, code_exports_purge

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Send the e-mails students are owed about new observers and admins about guessing, make "
        "the pairing-code exports "
        "admins ask for, and forget finished files after a day. Run one or more beside the web "
        "server; they never take the same notice or export."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Make what is waiting now, then stop."
        )
        parser.add_argument(
            "--poll", type=float, default=2.0, help="Seconds between looks when idle (default 2)."
        )

    def handle(self, *args, once: bool, poll: float, **options):
        self.stdout.write("Waiting for notices and exports." if not once else "Running once.")
        while True:
            close_old_connections()  # a restarted database, or one idle too long
            code_exports_purge()
            while new_observer_notices_send():  # every notice owed now, a batch at a time
                pass
            guessing_alerts_send()
            export = code_export_claim()
            if export is None:
                if once:
                    return
                time.sleep(poll)
                continue
            self.stdout.write(f"Export #{export.pk}: started.")
            try:
                with audit_context(source=AuditSource.COMMAND, client_address=None):
                    code_export_run(export=export)
            except Exception:
                # One export that failed (recorded on it) must not stop the others.
                logger.exception("Export #%s failed", export.pk)
                continue
            self.stdout.write(
                f"Export #{export.pk}: {export.state}, {export.done} of {export.total}."
            )
