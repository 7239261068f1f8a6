"""What keeps the portal's pages safe (PORTAL_04): security headers on every
response, signed form tokens against cross-site requests, and share tokens kept
out of access logs.

A share link's token is in its path only for the first request, which trades it
for a cookie and redirects; :class:`RedactTokens` rewrites that one path in log
records (uvicorn's access log, or any logger a host points it at), so a token
never reaches a log file.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "ACCESS_LOGGERS",
    "CSP",
    "SECURITY_HEADERS",
    "ChangeBudget",
    "RedactTokens",
    "SecurityHeaders",
    "form_token",
    "redact",
    "redact_access_log",
    "same_site",
]

#: No scripts at all, styles from the portal's own stylesheet, no framing by other sites,
#: forms that post back to the portal only.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
#: Sent with every response.  ``no-referrer``: a page's address never travels to a site it links to.
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"x-robots-tag", b"noindex, nofollow"),
)
#: A share link's path: ``/s/`` (or ``/S/``) and the whole segment after it, up to the next
#: ``/``, ``?``, ``#``, space or quote: a link mangled on its way (a zero-width space or ``<``
#: before the token, a letter's case changed, a ``>`` after it) still holds the token.
_LINK = re.compile(r"/[sS]/[^/?#\s\"']*")
REDACTED = "/s/[token]"


class SecurityHeaders:
    """ASGI middleware adding :data:`SECURITY_HEADERS` to every response of the app it wraps."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k for k, _ in SECURITY_HEADERS}
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message["headers"] = [*kept, *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


def form_token(secret: bytes, purpose: str, bound_to: str) -> str:
    """The form token of a page (PORTAL_04): an HMAC of what the page's principal
    holds (a share's token, a user id).  Another site can neither read it from the
    page nor compute it, so a form it posts carries none that checks."""
    return hmac.new(secret, f"{purpose}\x00{bound_to}".encode(), hashlib.sha256).hexdigest()


def redact(text: str) -> str:
    """``text`` with every share link's token replaced by ``[token]``."""
    return _LINK.sub(REDACTED, text)


class RedactTokens(logging.Filter):
    """A log filter that takes share tokens out of a record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):  # in place: a server's own mapping type keeps its lookups
            for k, v in list(record.args.items()):
                if isinstance(v, str):
                    record.args[k] = redact(v)
        return True


#: The access loggers of the ASGI servers a host is likely to run the portal with.
ACCESS_LOGGERS = ("uvicorn.access", "gunicorn.access", "hypercorn.access")


def redact_access_log(*loggers: str) -> None:
    """Add :class:`RedactTokens` to the access loggers of uvicorn, gunicorn and
    hypercorn (and ``loggers``), once each.  :func:`successkit.web.app` calls it; a
    host logging requests elsewhere adds the filter to that logger itself."""
    for name in (*ACCESS_LOGGERS, *loggers):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())


def same_site(headers: Any) -> bool:
    """Whether a browser that says where a request comes from says it is not another
    site: ``Sec-Fetch-Site`` when it is sent, else ``Origin`` against the host the
    request was sent to (an older browser; ``Origin: null`` is another site).  A
    request that says neither (no browser) is judged by its form token alone."""
    site = headers.get("sec-fetch-site")
    if site is not None:
        return bool(site in ("same-origin", "none"))
    origin = headers.get("origin")
    if origin is None:
        return True
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    hosts = [headers.get("host"), (headers.get("x-forwarded-host") or "").split(",")[0].strip()]
    return bool(parts.netloc) and _plain_host(parts.netloc, parts.scheme) in {_plain_host(h) for h in hosts if h}


def _plain_host(netloc: str, scheme: str = "") -> str:
    """A host and port, lower case, without the scheme's default port (``Host`` may carry
    ``:443`` where ``Origin`` never does)."""
    netloc = netloc.lower()
    for default in {"http": (":80",), "https": (":443",)}.get(scheme, (":80", ":443")):
        if netloc.endswith(default):
            return netloc[: -len(default)]
    return netloc


class ChangeBudget:
    """At most ``limit`` changes per key (a link's token) in any ``window`` seconds, in this
    process: a link with change rights cannot fill a plan's timeline with thousands of
    comments, or write a task over and over (PORTAL_04).  Each worker keeps its own count."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self.spent: dict[str, deque[float]] = {}

    def take(self, key: str) -> bool:
        """Count one change for ``key``; False (and nothing counted) when its budget is spent."""
        now = self.clock()
        if len(self.spent) > 10_000:  # forget keys whose window has passed, now and then
            self.spent = {k: q for k, q in self.spent.items() if q and q[-1] > now - self.window}
        times = self.spent.setdefault(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) >= self.limit:
            return False
        times.append(now)
        return True
