"""Test helpers for backend authors: the storage conformance suite.

A third-party backend proves itself by subclassing :class:`StoreConformance`
in its own tests and providing a ``kit`` fixture opened on its URL::

    from successkit.testing import StoreConformance

    class TestMyBackend(StoreConformance):
        @pytest.fixture
        def kit(self):
            return successkit.open("mybackend://...")
"""

from .conformance import StoreConformance
from .faults import fail_each_write, snapshot

__all__ = ["StoreConformance", "fail_each_write", "snapshot"]
