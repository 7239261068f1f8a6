"""A notifier that takes delivery off the caller's path: a queue and a worker thread.

Notifiers run after the commit on the thread that made the change (NOTIF_03), so a
slow one (a webhook answering in 2 s) makes the call that caused the notification
slow.  Wrapping it hands each notification to a worker thread instead; the call
then costs a ``queue.put``::

    from successkit.plugins.queued_notifier import QueuedNotifier
    from successkit.plugins.webhook_notifier import WebhookNotifier

    notifier = QueuedNotifier(WebhookNotifier("https://hooks.example.com/cs", secret="s3cret"))
    kit = successkit.open("sqlite:///cs.db", plugins=[notifier])
    ...
    notifier.close()   # at shutdown: deliver what is queued, then stop the worker

The queue lives in memory: what is still queued when the process dies is lost
(a host that cannot lose one enqueues into its job system from a notifier of its
own instead).  A delivery that raises is logged (logger
``successkit.plugins.queued_notifier``) and the worker goes on with the next.
Deliveries run one at a time, in the order the commits handed them over.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from successkit.errors import ValidationError

from .hookspecs import hookimpl

__all__ = ["QueuedNotifier"]

log = logging.getLogger(__name__)

Deliver = Callable[[Any, Any], None]
_STOP = object()


class QueuedNotifier:
    """Delivers through ``notifier`` (an object with ``successkit_deliver(notification,
    kit)``, such as :class:`~successkit.plugins.webhook_notifier.WebhookNotifier`, or
    such a function) on a worker thread.  ``maxsize`` bounds the queue: when it is
    full, the committing call waits for room rather than dropping a notification."""

    def __init__(self, notifier: Any, *, maxsize: int = 10_000) -> None:
        deliver = getattr(notifier, "successkit_deliver", notifier)
        if not callable(deliver):
            raise ValidationError("QueuedNotifier wraps a notifier or a function (notification, kit)", value=notifier)
        if isinstance(maxsize, bool) or not isinstance(maxsize, int) or maxsize < 1:
            raise ValidationError("maxsize is a whole number >= 1", value=maxsize)
        self._deliver: Deliver = deliver
        self._queue: queue.Queue[Any] = queue.Queue(maxsize)
        self._closed = False
        self._worker = threading.Thread(target=self._work, name="successkit-queued-notifier", daemon=True)
        self._worker.start()

    @hookimpl
    def successkit_deliver(self, notification: Any, kit: Any) -> None:
        """Queue the notification and return at once (a closed notifier delivers in the call)."""
        if self._closed:
            self._deliver(notification, kit)
            return
        self._queue.put((notification, kit))

    @property
    def pending(self) -> int:
        """How many notifications wait for the worker (about: it changes as you read it)."""
        return self._queue.qsize()

    def join(self) -> None:
        """Wait until every notification queued so far has been delivered (or has failed)."""
        self._queue.join()

    def close(self, timeout: float | None = None) -> None:
        """Deliver what is queued, then stop the worker (waiting at most ``timeout``
        seconds for it); later notifications are delivered in the call."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        self._worker.join(timeout)

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is _STOP:
                    return
                notification, kit = item
                self._deliver(notification, kit)
            except Exception:  # the change is committed: log it and go on with the next
                log.exception("a queued notification could not be delivered")
            finally:
                self._queue.task_done()
