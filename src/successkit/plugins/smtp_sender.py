"""SMTP with the standard library only: the connection and address checks the
notifier and the email sender share, and the built-in email sender (MAIL_02).

Not registered by default: the host creates a sender with its mail server and
passes it as a plugin::

    from successkit.plugins.smtp_sender import SmtpSender

    sender = SmtpSender(host="mail.example.com", port=587, sender="cs@example.com",
                        starttls=True, username="cs", password="...")
    kit = successkit.open("sqlite:///cs.db", plugins=[sender])

Each email task is one message to all its recipients, sent on its own
connection after the commit, all or nothing: a server that refuses one
recipient gets no message at all, so a task is never half sent.  The sender address is checked when the sender
is made and every recipient before a message is built (SEC_09); the subject
is made one header line.  A refusal by the server (a 4xx or 5xx reply, a
refused recipient) or a connection failure is raised as a
:class:`successkit.SuccessKitError` whose text is the server's reply, so the
task records it and stays in ``verify``.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import attrs

from successkit.accounts.people import check_email
from successkit.errors import SuccessKitError

from .hookspecs import hookimpl

__all__ = ["SmtpSender", "SmtpServer", "header_text"]


def check_address(address: Any, param: str) -> str:
    """The library's one address check (SEC_09)."""
    return check_email(address, param=param)


#: Characters that would end or break a header line: C0 and C1 controls, DEL, Unicode line breaks.
_BREAKS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def header_text(text: str) -> str:
    """``text`` safe as one header value: each run of control characters and line
    breaks becomes one space (titles come from records; the body keeps them)."""
    return _BREAKS.sub(" ", text).strip()


@attrs.define
class SmtpServer:
    """An SMTP server and the address mail from it comes from."""

    host: str
    port: int = 25
    sender: str = attrs.field(default="successkit@localhost", validator=lambda _, __, v: check_address(v, "sender"))

    starttls: bool = attrs.field(default=False, kw_only=True)
    username: str | None = attrs.field(default=None, kw_only=True)
    password: str | None = attrs.field(default=None, repr=False, kw_only=True)
    timeout: float = attrs.field(default=10.0, kw_only=True)

    def send(self, msg: EmailMessage, to: Sequence[str]) -> None:
        """Send one message to ``to`` on a connection of its own, all or nothing: when
        the server refuses any recipient, the message goes to none of them (smtplib
        would deliver it to the others).  smtplib's errors propagate."""
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username is not None:
                smtp.login(self.username, self.password or "")
            smtp.ehlo_or_helo_if_needed()
            code, reply = smtp.mail(self.sender)
            if code != 250:
                raise smtplib.SMTPSenderRefused(code, reply, self.sender)
            refused = {}
            for address in to:
                code, reply = smtp.rcpt(address)
                if code not in (250, 251):
                    refused[address] = (code, reply)
            if refused:
                smtp.rset()
                raise smtplib.SMTPRecipientsRefused(refused)
            code, reply = smtp.data(msg.as_bytes(policy=msg.policy.clone(linesep="\r\n")))
            if code != 250:
                raise smtplib.SMTPDataError(code, reply)


def _reply(error: Exception) -> str:
    """A failed SMTP exchange in words: the server's code and reply where it gave one."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{to}: {code} {reply.decode(errors='replace')}" for to, (code, reply) in error.recipients.items()
        )
    if isinstance(error, smtplib.SMTPResponseException):
        reply = error.smtp_error
        text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
        return f"{error.smtp_code} {text}"
    return f"{type(error).__name__}: {error}"


@attrs.define
class SmtpSender(SmtpServer):
    """Send email tasks through an SMTP server (the built-in ``successkit_send_email``)."""

    def message(self, email: Any) -> EmailMessage:
        """The message for an :class:`successkit.OutgoingEmail`; every recipient is checked (SEC_09)."""
        to = [check_address(a, "the email's recipient") for a in email.to]
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = ", ".join(to)
        msg["Subject"] = header_text(email.subject)
        msg["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2])
        msg["X-Successkit-Task"] = header_text(email.task_id)
        msg.set_content(email.body)
        return msg

    @hookimpl
    def successkit_send_email(self, email: Any, kit: Any) -> str:
        msg = self.message(email)
        try:
            self.send(msg, list(email.to))  # each checked by message()
        except (smtplib.SMTPException, OSError) as e:
            raise SuccessKitError(f"the SMTP server did not accept the email: {_reply(e)}") from e
        return str(msg["Message-ID"])
