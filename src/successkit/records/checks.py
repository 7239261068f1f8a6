"""Small input checks shared by the services; each refusal names the value."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timezone
from typing import Any

from successkit.errors import ValidationError
from successkit.query.schema import FieldType, schema_of

__all__ = [
    "as_list",
    "check_attributes",
    "check_record",
    "json_data",
    "list_of",
    "plain_text",
    "require_text",
    "require_type",
    "text_list",
]

#: The range of a stored integer (SQLite's and PostgreSQL's BIGINT).
INT_MIN, INT_MAX = -(2**63), 2**63 - 1


def plain_text(value: str) -> bool:
    """Text every backend stores and gives back whole: no NUL, no lone surrogates."""
    if "\x00" in value:
        return False
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def json_data(value: Any) -> bool:
    """JSON data that comes back unchanged from every backend: mappings with text
    keys, lists (not tuples: they come back as lists), text, finite numbers,
    True/False and None."""
    if value is None or isinstance(value, (bool, int)):
        return True  # JSON numbers have no range: every backend gives big integers back whole
    if isinstance(value, str):
        return plain_text(value)
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(json_data(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and plain_text(k) and json_data(v) for k, v in value.items())
    return False


#: Size limits of stored text (SEC_07), in characters: names, subjects, keys and
#: every other short field at most SHORT_TEXT_MAX; the long-text fields below at
#: most LONG_TEXT_MAX (documented in docs/choices.md).
SHORT_TEXT_MAX = 1_000
LONG_TEXT_MAX = 100_000
LONG_TEXT_FIELDS = frozenset(
    {
        "description",
        "comments",
        "body",
        "email_body",
        "notes",
        "highlights",
        "message",
        "success_criteria",
        "snooze_reason",
        "value",
        "old_value",
        "new_value",
        "title",
        "name_key",
    }
)


def text_limit(name: str) -> int:
    """The most characters a stored text field called ``name`` holds (SEC_07)."""
    return LONG_TEXT_MAX if name in LONG_TEXT_FIELDS else SHORT_TEXT_MAX


_CHECKS: dict[type, Callable[[Any], None]] = {}
#: Per storage type: the test a value of the exact declared type passes without a closer look.
_FAST: dict[FieldType, str] = {
    FieldType.TEXT: "type(v) is str and v.isascii() and '\\x00' not in v",
    FieldType.INTEGER: "type(v) is int and -9223372036854775808 <= v <= 9223372036854775807",
    FieldType.FLOAT: "type(v) is float and v - v == 0.0",  # finite: inf - inf and nan - nan are nan
    FieldType.BOOLEAN: "type(v) is bool",
    FieldType.DATE: "type(v) is date",
    FieldType.DATETIME: "type(v) is datetime and v.tzinfo is not None and 1 < v.year < 9999",
    FieldType.LIST: "type(v) is tuple and not v",
    FieldType.JSON: "type(v) is dict and not v",
}


def check_record(record: Any) -> None:
    """Refuse a record whose field values do not have their declared types (SEC_05).

    Every record is checked when it is made (a create or an ``attrs.evolve``),
    so a value of the wrong type never reaches a store and every backend
    stores exactly what the caller got back.  Integers given for float fields
    become floats and lists given for list fields become tuples, since that is
    what every backend gives back.
    """
    cls = type(record)
    check = _CHECKS.get(cls)
    if check is None:
        check = _CHECKS[cls] = _build_check(cls)
    check(record)


def _build_check(cls: type) -> Callable[[Any], None]:
    """One function per record class that tests every field inline (records are
    made by the thousand: a loop over the fields would cost more than the rest of
    making them) and hands the unusual values to :func:`_fix_field`."""
    lines = ["def check(r):"]
    for i, c in enumerate(schema_of(cls).columns):
        none = "v is None or " if c.nullable else ""
        fast = _FAST[c.type] + (f" and len(v) <= {text_limit(c.name)}" if c.type is FieldType.TEXT else "")
        lines += [f"    v = r.{c.name}", f"    if not ({none}{fast}):", f"        _fix_field(r, columns[{i}], v)"]
    namespace: dict[str, Any] = {
        "date": date,
        "datetime": datetime,
        "_fix_field": _fix_field,
        "columns": schema_of(cls).columns,
    }
    exec("\n".join(lines), namespace)  # the source is built above from column names only
    check: Callable[[Any], None] = namespace["check"]
    return check


def _fix_field(record: Any, column: Any, value: Any) -> None:
    """Check a value the fast test did not pass; store its canonical form when it differs."""
    if value is None and column.nullable:
        return
    fixed = _field_value(record.__kind__, column.name, column.type, value)
    if fixed is not value:
        object.__setattr__(record, column.name, fixed)


def _field_value(kind: str, name: str, ftype: FieldType, value: Any) -> Any:
    """``value`` as field ``name`` of type ``ftype`` stores it, or a ValidationError."""
    what = f"{kind.replace('_', ' ')} {name}"

    def refuse(expected: str) -> ValidationError:
        return ValidationError(f"{what} must be {expected}", rule="SEC_05", value=value)

    if value is None:
        raise refuse("given (it may not be None)")
    if ftype is FieldType.TEXT:
        if not isinstance(value, str):
            raise refuse("text")
        if not plain_text(value):
            raise refuse("text without NUL characters or lone surrogates")
        if len(value) > text_limit(name):
            raise ValidationError(
                f"{what} is {len(value)} characters long; at most {text_limit(name)}", rule="SEC_07", value=len(value)
            )
        return value
    if ftype is FieldType.INTEGER:
        if isinstance(value, bool) or not isinstance(value, int):
            raise refuse("a whole number")
        if not INT_MIN <= value <= INT_MAX:
            raise refuse(f"a whole number from {INT_MIN} to {INT_MAX}")
        return value
    if ftype is FieldType.FLOAT:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise refuse("a number")
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise refuse("a finite number")
        return number
    if ftype is FieldType.BOOLEAN:
        if not isinstance(value, bool):
            raise refuse("True or False")
        return value
    if ftype is FieldType.DATE:
        if isinstance(value, datetime) or not isinstance(value, date):
            raise refuse("a date")
        return value
    if ftype is FieldType.DATETIME:
        if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
            raise refuse("a timezone-aware datetime")
        if value.year in (1, 9999):  # SQL backends keep UTC text: it must exist in UTC
            try:
                value.astimezone(timezone.utc)
            except OverflowError:
                raise refuse("a timestamp within the years 1-9999 in UTC") from None
        return value
    if ftype is FieldType.LIST:
        if not isinstance(value, (tuple, list)):
            raise refuse("a list of text values")
        if not all(isinstance(v, str) and plain_text(v) for v in value):
            raise refuse("a list of text values")
        return value if isinstance(value, tuple) else tuple(value)
    if not isinstance(value, Mapping):
        raise refuse("a mapping")
    data = dict(value)
    if not json_data(data):
        raise refuse("JSON data: mappings with text keys, lists, text, finite numbers, True/False or None")
    return data


def require_text(kind: str, field: str, value: Any) -> str:
    """A required, non-blank text value, stripped."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{kind} {field} is required and must be non-blank text", rule="SEC_05", value=value)
    return value.strip()


def check_attributes(kind: str, given: Mapping[str, Any], allowed: Mapping[str, type]) -> dict[str, Any]:
    """Check attribute names and types; numbers may be ints where floats are expected."""
    out: dict[str, Any] = {}
    for name, value in given.items():
        expected = allowed.get(name)
        if expected is None:
            raise ValidationError(f"{kind} has no attribute {name!r}; known: {', '.join(sorted(allowed))}", value=name)
        t = type(value)
        if value is None or (t is expected and (t is not float or math.isfinite(value))):
            out[name] = value  # the common case: exactly the expected type
        else:
            out[name] = _typed(kind, name, value, expected)
    return out


def _typed(kind: str, name: str, value: Any, expected: type) -> Any:
    if expected is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValidationError(f"{kind} {name} must be a number", rule="SEC_05", value=value)
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):  # JSON has no NaN or infinity (DATA_01)
            raise ValidationError(f"{kind} {name} must be a finite number", rule="SEC_05", value=value)
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
        raise ValidationError(f"{kind} {name} must be {expected.__name__}", rule="SEC_05", value=value)
    return value


def as_list(kind: str, field: str, value: Any) -> list[Any]:
    """A list given as any iterable; None means empty; a bare string is refused
    (it would otherwise be taken as a list of its characters)."""
    if value is None:
        return []
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise ValidationError(f"{kind} {field} is a list", rule="SEC_05", value=value)
    return list(value)


def require_type(kind: str, field: str, value: Any, types: type | tuple[type, ...], expected: str) -> Any:
    """``value`` if it is one of ``types``, else a ValidationError naming the
    parameter ("plan_assigned new must be a success plan", SEC_05)."""
    if not isinstance(value, types):
        raise ValidationError(f"{kind} {field} must be {expected}", rule="SEC_05", value=value)
    return value


def list_of(kind: str, field: str, value: Any, types: type | tuple[type, ...], expected: str) -> list[Any]:
    """A list (any iterable; None means empty) whose items are all of ``types``.
    A bare string, a mapping or a record is refused: none of them is a list of
    items, however iterable it may be."""
    if isinstance(value, Mapping) or (hasattr(value, "__kind__") and hasattr(value, "id")):
        raise ValidationError(f"{kind} {field} is a list of {expected}", rule="SEC_05", value=value)
    items = as_list(kind, field, value)
    for item in items:
        if not isinstance(item, types):
            raise ValidationError(f"{kind} {field} is a list of {expected}", rule="SEC_05", value=item)
    return items


def text_list(kind: str, field: str, value: Any) -> tuple[str, ...]:
    """A list of non-empty text values."""
    items = as_list(kind, field, value)
    for item in items:
        if not isinstance(item, str) or not item:
            raise ValidationError(f"{kind} {field} holds non-empty text values", rule="SEC_05", value=item)
    return tuple(items)


def field_changes(fields: Any) -> Mapping[str, Any]:
    """Custom field changes: a mapping of names to values (merged into the current ones)."""
    if not isinstance(fields, Mapping):
        raise ValidationError("fields must be a mapping of custom field names to values", rule="SEC_05", value=fields)
    return fields


def flag(kind: str, field: str, value: Any) -> bool:
    """A True/False parameter: any other value is refused (``"false"`` is truthy)."""
    if not isinstance(value, bool):
        raise ValidationError(f"{kind} {field} must be True or False", rule="SEC_05", value=value)
    return value


def check_options(
    what: str,
    func: Callable[..., Any],
    options: Mapping[str, Any],
    *,
    given: Iterable[str] = (),
    filled: Iterable[str] = (),
) -> None:
    """Refuse keyword options that ``func`` does not take, or that the caller sets
    itself (``given``), and required ones that are missing (unless the caller
    fills them in: ``filled``), before they are passed on: a clear error, not a TypeError."""
    params = inspect.signature(func).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return
    taken = set(given)
    known = [n for n, p in params.items() if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and n not in taken]
    check_names(f"{what} has no option", options, known)
    missing = [n for n in known if params[n].default is params[n].empty and n not in options and n not in filled]
    if missing:
        raise ValidationError(f"{what} needs the option {missing[0]!r}", rule="SEC_05", value=missing[0])


def check_names(what: str, given: Iterable[str], allowed: Iterable[str]) -> None:
    """Refuse names outside ``allowed`` ("plans have no editable field 'x'; editable: ...")."""
    known = sorted(allowed)
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise ValidationError(f"{what} {unknown[0]!r}; known: {', '.join(known)}", value=unknown[0])
