"""Rules (RULE_01-03): select companies or relationships, then raise CTAs, plans, activities."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .kit import Kit

__all__ = ["RuleService"]


class RuleService:
    """``kit.rules``: stored rules and their runs."""

    def __init__(self, kit: Kit) -> None:
        self.kit = kit
