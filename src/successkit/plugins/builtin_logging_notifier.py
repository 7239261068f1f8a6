"""A notifier that writes every notification to Python ``logging``.

Registered by default, so notifications are visible in an application's logs
with no setup; the logger is ``successkit.notify`` at INFO level.  Hosts that
do not want it can unregister it: ``kit.plugins.unregister(name=
"successkit.plugins.builtin_logging_notifier")``.
"""

from __future__ import annotations

import logging
from typing import Any

from .hookspecs import hookimpl

log = logging.getLogger("successkit.notify")


@hookimpl
def successkit_deliver(notification: Any, kit: Any) -> None:
    n = notification
    log.info(
        "[%s/%s] to %s <%s>: %s",
        n.event,
        n.delivery,
        n.recipient.name,
        n.recipient.email or "-",
        n.title,
        extra={"successkit_event": n.event, "successkit_user": n.recipient.id},
    )
