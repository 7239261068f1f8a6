"""A faster ``__init__`` for the record classes, with attrs' exact signature.

attrs makes a frozen class's instance through ``object.__setattr__`` bound to
it, one call per field; records are made by the hundred thousand (a bulk
create, a template applied, a clone), and for a 16-field company that was two
thirds of making one.  The ``__init__`` made here takes the same keyword-only
arguments, with the same defaults and factories, sets each field through its
slot and then runs ``__attrs_post_init__`` (the type check of SEC_05), so a
record is made, checked and refused exactly as before, in a third of the time.
A class with anything this does not reproduce (converters, validators, aliases,
factories that take ``self``) keeps the ``__init__`` attrs gave it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import attrs

from successkit.query.schema import slot_setter

__all__ = ["install_fast_init", "trusted_evolve", "trusted_maker"]

_MISSING = object()
#: attrs.Factory's class (attrs types ``Factory`` as a function).
_FACTORY: type[Any] = type(attrs.Factory(dict))


def install_fast_init(cls: type[Any]) -> bool:
    """Give an attrs record class the faster ``__init__``; False when it keeps attrs' own."""
    if any(_unusual(f) for f in attrs.fields(cls)):
        return False
    init = _init(cls, "__init__", check=True)
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = cls.__init__.__doc__
    init.__annotations__ = dict(cls.__init__.__annotations__)  # what signatures and docs read
    cls.__init__ = init
    return True


_TRUSTED: dict[type[Any], Callable[..., Any]] = {}
_EVOLVERS: dict[type[Any], Callable[[Any, dict[str, Any]], Any]] = {}
R = TypeVar("R")


def trusted_maker(cls: type[Any]) -> Callable[..., Any]:
    """What makes a ``cls`` record from values this library made itself and
    already holds to their declared types (a score it computed, ids it derived,
    text it read from the store): the keyword arguments and defaults of
    ``__init__``, without the type check of SEC_05, which for a record holding
    JSON walks all of it.  Never for values a caller gave: those go through
    ``__init__``.  A class :func:`install_fast_init` cannot serve gets its ``__init__``."""
    found = _TRUSTED.get(cls)
    if found is None:
        if any(_unusual(f) for f in attrs.fields(cls)):
            found = cls
        else:
            init = _init(cls, "make", check=False)
            found = functools.partial(_make, object.__new__, cls, init)
        _TRUSTED[cls] = found
    return found


def trusted_evolve(record: R, **changes: Any) -> R:
    """:func:`attrs.evolve` without the type check (see :func:`trusted_maker`):
    for a stored record and changes this library made itself, never a caller's values."""
    cls: type[Any] = type(record)
    evolver = _EVOLVERS.get(cls)
    if evolver is None:
        evolver = _EVOLVERS[cls] = _evolver(cls)
    made: R = evolver(record, changes)
    return made


def _evolver(cls: type[Any]) -> Callable[[Any, dict[str, Any]], Any]:
    """A copy of a record with some fields changed, every field set through its slot."""
    if any(_unusual(f) for f in attrs.fields(cls)):
        return lambda record, changes: attrs.evolve(record, **changes)
    names = [f.name for f in attrs.fields(cls)]
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls}
    namespace["setters"] = {name: slot_setter(cls, name) for name in names}
    lines = ["def evolve(r, changes):", "    n = new(cls)"]
    for i, name in enumerate(names):
        namespace[f"set_{i}"] = namespace["setters"][name]
        lines.append(f"    set_{i}(n, r.{name})")
    lines += ["    for name, value in changes.items():", "        setters[name](n, value)", "    return n"]
    exec("\n".join(lines), namespace)  # the names come from the attrs class, never from input
    evolve: Callable[[Any, dict[str, Any]], Any] = namespace["evolve"]
    return evolve


def _make(new: Callable[[type[Any]], Any], cls: type[Any], init: Callable[..., None], **values: Any) -> Any:
    record = new(cls)
    init(record, **values)
    return record


def _init(cls: type[Any], name: str, *, check: bool) -> Callable[..., None]:
    """An ``__init__`` setting every field through its slot, then (with ``check``) running the post-init check."""
    params, body = [], []
    namespace: dict[str, Any] = {"MISSING": _MISSING}
    for i, f in enumerate(attrs.fields(cls)):
        namespace[f"set_{i}"] = slot_setter(cls, f.name)
        default: Any = f.default
        if default is attrs.NOTHING:
            params.append(f.name)
            value = f.name
        elif isinstance(default, _FACTORY):
            namespace[f"make_{i}"] = default.factory
            params.append(f"{f.name}=MISSING")
            value = f"make_{i}() if {f.name} is MISSING else {f.name}"
        else:
            namespace[f"default_{i}"] = default
            params.append(f"{f.name}=default_{i}")
            value = f.name
        body.append(f"    set_{i}(self, {value})")
    post = "    self.__attrs_post_init__()" if check and hasattr(cls, "__attrs_post_init__") else "    pass"
    source = "\n".join([f"def {name}(self, *, {', '.join(params)}):", *body, post])
    exec(source, namespace)  # the names come from the attrs class, never from input
    init: Callable[..., None] = namespace[name]
    return init


def _unusual(f: attrs.Attribute[Any]) -> bool:
    default: Any = f.default
    takes_self = isinstance(default, _FACTORY) and default.takes_self
    return bool(f.converter or f.validator or not f.init or f.alias != f.name or takes_self or not f.kw_only)
