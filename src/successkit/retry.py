"""Retrying an operation that lost an optimistic-concurrency race (STORE_04).

A write based on a stale version of a record is refused with
:class:`~successkit.errors.ConflictError` and writes nothing.  When the caller's
intent still holds against the newer version ("add 1 to the NPS", "move the
due date to March"), the right answer is to read again and try again::

    import successkit as sk

    def bump() -> sk.Company:
        current = kit.companies.get(acme_id)          # re-read on every attempt
        return kit.companies.update(current, nps=(current.nps or 0) + 1)

    sk.retry(bump)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from .errors import ConflictError, ValidationError

__all__ = ["backoff_delay", "retry"]

T = TypeVar("T")


def backoff_delay(attempt: int, base_delay: float, max_delay: float) -> float:
    """How long to wait after failed attempt ``attempt`` (1, 2, ...): a random
    time between 0 and ``min(max_delay, base_delay * 2**(attempt - 1))`` seconds
    (exponential backoff with full jitter).  The storage backends' own retries
    of transient database errors use it too."""
    import random  # on the first retry only: ``import successkit`` does without it

    return random.uniform(0, min(max_delay, base_delay * 2 ** (attempt - 1)))


def retry(operation: Callable[[], T], *, attempts: int = 5, base_delay: float = 0.01, max_delay: float = 0.5) -> T:
    """Call ``operation`` and return its result, retrying on :class:`ConflictError`.

    At most ``attempts`` calls are made.  Before attempt *n* + 1 the caller
    sleeps a random time between 0 and ``min(max_delay, base_delay * 2**(n-1))``
    seconds (exponential backoff with full jitter, so competing writers spread
    out instead of colliding again).  When every attempt conflicts, the last
    :class:`ConflictError` is raised.  Any other error is raised at once.

    Only safe when ``operation`` **re-reads what it changes** on every call:
    it must fetch the current record (``kit.companies.get(id)``, or pass an id
    instead of a record) and compute the new value from it.  Retrying a call
    that writes a record object read once, outside the operation, conflicts
    every time; worse, an operation that computes the new value from data read
    outside it would overwrite the other writer's change, which is exactly the
    lost update the conflict error exists to prevent.  The operation should also
    be one transaction (every service method is), so a conflict leaves nothing
    half-written before the next attempt.
    """
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
        raise ValidationError("attempts must be a whole number >= 1", value=attempts)
    if base_delay < 0 or max_delay < 0:
        raise ValidationError("delays must be >= 0", value=(base_delay, max_delay))
    for attempt in range(1, attempts + 1):
        try:
            return operation()
        except ConflictError:
            if attempt == attempts:
                raise
            time.sleep(backoff_delay(attempt, base_delay, max_delay))
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises
