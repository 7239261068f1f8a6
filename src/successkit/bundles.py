"""Solution bundles (VAULT_01-04): files of assets deployed in one transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .kit import Kit

__all__ = ["BundleService"]


class BundleService:
    """``kit.bundles``: validate and deploy solution bundles."""

    def __init__(self, kit: Kit) -> None:
        self.kit = kit
