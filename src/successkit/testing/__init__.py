"""Test helpers for backend authors: the storage conformance suite.

A third-party backend proves itself by subclassing :class:`StoreConformance`
in its own tests and providing a ``kit`` fixture opened on an empty store, and a
``reopen`` fixture opening another kit on the same store (for the persistence and
concurrency tests; without it they are skipped, saying so)::

    from successkit.testing import StoreConformance

    class TestMyBackend(StoreConformance):
        @pytest.fixture
        def kit(self, tmp_path):
            return successkit.open(f"mybackend:///{tmp_path}/db")

        @pytest.fixture
        def reopen(self, tmp_path):
            return lambda: successkit.open(f"mybackend:///{tmp_path}/db")
"""

from .conformance import StoreConformance
from .faults import fail_each_write, snapshot
from .persistence import PersistenceConformance

__all__ = ["PersistenceConformance", "StoreConformance", "fail_each_write", "snapshot"]
