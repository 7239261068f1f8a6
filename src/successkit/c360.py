"""Customer 360 views (C360_01/02): everything about a company or relationship in one call."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .kit import Kit

__all__ = ["Customer360Service"]


class Customer360Service:
    """``kit.c360``: the company and relationship 360 views."""

    def __init__(self, kit: Kit) -> None:
        self.kit = kit
