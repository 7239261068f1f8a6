"""The built-in storage backends: ``memory://`` and ``sqlite:///path``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..storage.base import Store
from ..storage.registry import StorageRegistrar
from .hookspecs import hookimpl


def _memory(url: str, classes: Iterable[type[Any]]) -> Store:
    from ..storage.memory import MemoryStore

    return MemoryStore(classes)


def _sqlite(url: str, classes: Iterable[type[Any]]) -> Store:
    from ..storage.sqlite import SQLiteStore

    return SQLiteStore.from_url(url, classes)


@hookimpl
def successkit_register_storage(register: StorageRegistrar) -> None:
    register("memory", _memory)
    register("sqlite", _sqlite)
