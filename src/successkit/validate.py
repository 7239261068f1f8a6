"""Small input checks shared by the services; each refusal names the value."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from .errors import ValidationError

__all__ = ["as_list", "check_attributes", "require_text", "text_list"]


def require_text(kind: str, field: str, value: Any) -> str:
    """A required, non-blank text value, stripped."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{kind} {field} is required and must be non-blank text", value=value)
    return value.strip()


def check_attributes(kind: str, given: Mapping[str, Any], allowed: Mapping[str, type]) -> dict[str, Any]:
    """Check attribute names and types; numbers may be ints where floats are expected."""
    out: dict[str, Any] = {}
    for name, value in given.items():
        expected = allowed.get(name)
        if expected is None:
            raise ValidationError(f"{kind} has no attribute {name!r}; known: {', '.join(sorted(allowed))}",
                                  value=name)
        t = type(value)
        if value is None or (t is expected and (t is not float or math.isfinite(value))):
            out[name] = value  # the common case: exactly the expected type
        else:
            out[name] = _typed(kind, name, value, expected)
    return out


def _typed(kind: str, name: str, value: Any, expected: type) -> Any:
    if expected is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValidationError(f"{kind} {name} must be a number", value=value)
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):  # JSON has no NaN or infinity (DATA_01)
            raise ValidationError(f"{kind} {name} must be a finite number", value=value)
        return number
    if expected is date:
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                raise ValidationError(f"{kind} {name} must be a date (YYYY-MM-DD)", value=value) from None
        if isinstance(value, datetime) or not isinstance(value, date):
            raise ValidationError(f"{kind} {name} must be a date", value=value)
        return value
    if expected is str and hasattr(value, "id") and isinstance(value.id, str):
        return value.id  # a record given where its id is stored (csm_id=alice)
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        raise ValidationError(f"{kind} {name} must be {expected.__name__}", value=value)
    return value


def as_list(kind: str, field: str, value: Any) -> list[Any]:
    """A list given as any iterable; None means empty; a bare string is refused
    (it would otherwise be taken as a list of its characters)."""
    if value is None:
        return []
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise ValidationError(f"{kind} {field} is a list", value=value)
    return list(value)


def text_list(kind: str, field: str, value: Any) -> tuple[str, ...]:
    """A list of non-empty text values."""
    items = as_list(kind, field, value)
    for item in items:
        if not isinstance(item, str) or not item:
            raise ValidationError(f"{kind} {field} holds non-empty text values", value=item)
    return tuple(items)


def check_names(what: str, given: Iterable[str], allowed: Iterable[str]) -> None:
    """Refuse names outside ``allowed`` ("plans have no editable field 'x'; editable: ...")."""
    known = sorted(allowed)
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise ValidationError(f"{what} {unknown[0]!r}; known: {', '.join(known)}", value=unknown[0])
