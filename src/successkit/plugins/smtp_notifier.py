"""A notifier that emails notifications over SMTP, with the standard library only.

Not registered by default: the host creates one with its mail server and
passes it as a plugin::

    from successkit.plugins.smtp_notifier import SmtpNotifier

    notifier = SmtpNotifier(host="mail.example.com", port=587, sender="cs@example.com",
                            starttls=True, username="cs", password="...")
    kit = successkit.open("sqlite:///cs.db", plugins=[notifier])

``email_of(user)`` finds the recipient's address (by default the user's
``email``); a user without one is skipped, and so is an address that is not
exactly one valid address (SEC_09: a list or header-like text never becomes a
``To:``).  The sender is checked the same way when the notifier is made.  Each notification is one message,
sent on its own connection: notifications come one at a time, after commits,
and a connection held open between them would only go stale.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

import attrs

from successkit.errors import ValidationError

from .hookspecs import hookimpl
from .smtp_sender import SmtpServer, check_address, header_text

__all__ = ["SmtpNotifier", "header_text", "render"]

log = logging.getLogger(__name__)


def _email(user: Any) -> str | None:
    return getattr(user, "email", None) or None


def render(notification: Any) -> tuple[str, str]:
    """The subject and plain-text body of a notification's email."""
    n = notification
    lines = [f"Hello {n.recipient.name},", "", n.title]
    if n.message:
        lines.append(n.message)
    for item in n.items:
        lines.append(f"- {item.title}" + (f" ({item.message})" if item.message else ""))
    lines += ["", "-- successkit"]
    return n.title, "\n".join(lines) + "\n"


@attrs.define
class SmtpNotifier(SmtpServer):
    """Email each notification to its recipient through an SMTP server."""

    email_of: Callable[[Any], str | None] = _email

    def message(self, notification: Any) -> EmailMessage | None:
        """The email for a notification, or None when the recipient has no address."""
        to = self.email_of(notification.recipient)
        if not to:
            log.warning(
                "user %s has no email address; notification %s not emailed",
                notification.recipient.id,
                notification.event,
            )
            return None
        try:
            to = check_address(to, "the recipient's email")
        except ValidationError as e:
            log.warning("user %s: %s; notification %s not emailed", notification.recipient.id, e, notification.event)
            return None
        subject, body = render(notification)
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = to
        msg["Subject"] = header_text(subject)
        msg["X-Successkit-Event"] = header_text(notification.event)
        msg.set_content(body)
        return msg

    @hookimpl
    def successkit_deliver(self, notification: Any, kit: Any) -> None:
        msg = self.message(notification)
        if msg is not None:
            self.send(msg, [str(msg["To"])])
