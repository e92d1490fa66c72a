"""A real SMTP server (aiosmtpd) on a free local port, for tests where mail delivery matters."""

from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message

from aiosmtpd.controller import Controller


@dataclass
class Mailbox:
    """Accepts every recipient but those in ``refuse`` (550, "no such user") and keeps what it
    was given."""

    refuse: set[str] = field(default_factory=set)
    messages: list[tuple[list[str], Message]] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"

    def recipients(self) -> list[str]:
        """Every recipient of every message, as often as each was delivered."""
        return sorted(address for rcpt_tos, _message in self.messages for address in rcpt_tos)


class MailServer:
    def __init__(self, port: int, mailbox: Mailbox):
        self.port = port
        self.mailbox = mailbox
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
