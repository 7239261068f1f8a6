"""The built-in storage backends: ``memory://``, ``sqlite:///path`` and ``postgresql://...``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from successkit.storage.base import Store
from successkit.storage.registry import StorageRegistrar

from .hookspecs import hookimpl


def _memory(url: str, classes: Iterable[type[Any]]) -> Store:
    from successkit.storage.memory import MemoryStore

    return MemoryStore(classes)


def _sqlite(url: str, classes: Iterable[type[Any]]) -> Store:
    from successkit.storage.sqlite import SQLiteStore

    return SQLiteStore.from_url(url, classes)


def _postgres(url: str, classes: Iterable[type[Any]]) -> Store:
    try:
        from successkit.storage.postgres import PostgresStore
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("the PostgreSQL backend needs psycopg: pip install 'successkit[postgres]'") from e
    return PostgresStore.from_url(url, classes)


@hookimpl
def successkit_register_storage(register: StorageRegistrar) -> None:
    register("memory", _memory)
    register("sqlite", _sqlite)
    register("postgresql", _postgres)
    register("postgres", _postgres)
