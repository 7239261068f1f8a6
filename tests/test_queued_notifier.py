"""QueuedNotifier: deliveries after the commit (NOTIF_03) on a worker thread, so a slow
notifier no longer slows the call that caused the notification."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pytest

import successkit as sk
from successkit.plugins.queued_notifier import QueuedNotifier


def _world(kit: sk.Kit) -> tuple[sk.User, sk.User, sk.Company]:
    alice = kit.users.create("Alice", email="alice@example.com")
    carol = kit.users.create("Carol", email="carol@example.com")
    kit.notifications.subscribe(alice, "plan_assigned")
    return alice, carol, kit.companies.create("Acme")


def test_a_slow_notifier_no_longer_slows_the_call__NOTIF_03(url: str, clock: sk.FixedClock) -> None:
    delivered: list[tuple[str, str]] = []
    release = threading.Event()

    def slow(notification: Any, kit: Any) -> None:
        release.wait(5)  # a webhook that hangs until released
        delivered.append((notification.event, threading.current_thread().name))

    notifier = QueuedNotifier(slow)
    kit = sk.open(url, clock=clock, plugins=[notifier], entry_points=False)
    try:
        alice, carol, acme = _world(kit)
        started = time.monotonic()
        kit.as_user(carol).plans.create("Onboarding", company=acme, plan_type="onboarding", owner=alice)
        assert time.monotonic() - started < 2  # returned while the delivery still hangs
        assert delivered == [] and notifier.pending + 1 >= 1
        release.set()
        notifier.join()
        assert delivered == [("plan_assigned", "successkit-queued-notifier")]
    finally:
        notifier.close()
        kit.close()


def test_nothing_is_queued_for_rolled_back_work_and_failures_are_logged__NOTIF_03(
    caplog: pytest.LogCaptureFixture,
) -> None:
    got: list[str] = []

    def flaky(notification: Any, kit: Any) -> None:
        if not got:
            got.append("failed")
            raise RuntimeError("receiver down")
        got.append(notification.title)

    notifier = QueuedNotifier(flaky)
    kit = sk.open(plugins=[notifier], entry_points=False)
    alice, carol, acme = _world(kit)
    as_carol = kit.as_user(carol)
    with pytest.raises(RuntimeError), as_carol.transaction():
        as_carol.plans.create("Rolled back", company=acme, plan_type="onboarding", owner=alice)
        raise RuntimeError("undo")
    with caplog.at_level(logging.ERROR, logger="successkit.plugins.queued_notifier"):
        as_carol.plans.create("First", company=acme, plan_type="onboarding", owner=alice)
        as_carol.plans.create("Second", company=acme, plan_type="onboarding", owner=alice)
        notifier.join()
    assert "could not be delivered" in caplog.text  # the first failed, was logged, the worker went on
    assert len(got) == 2 and "Second" in got[1] and not any("Rolled back" in g for g in got)
    notifier.close()
    as_carol.plans.create("After close", company=acme, plan_type="onboarding", owner=alice)
    assert "After close" in got[-1]  # a closed notifier delivers in the call


def test_it_wraps_a_notifier_object_and_checks_its_arguments() -> None:
    class Inbox:
        def __init__(self) -> None:
            self.got: list[Any] = []

        def successkit_deliver(self, notification: Any, kit: Any) -> None:
            self.got.append(notification)

    inbox = Inbox()
    notifier = QueuedNotifier(inbox)
    notifier.successkit_deliver("n", None)
    notifier.join()
    assert inbox.got == ["n"]
    notifier.close()
    for bad in ({"maxsize": 0}, {"maxsize": True}):
        with pytest.raises(sk.ValidationError):
            QueuedNotifier(inbox, **bad)
    with pytest.raises(sk.ValidationError):
        QueuedNotifier(42)
