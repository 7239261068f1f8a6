"""A notifier that POSTs each notification as JSON to a URL, signed with HMAC (NOTIF_05).

Standard library only (``urllib.request``, ``hmac``).  Not registered by
default: the host creates one with the receiver's URL and a shared secret and
passes it as a plugin::

    from successkit.plugins.webhook_notifier import WebhookNotifier

    notifier = WebhookNotifier("https://hooks.example.com/successkit", secret="s3cret")
    kit = successkit.open("sqlite:///cs.db", plugins=[notifier])

Each notification is one ``POST`` with a JSON body (:func:`payload`) and these headers:

- ``Content-Type: application/json``
- ``X-Successkit-Event``: the event name (``digest`` for a digest)
- ``X-Successkit-Delivery``: an id for this notification, the same on every retry
  (a receiver that already handled it can ignore a repeat)
- ``X-Successkit-Signature: t=<unix seconds>,v1=<hex>``: ``<hex>`` is the
  HMAC-SHA256, keyed with the secret, of ``"<t>." + body`` (the timestamp, a dot
  and the exact body bytes).  A receiver recomputes it over the raw body, compares
  in constant time and refuses a timestamp too far from its own clock (a replay);
  :func:`verify_signature` does all three.

A response of 2xx is a delivery.  A connection error, a timeout, a 5xx or a 429
is tried again, up to ``attempts`` in all, after waiting ``base_delay * 2**(n-1)``
seconds (at most ``max_delay``; a 429's or 503's ``Retry-After`` in seconds is
honoured within the same cap); every retry is signed afresh.  Any other answer
(4xx, a redirect) is final: redirects are not followed, so a body signed for one
URL is never sent to another.  A notification that could not be delivered is
logged (logger ``successkit.plugins.webhook_notifier``, WARNING) and dropped: it
never raises into the host's change, which is already committed.  Retries happen
in the call that committed the change, so their total wait is bounded by
``attempts``, ``max_delay`` and ``timeout``.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import math
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

import attrs

from successkit.errors import ValidationError

from .hookspecs import hookimpl

__all__ = [
    "SIGNATURE_HEADER",
    "WebhookNotifier",
    "check_url",
    "payload",
    "post_signed",
    "sign",
    "verify_signature",
    "where",
]

log = logging.getLogger(__name__)

#: The header carrying the timestamp and the signature.
SIGNATURE_HEADER = "X-Successkit-Signature"
#: The longest a receiver accepts a signature by default: five minutes.
DEFAULT_TOLERANCE = 300
#: Statuses worth trying again: the receiver is overloaded or failed for now.
_RETRIED = frozenset({429, 500, 502, 503, 504})
#: The most attempts a notifier makes for one notification.
_MAX_ATTEMPTS = 10
#: The longest webhook URL taken (what servers and proxies commonly accept).
MAX_URL = 2048
_CONTROL = frozenset(chr(c) for c in (*range(0x21), *range(0x7F, 0xA0)))


def check_url(url: Any) -> str:
    """``url`` if it is an absolute ``http`` or ``https`` URL with a host (NOTIF_05)."""
    if not isinstance(url, str) or not url or any(c in _CONTROL for c in url):
        raise ValidationError("a webhook URL is http(s) text without spaces", rule="NOTIF_05", value=url)
    if len(url) > MAX_URL:
        raise ValidationError(f"a webhook URL is at most {MAX_URL} characters", rule="NOTIF_05", value=len(url))
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ValidationError("a webhook URL is a valid http(s) URL", rule="NOTIF_05", value=url) from None
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise ValidationError("a webhook URL is an http or https URL with a host", rule="NOTIF_05", value=url)
    if parts.username is not None or parts.password is not None:  # they would end up in logs and proxies
        raise ValidationError(
            "a webhook URL holds no user name or password: the HMAC signature authenticates the call",
            rule="NOTIF_05",
            value=where(url),
        )
    return url


def _secret(value: Any) -> bytes:
    if isinstance(value, str):
        value = value.encode()
    if not isinstance(value, bytes) or not value:
        raise ValidationError("a webhook secret is non-empty text or bytes", rule="NOTIF_05", value=type(value))
    return value


def _positive(name: str, value: Any, *, whole: bool = False) -> Any:
    ok = isinstance(value, int) and 1 <= value <= _MAX_ATTEMPTS if whole else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok or not math.isfinite(value) or value < 0:
        kind = f"a whole number from 1 to {_MAX_ATTEMPTS}" if whole else "a finite number >= 0"
        raise ValidationError(f"webhook {name} must be {kind}", rule="NOTIF_05", value=value)
    return value


def _headers(value: Any) -> dict[str, str]:
    """Extra headers: text names and values, none of which could start a header of its own."""
    if not isinstance(value, Mapping):
        raise ValidationError("webhook headers are a mapping of text to text", rule="NOTIF_05", value=value)
    for name, text in value.items():
        if (
            not (isinstance(name, str) and name and isinstance(text, str))
            or any(c in _CONTROL - {" ", "\t"} for c in name + text)
            or " " in name
        ):
            raise ValidationError("a webhook header is a name and a one-line value", rule="NOTIF_05", value=name)
    return dict(value)


def sign(secret: str | bytes, timestamp: int, body: bytes) -> str:
    """The signature header's value for ``body`` sent at ``timestamp`` (unix seconds)."""
    mac = hmac.new(_secret(secret), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify_signature(
    secret: str | bytes,
    body: bytes,
    header: str | None,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> bool:
    """Whether ``header`` (the ``X-Successkit-Signature`` value) signs ``body`` with
    ``secret`` at a time within ``tolerance`` seconds of ``now`` (default: the clock).

    For receivers: pass the raw request body, exactly as received.
    """
    if not isinstance(header, str) or not isinstance(body, bytes):
        return False
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    stamp, given = fields.get("t", ""), fields.get("v1", "")
    if not stamp.isdigit() or not given:
        return False
    if abs((time.time() if now is None else now) - int(stamp)) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, int(stamp), body), f"t={stamp},v1={given}")


def _when(value: datetime | date | None) -> str | None:
    return None if value is None else value.isoformat()


def _event(n: Any) -> dict[str, Any]:
    return {
        "event": n.event,
        "delivery": n.delivery,
        "title": n.title,
        "message": n.message,
        "record": None if n.record_kind is None else {"kind": n.record_kind, "id": n.record_id},
        "actor_id": n.actor_id,
        "at": _when(n.at),
    }


def payload(notification: Any, delivery_id: str) -> dict[str, Any]:
    """The JSON document POSTed for a notification: the event's fields, the
    recipient (``id``, ``name``, ``email``) and, for a digest, its ``items``."""
    n = notification
    user = n.recipient
    return {
        "id": delivery_id,
        **_event(n),
        "recipient": {"id": user.id, "name": user.name, "email": getattr(user, "email", None)},
        "items": [_event(i) for i in n.items],
    }


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are answers, not instructions: the signed body goes to one URL only."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def where(url: str) -> str:
    """The URL without its query and credentials, for logs (a token may be in the query)."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}{parts.path}"


def post_signed(how: Any, body: bytes, headers: Mapping[str, str], *, what: str) -> bool:
    """POST ``body`` to ``how.url``, signed afresh with ``how.secret`` at every attempt and
    retried as the module says (``how`` carries ``url``, ``secret``, ``attempts``,
    ``base_delay``, ``max_delay``, ``timeout``, ``sleep`` and ``clock``, as a
    :class:`WebhookNotifier` does); True once the receiver answered 2xx.  Never raises
    for a failed delivery: it is logged (``what`` names it) and False is returned.
    Shared by the notifier and the rules' ``call_webhook`` action (AUTO_03)."""
    opener = urllib.request.build_opener(_NoRedirect)
    for attempt in range(1, how.attempts + 1):
        signed = {**headers, SIGNATURE_HEADER: sign(how.secret, int(how.clock()), body)}
        req = urllib.request.Request(how.url, data=body, headers=signed, method="POST")
        wait: float | None = None
        try:
            with opener.open(req, timeout=how.timeout) as response:
                response.read()
            return True
        except urllib.error.HTTPError as e:
            e.close()
            if e.code not in _RETRIED:
                log.warning("webhook %s answered %s to %s; not retried", where(how.url), e.code, what)
                return False
            problem, wait = f"answered {e.code}", _retry_after(e)
        except (OSError, ValueError, http.client.HTTPException) as e:  # refused, reset, timed out, a bad answer
            problem = f"failed ({e})"
        if attempt == how.attempts:
            log.warning("webhook %s %s; gave up on %s after %d attempts", where(how.url), problem, what, attempt)
            return False
        delay = min(how.max_delay, how.base_delay * 2 ** (attempt - 1) if wait is None else wait)
        log.info("webhook %s %s; attempt %d of %d in %.2fs", where(how.url), problem, attempt + 1, how.attempts, delay)
        how.sleep(delay)
    return False  # pragma: no cover - the loop always returns


def _retry_after(error: urllib.error.HTTPError) -> float | None:
    value = error.headers.get("Retry-After") if error.headers is not None else None
    return float(value) if isinstance(value, str) and value.strip().isdigit() else None


@attrs.define
class WebhookNotifier:
    """POST each notification as signed JSON to ``url``, retrying with backoff (NOTIF_05)."""

    url: str = attrs.field(converter=check_url)
    secret: bytes = attrs.field(converter=_secret, repr=False)
    attempts: int = attrs.field(default=4, validator=lambda _, __, v: _positive("attempts", v, whole=True))
    base_delay: float = attrs.field(default=0.5, validator=lambda _, __, v: _positive("base_delay", v))
    max_delay: float = attrs.field(default=8.0, validator=lambda _, __, v: _positive("max_delay", v))
    timeout: float = attrs.field(default=5.0, validator=lambda _, __, v: _positive("timeout", v))
    headers: dict[str, str] = attrs.field(factory=dict, converter=_headers)
    #: Waits between attempts (tests pass a recorder instead of ``time.sleep``).
    sleep: Callable[[float], None] = time.sleep
    #: Unix seconds for the signature's timestamp.
    clock: Callable[[], float] = time.time

    def request(self, notification: Any, delivery_id: str) -> tuple[bytes, dict[str, str]]:
        """The body and headers (unsigned) of a notification's POST."""
        body = json.dumps(payload(notification, delivery_id), separators=(",", ":"), ensure_ascii=False).encode()
        headers = {
            **self.headers,
            "Content-Type": "application/json",
            "User-Agent": "successkit-webhook",
            "X-Successkit-Event": notification.event,
            "X-Successkit-Delivery": delivery_id,
        }
        return body, headers

    def post(self, notification: Any) -> bool:
        """Deliver one notification; True once the receiver answered 2xx.

        Never raises for a failed delivery: it is logged and False is returned.
        """
        delivery_id = str(uuid.uuid4())
        body, headers = self.request(notification, delivery_id)
        return post_signed(self, body, headers, what=f"{notification.event} {delivery_id}")

    def _where(self) -> str:
        return where(self.url)

    @hookimpl
    def successkit_deliver(self, notification: Any, kit: Any) -> None:
        try:
            self.post(notification)
        except Exception:  # a bug in the payload (a host's odd record): logged, never the host's problem
            log.exception("webhook %s could not send %s", self._where(), notification.event)
