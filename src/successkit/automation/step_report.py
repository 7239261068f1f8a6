"""What the reports of a rule run and of a program advance share: counting their
steps by result and action, and the steps as a DataFrame."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

__all__ = ["StepReport"]


class StepReport:
    """Mixed into a frozen attrs report with ``steps`` whose items have ``action`` and
    ``result``; ``step_class`` names their class for the DataFrame's columns."""

    __slots__ = ()
    step_class: ClassVar[type[Any]]
    steps: Sequence[Any]

    def count(self, result: str, action: str | None = None) -> int:
        """How many steps had ``result`` (for one ``action``, or all)."""
        return sum(1 for s in self.steps if s.result == result and action in (None, s.action))

    def summary(self) -> dict[str, dict[str, int]]:
        """Counts per action and result: ``{"create_cta": {"created": 3, ...}}``."""
        out: dict[str, dict[str, int]] = {}
        for s in self.steps:
            out.setdefault(s.action, {}).setdefault(s.result, 0)
            out[s.action][s.result] += 1
        return out

    def to_pandas(self) -> Any:
        """The steps as a pandas DataFrame (needs the ``pandas`` extra)."""
        from successkit.views.frames import records_frame

        return records_frame(self.steps, record_class=self.step_class)
