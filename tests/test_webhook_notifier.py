"""The built-in webhook notifier (NOTIF_05), against a real HTTP server on loopback."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

import successkit as sk
from successkit.plugins.webhook_notifier import SIGNATURE_HEADER, WebhookNotifier, sign, verify_signature

from .helpers import World

SECRET = "whsec-test"


class Receiver:
    """What the loopback server answers (in order; the last answer repeats) and what it got."""

    def __init__(self) -> None:
        self.answers: list[int] = [204]
        self.got: list[tuple[dict[str, str], bytes]] = []
        self.retry_after: str | None = None
        self.url = ""

    def answer(self) -> int:
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            rec.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
            code = rec.answer()
            if code == 0:  # hang up without an answer
                self.close_connection = True
                return
            self.send_response(code)
            if rec.retry_after is not None:
                self.send_header("Retry-After", rec.retry_after)
            if code == 302:
                self.send_header("Location", rec.url + "elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    rec.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def open_kit(clock: sk.FixedClock) -> Iterator[Callable[..., sk.Kit]]:
    """Kits in memory: the notifier does not touch storage, one backend is enough."""
    kits: list[sk.Kit] = []

    def _open(**kwargs: Any) -> sk.Kit:
        kits.append(sk.open(clock=clock, entry_points=False, **kwargs))
        return kits[-1]

    yield _open
    for k in kits:
        k.close()


def _kit(open_kit: Callable[..., sk.Kit], notifier: WebhookNotifier) -> tuple[sk.Kit, World]:
    kit = open_kit(plugins=[notifier])
    w = World(kit)
    kit.users.update(w.alice, email="alice@example.com")
    kit.notifications.subscribe(w.alice, "plan_assigned")
    return kit, w


def test_webhook_posts_signed_json_after_commit__NOTIF_05(
    open_kit: Callable[..., sk.Kit], receiver: Receiver, clock: sk.FixedClock
) -> None:
    notifier = WebhookNotifier(receiver.url, SECRET, clock=lambda: 1_800_000_000)
    kit, w = _kit(open_kit, notifier)
    plan = kit.plans.create("Onboarding", company=w.acme, plan_type="onboarding", owner=w.alice)
    ((headers, body),) = receiver.got
    assert headers["content-type"] == "application/json"
    assert headers["x-successkit-event"] == "plan_assigned"
    doc = json.loads(body)
    assert doc == {
        "id": headers["x-successkit-delivery"],
        "event": "plan_assigned",
        "delivery": "realtime",
        "title": "Success plan 'Onboarding' was assigned to you",
        "message": "",
        "record": {"kind": "plan", "id": plan.id},
        "actor_id": None,
        "at": kit.now().isoformat(),
        "recipient": {"id": w.alice.id, "name": "Alice", "email": "alice@example.com"},
        "items": [],
    }
    signature = headers[SIGNATURE_HEADER.lower()]
    assert signature.startswith("t=1800000000,v1=")
    assert verify_signature(SECRET, body, signature, now=1_800_000_010)
    assert not verify_signature("another secret", body, signature, now=1_800_000_010)
    assert not verify_signature(SECRET, body + b" ", signature, now=1_800_000_010)  # the body changed
    assert not verify_signature(SECRET, body, signature, now=1_800_000_000 + 301)  # replayed later
    assert not verify_signature(SECRET, body, "t=1800000000", now=1_800_000_000)
    assert not verify_signature(SECRET, body, None)


def test_webhook_digest_carries_its_items__NOTIF_05(
    open_kit: Callable[..., sk.Kit], receiver: Receiver, clock: sk.FixedClock
) -> None:
    kit, w = _kit(open_kit, WebhookNotifier(receiver.url, SECRET))
    kit.notifications.subscribe(w.alice, "plan_assigned", delivery="daily")
    kit.plans.create("P", company=w.acme, plan_type="onboarding", owner=w.alice)
    clock.advance(minutes=5)
    kit.plans.create("Q", company=w.acme, plan_type="onboarding", owner=w.alice)
    assert receiver.got == []
    clock.set(datetime(2026, 11, 25, 0, 1, tzinfo=timezone.utc))
    kit.notifications.send_digests()
    ((headers, body),) = receiver.got
    doc = json.loads(body)
    assert headers["x-successkit-event"] == doc["event"] == "digest"
    assert [i["title"] for i in doc["items"]] == [
        "Success plan 'P' was assigned to you",
        "Success plan 'Q' was assigned to you",
    ]
    assert verify_signature(SECRET, body, headers[SIGNATURE_HEADER.lower()])


def test_webhook_retries_after_503_then_delivers__NOTIF_05(
    open_kit: Callable[..., sk.Kit], receiver: Receiver, clock: sk.FixedClock
) -> None:
    receiver.answers = [503, 503, 429, 200]
    sleeps = Sleeps()
    kit, w = _kit(open_kit, WebhookNotifier(receiver.url, SECRET, attempts=5, base_delay=0.5, sleep=sleeps))
    kit.plans.create("P", company=w.acme, plan_type="onboarding", owner=w.alice)
    assert len(receiver.got) == 4
    assert sleeps.waits == [0.5, 1.0, 2.0]  # exponential backoff
    ids = {h["x-successkit-delivery"] for h, _ in receiver.got}
    assert len(ids) == 1  # one delivery id: a receiver can drop repeats
    assert all(verify_signature(SECRET, b, h[SIGNATURE_HEADER.lower()]) for h, b in receiver.got)


def test_webhook_honours_retry_after_within_the_cap__NOTIF_05(receiver: Receiver, nw_note: sk.Notification) -> None:
    receiver.answers, receiver.retry_after = [429, 204], "120"
    sleeps = Sleeps()
    assert WebhookNotifier(receiver.url, SECRET, max_delay=3.0, sleep=sleeps).post(nw_note)
    assert sleeps.waits == [3.0] and len(receiver.got) == 2


def test_webhook_gives_up_after_the_attempts_and_logs__NOTIF_05(
    open_kit: Callable[..., sk.Kit], receiver: Receiver, caplog: pytest.LogCaptureFixture, clock: sk.FixedClock
) -> None:
    receiver.answers = [500]
    sleeps = Sleeps()
    kit, w = _kit(
        open_kit, WebhookNotifier(receiver.url, SECRET, attempts=3, base_delay=1, max_delay=1.5, sleep=sleeps)
    )
    with caplog.at_level(logging.WARNING, logger="successkit.plugins.webhook_notifier"):
        plan = kit.plans.create("P", company=w.acme, plan_type="onboarding", owner=w.alice)
    assert len(receiver.got) == 3 and sleeps.waits == [1.0, 1.5]
    assert kit.plans.get(plan.id).name == "P"  # the change stays
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "answered 500; gave up on plan_assigned" in warning and "after 3 attempts" in warning


def test_webhook_does_not_retry_a_400__NOTIF_05(
    open_kit: Callable[..., sk.Kit], receiver: Receiver, caplog: pytest.LogCaptureFixture, clock: sk.FixedClock
) -> None:
    receiver.answers = [400, 204]
    sleeps = Sleeps()
    kit, w = _kit(open_kit, WebhookNotifier(receiver.url, SECRET, sleep=sleeps))
    with caplog.at_level(logging.WARNING, logger="successkit.plugins.webhook_notifier"):
        kit.plans.create("P", company=w.acme, plan_type="onboarding", owner=w.alice)
    assert len(receiver.got) == 1 and sleeps.waits == []
    assert any("answered 400" in r.getMessage() and "not retried" in r.getMessage() for r in caplog.records)


def test_webhook_retries_when_the_receiver_hangs_up__NOTIF_05(receiver: Receiver, nw_note: sk.Notification) -> None:
    receiver.answers = [0, 204]
    sleeps = Sleeps()
    assert WebhookNotifier(receiver.url, SECRET, sleep=sleeps).post(nw_note)
    assert len(receiver.got) == 2 and sleeps.waits == [0.5]


def test_webhook_does_not_follow_redirects__NOTIF_05(receiver: Receiver, nw_note: sk.Notification) -> None:
    receiver.answers = [302]
    assert not WebhookNotifier(receiver.url, SECRET, sleep=Sleeps()).post(nw_note)
    assert len(receiver.got) == 1  # the signed body went to one URL only


def test_webhook_connection_refused_is_retried_then_logged__NOTIF_05(
    nw_note: sk.Notification, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sleeps = Sleeps()
    notifier = WebhookNotifier(f"http://127.0.0.1:{port}/x?token=hidden", SECRET, attempts=2, sleep=sleeps, timeout=2)
    with caplog.at_level(logging.WARNING, logger="successkit.plugins.webhook_notifier"):
        notifier.successkit_deliver(nw_note, None)  # never raises
    assert sleeps.waits == [0.5]
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "gave up" in warning and "hidden" not in warning  # the query (a token) stays out of logs


@pytest.fixture
def nw_note() -> sk.Notification:
    at = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)
    user = sk.User(id="u1", name="Alice", email="alice@example.com", created_at=at, updated_at=at)
    return sk.Notification("plan_assigned", user, "Plan 'P' was assigned to you", record_kind="plan", record_id="p1")


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/x",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "example.com/hook",
        "http://",
        "",
        "http://exa mple.com/",
        "http://example.com:99999/",
        None,
        42,
    ],
)
def test_webhook_accepts_only_http_urls__NOTIF_05(url: Any) -> None:
    with pytest.raises(sk.ValidationError) as e:
        WebhookNotifier(url, SECRET)
    assert e.value.rule == "NOTIF_05" and e.value.value == url


@pytest.mark.parametrize(
    "values",
    [
        {"secret": ""},
        {"secret": None},
        {"attempts": 0},
        {"attempts": 1.5},
        {"attempts": True},
        {"base_delay": -1},
        {"timeout": float("nan")},
        {"headers": {"X-A": "one\r\nX-B: two"}},
        {"headers": ["X-A"]},
    ],
)
def test_webhook_settings_are_checked__NOTIF_05(values: dict[str, Any]) -> None:
    args: dict[str, Any] = {"url": "https://hooks.example.com/in", "secret": SECRET, **values}
    with pytest.raises(sk.ValidationError) as e:
        WebhookNotifier(**args)
    assert e.value.rule == "NOTIF_05"


def test_signature_is_hmac_sha256_of_timestamp_and_body__NOTIF_05() -> None:
    import hashlib
    import hmac

    expected = hmac.new(b"k", b"1700000000.{}", hashlib.sha256).hexdigest()
    assert sign("k", 1_700_000_000, b"{}") == f"t=1700000000,v1={expected}"
    assert "zq-secret" not in repr(WebhookNotifier("https://h.example/", "zq-secret"))  # the secret stays out of reprs
