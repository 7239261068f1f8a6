"""Storage backends: one contract (:class:`Store`), several implementations."""

from .base import Store, StoreStats

__all__ = ["Store", "StoreStats"]
