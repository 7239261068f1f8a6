"""Storage backends by URL scheme, filled by the ``successkit_register_storage`` hook."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

from successkit.errors import StorageError, ValidationError

from .base import Store

__all__ = ["StorageFactory", "StorageRegistrar", "StorageRegistry"]

StorageFactory = Callable[[str, Iterable[type[Any]]], Store]


class StorageRegistrar(Protocol):
    """What the ``successkit_register_storage`` hook is handed."""

    def __call__(self, scheme: str, factory: StorageFactory) -> None: ...


class StorageRegistry:
    """Maps URL schemes to backend factories."""

    def __init__(self) -> None:
        self._factories: dict[str, StorageFactory] = {}

    def register(self, scheme: str, factory: StorageFactory) -> None:
        scheme = scheme.lower()
        if scheme in self._factories:
            raise ValidationError("storage scheme registered twice", value=scheme)
        self._factories[scheme] = factory

    @property
    def schemes(self) -> list[str]:
        return sorted(self._factories)

    def open(self, url: str, classes: Iterable[type[Any]]) -> Store:
        """Open the backend the URL's scheme names."""
        scheme, sep, _ = url.partition("://")
        factory = self._factories.get(scheme.lower()) if sep else None
        if factory is None:
            known = ", ".join(f"{s}://" for s in self.schemes)
            raise StorageError(f"unknown storage URL; known schemes: {known}", value=url)
        return factory(url, classes)
