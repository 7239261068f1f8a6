"""REPORT_05: weekly digests for a CSM, a manager and an executive, composed from
aggregates and delivered through the notification hook — here through a real SMTP
server on loopback — on every backend."""

from __future__ import annotations

import email
import socket
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from email.message import Message
from typing import Any, cast

import pytest
from aiosmtpd.controller import Controller

import successkit as sk
from successkit.plugins.hookspecs import hookimpl
from successkit.plugins.smtp_notifier import SmtpNotifier
from successkit.reports.digests import DIGEST_EVENT
from successkit.reports.sample import sample_book


class _Inbox:
    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted"

    def messages(self) -> list[Message]:
        return [email.message_from_bytes(e.content) for e in self.envelopes]


@pytest.fixture
def smtp_server() -> Iterator[tuple[str, int, _Inbox]]:
    """A real SMTP server on loopback, for one test."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield "127.0.0.1", port, inbox
    finally:
        controller.stop()


class Recorder:
    def __init__(self) -> None:
        self.got: list[sk.Notification] = []

    @hookimpl
    def successkit_deliver(self, notification: sk.Notification, kit: sk.Kit) -> None:
        self.got.append(notification)


def _week(kit: sk.Kit) -> tuple[datetime, datetime]:
    today = kit.today()
    monday = today - timedelta(days=today.weekday())
    start = datetime.combine(monday - timedelta(days=7), datetime.min.time(), tzinfo=timezone.utc)
    return start, start + timedelta(days=7)


def test_a_csm_digest_holds_last_weeks_activities_upcoming_work_and_new_risks__REPORT_05(kit: sk.Kit) -> None:
    csms = sample_book(kit, 20)
    alice = csms[0]
    start, _ = _week(kit)
    company = kit.companies.list([("csm_id", "=", alice.id)], limit=1)[0]
    kit.timeline.log("call", "Kickoff call", company=company, author=alice, occurred_at=start + timedelta(days=1))
    kit.timeline.log("email", "Follow-up", company=company, author=alice, occurred_at=start + timedelta(days=2))
    kit.timeline.log("call", "Too early", company=company, author=alice, occurred_at=start - timedelta(days=1))
    d = kit.digests.csm(alice)
    assert d.audience == "csm" and d.recipient.id == alice.id
    figures = {f.label: f.value for f in d.figures}
    assert figures["activities last week"] == 2
    today = kit.today()
    week = today + timedelta(days=7)
    soon = [t for t in kit.tasks.list([("owner_id", "=", alice.id)])
            if t.closed_at is None and t.due_date is not None and today <= t.due_date <= week]  # fmt: skip
    assert figures["tasks due in 7 days"] == len(soon)
    risks = [c for c in kit.ctas.list([("owner_id", "=", alice.id), ("type", "=", "risk")])
             if start <= c.created_at < start + timedelta(days=7)]  # fmt: skip
    assert figures["new risks"] == len(risks)
    text = d.text()
    assert "Kickoff call" in text and "Follow-up" in text and "Too early" not in text
    assert "<html" not in d.html_fragment() and d.to_html().startswith("<!DOCTYPE html>")


def test_a_manager_digest_has_figures_per_csm__REPORT_05(kit: sk.Kit) -> None:
    csms = sample_book(kit, 25)
    boss = kit.users.create("Maria Boss", email="maria@cs.example")
    d = kit.digests.manager(boss)
    per_csm = d.sections[0].table
    assert per_csm is not None
    assert [r.keys[0] for r in per_csm] == sorted(u.name for u in csms)
    for r in per_csm:
        user = next(u for u in csms if u.name == r.keys[0])
        mine = kit.companies.list([("csm_id", "=", user.id)])
        assert (r["customers"], r["arr"]) == (len(mine), sum(c.arr or 0 for c in mine))
        assert r["open_ctas"] == kit.ctas.count([("owner_id", "=", user.id), ("closed_at", "is empty", None)])
    two = kit.digests.manager(boss, csms=csms[:2])
    assert [r.keys[0] for r in two.sections[0].table or []] == sorted(u.name for u in csms[:2])


def test_an_executive_digest_reads_the_dashboards__REPORT_05(kit: sk.Kit) -> None:
    sample_book(kit, 20)
    boss = kit.users.create("Erin Exec", email="erin@cs.example")
    start, end = _week(kit)
    kit.companies.create_many([{"name": "New one", "arr": 1234.0}])  # created now: this week, not last
    d = kit.digests.executive(boss)
    figures = {f.label: f.value for f in d.figures}
    trends = kit.dashboards.trends(weeks=6)
    assert figures["NPS, latest week"] == trends.nps[-1]
    assert figures["ARR at risk"] == kit.dashboards.arr_at_risk().at_risk_arr
    assert figures["new customers last week"] == sum(1 for c in kit.companies.list() if start <= c.created_at < end)


def test_digests_bounded_in_storage_calls__REPORT_05(kit: sk.Kit) -> None:
    csms = sample_book(kit, 10)
    boss = kit.users.create("Maria Boss", email="maria@cs.example")

    def calls() -> dict[str, int]:
        kit.store.stats.reset()
        kit.digests.csm(csms[0]), kit.digests.manager(boss), kit.digests.executive(boss)
        return {k: v for k, v in kit.store.stats.calls.items() if v}

    calls()
    small = calls()
    sample_book(kit, 190, csms=csms, first=10)
    assert calls() == small


def test_digests_are_delivered_through_a_real_smtp_server__REPORT_05(
    open_kit: Callable[..., sk.Kit], smtp_server: tuple[str, int, _Inbox]
) -> None:
    """Through the notification hook: the SMTP notifier emails each digest to its
    recipient; another notifier gets the same notification."""
    host, port, inbox = smtp_server
    recorder = Recorder()
    kit = open_kit(plugins=[SmtpNotifier(host=host, port=port, sender="cs@example.com"), recorder])
    csms = sample_book(kit, 12)
    boss = kit.users.create("Maria Boss", email="maria@cs.example")
    gone = kit.users.create("Gone", email="gone@cs.example", active=False)
    digests = kit.digests.send_weekly(csms=[csms[0], gone], managers=[boss], executives=[boss])
    assert [d.audience for d in digests] == ["csm", "csm", "manager", "executive"]
    assert [n.event for n in recorder.got] == [DIGEST_EVENT] * 3  # the inactive user gets none
    assert [e.rcpt_tos for e in inbox.envelopes] == [["alice@cs.example"], ["maria@cs.example"],
                                                    ["maria@cs.example"]]  # fmt: skip
    first = inbox.messages()[0]
    assert first["Subject"] == "Your week, Alice Kim" and first["X-Successkit-Event"] == DIGEST_EVENT
    body = cast(bytes, first.get_payload(decode=True)).decode()
    assert "Hello Alice Kim," in body and "Upcoming tasks and CTAs" in body and "new risks:" in body
    manager = cast(bytes, inbox.messages()[1].get_payload(decode=True)).decode()
    assert "Per CSM" in manager and "Bruno Diaz" in manager
    with pytest.raises(sk.ValidationError):
        kit.digests.send(["not a digest"])  # type: ignore[list-item]


def test_digests_reach_webhooks_too__REPORT_05(open_kit: Callable[..., sk.Kit]) -> None:
    """The webhook notifier posts a digest as it posts any notification: signed JSON with
    the digest's title and text."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from successkit.plugins.webhook_notifier import WebhookNotifier

    got: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            got.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hooks/"
        kit = open_kit(plugins=[WebhookNotifier(url, "whsec-test")])
        csms = sample_book(kit, 8)
        kit.digests.send(kit.digests.csm(csms[1]))
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert len(got) == 1
    body = json.loads(got[0])
    assert DIGEST_EVENT in json.dumps(body) and "Your week, Bruno Diaz" in json.dumps(body)
