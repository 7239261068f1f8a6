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
import re
import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

import attrs

from successkit.accounts.people import check_email
from successkit.errors import ValidationError

from .hookspecs import hookimpl

__all__ = ["SmtpNotifier", "render"]

log = logging.getLogger(__name__)


def _email(user: Any) -> str | None:
    return getattr(user, "email", None) or None


def _check(address: Any, param: str) -> str:
    """The library's one address check (SEC_09)."""
    return check_email(address, param=param)


#: Characters that would end or break a header line: C0 and C1 controls, DEL, Unicode line breaks.
_BREAKS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def header_text(text: str) -> str:
    """``text`` safe as one header value: each run of control characters and line
    breaks becomes one space (titles come from records; the body keeps them)."""
    return _BREAKS.sub(" ", text).strip()


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
class SmtpNotifier:
    """Email each notification to its recipient through an SMTP server."""

    host: str
    port: int = 25
    sender: str = attrs.field(default="successkit@localhost", validator=lambda _, __, v: _check(v, "sender"))
    email_of: Callable[[Any], str | None] = _email
    starttls: bool = False
    username: str | None = None
    password: str | None = attrs.field(default=None, repr=False)
    timeout: float = 10.0

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
            to = _check(to, "the recipient's email")
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
        if msg is None:
            return
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username is not None:
                smtp.login(self.username, self.password or "")
            smtp.send_message(msg)
