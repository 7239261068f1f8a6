"""The goal library (GOAL_02): templates new goals start from."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from successkit.errors import ValidationError
from successkit.records import GoalTemplate
from successkit.records.checks import check_attributes, check_names, flag, require_text
from successkit.service import Service
from successkit.views.record_list import RecordList

__all__ = ["GoalTemplateService"]


class GoalTemplateService(Service[GoalTemplate]):
    """``kit.goal_templates``: the goal library (GOAL_02)."""

    record_class = GoalTemplate

    def create(
        self,
        name: str,
        *,
        description: str | None = None,
        status: str | None = None,
        due_days: int | None = None,
        fields: Mapping[str, Any] | None = None,
    ) -> GoalTemplate:
        """A goal template whose values new goals start from."""
        name = require_text(self.kind, "name", name)
        values = check_attributes(
            self.kind, {"description": description, "due_days": due_days}, {"description": str, "due_days": int}
        )
        if values["due_days"] is not None and values["due_days"] < 0:
            raise ValidationError("due_days is a whole number of days >= 0", value=due_days)
        if status is not None:
            status = self.kit.statuses.get("goal", status).key
        with self.kit.transaction():
            template = self._new(
                name=name, status=status, default_fields=self.kit.custom_fields.check("goal", fields), **values
            )
            self.kit.store.insert(template)
        return template

    def search(self, text: str = "", *, include_inactive: bool = False) -> RecordList[GoalTemplate]:
        """Templates whose name contains ``text`` (ignoring case), by name."""
        include_inactive = flag(self.kind, "include_inactive", include_inactive)
        where: list[tuple[Any, ...]] = [("name", "contains", text)] if text else []
        if not include_inactive:
            where.append(("active", "=", True))
        return self.list(where, sort=["name"])

    def update(self, template: GoalTemplate | str, **changes: Any) -> GoalTemplate:
        """Edit name, description, status, due_days, fields or active."""
        allowed = {"name", "description", "status", "due_days", "fields", "active"}
        check_names("goal templates have no editable field", changes, allowed)
        values: dict[str, Any] = {}
        if "name" in changes:
            values["name"] = require_text(self.kind, "name", changes["name"])
        values.update(
            check_attributes(
                self.kind,
                {k: changes[k] for k in ("description", "due_days", "active") if k in changes},
                {"description": str, "due_days": int, "active": bool},
            )
        )
        if changes.get("status") is not None:
            values["status"] = self.kit.statuses.get("goal", changes["status"]).key
        elif "status" in changes:
            values["status"] = None
        with self.kit.transaction():
            current = self._current(template)
            if "fields" in changes:
                values["default_fields"] = self.kit.custom_fields.check(
                    "goal", {**current.default_fields, **(changes["fields"] or {})}
                )
            return self._save(current, values)

    def delete(self, template: GoalTemplate | str) -> None:
        """Delete a template; goals made from it keep their values."""
        self.kit.store.delete(self.kind, self.id_of(template))
