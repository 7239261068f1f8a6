"""Fixtures shared by every test: a kit on each backend, a fixed clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

import successkit as sk

#: Every backend the conformance suite and the rule tests run on.
BACKENDS = ["memory", "sqlite"]

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)


def backend_url(name: str, tmp_path: Path) -> str:
    if name == "memory":
        return "memory://"
    if name == "sqlite":
        return f"sqlite:///{tmp_path}/successkit-test.db"
    raise ValueError(name)


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a fresh, empty store on each backend."""
    return backend_url(request.param, tmp_path)


@pytest.fixture
def clock() -> sk.FixedClock:
    return sk.FixedClock(NOW)


@pytest.fixture
def open_kit(url: str, clock: sk.FixedClock) -> Iterator[Callable[..., sk.Kit]]:
    """Open kits on the test's store; all are closed after the test."""
    kits: list[sk.Kit] = []

    def _open(**kwargs: object) -> sk.Kit:
        kwargs.setdefault("clock", clock)
        kwargs.setdefault("entry_points", False)
        k = sk.open(url, **kwargs)  # type: ignore[arg-type]
        kits.append(k)
        return k

    yield _open
    for k in kits:
        k.close()


@pytest.fixture
def kit(open_kit: Callable[..., sk.Kit]) -> sk.Kit:
    """A kit on a fresh store of each backend, with a fixed clock."""
    return open_kit()
