"""The storage conformance suite, run on every backend of the ``kit`` fixture."""

from successkit.testing import StoreConformance


class TestStoreConformance(StoreConformance):
    """STORE_01-STORE_04 on memory and SQLite (and any backend added to conftest)."""
