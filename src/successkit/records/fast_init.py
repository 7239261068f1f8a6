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

from collections.abc import Callable
from typing import Any, TypeVar

import attrs

from successkit.query.schema import slot_setter

__all__ = ["install_fast_init", "trusted_maker"]

R = TypeVar("R")

_MISSING = object()
#: attrs.Factory's class (attrs types ``Factory`` as a function).
_FACTORY: type[Any] = type(attrs.Factory(dict))


def install_fast_init(cls: type[Any]) -> bool:
    """Give an attrs record class the faster ``__init__``; False when it keeps attrs' own."""
    init = _generated(cls, checked=True)
    if init is None:
        return False
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = cls.__init__.__doc__
    init.__annotations__ = dict(cls.__init__.__annotations__)  # what signatures and docs read
    cls.__init__ = init
    return True


def trusted_maker(cls: type[R]) -> Callable[..., R]:
    """A maker of ``cls`` records from values the library has already checked, in
    their stored form (floats as floats, tuples as tuples): the same keyword
    arguments and defaults as ``cls(...)``, without the field check of SEC_05.
    For bulk writers whose every value comes from checked records or from
    checks of their own (history rows, snapshots, usage facts); never for
    values a caller handed over unchecked."""
    made = _makers.get(cls)
    if made is None:
        init = _generated(cls, checked=False)
        if init is None:
            made = cls
        else:
            new = object.__new__

            def make(**values: Any) -> Any:
                record = new(cls)
                init(record, **values)
                return record

            made = make
        _makers[cls] = made
    return made


_makers: dict[type[Any], Callable[..., Any]] = {}


def _generated(cls: type[Any], *, checked: bool) -> Callable[..., None] | None:
    """An ``__init__`` setting every field through its slot, running the class's
    check after it when ``checked``; None for a class with what this does not reproduce."""
    fields = attrs.fields(cls)
    if any(_unusual(f) for f in fields):
        return None
    params, body = [], []
    namespace: dict[str, Any] = {"MISSING": _MISSING}
    for i, f in enumerate(fields):
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
    post = "    self.__attrs_post_init__()" if checked and hasattr(cls, "__attrs_post_init__") else "    pass"
    source = "\n".join([f"def __init__(self, *, {', '.join(params)}):", *body, post])
    exec(source, namespace)  # the names come from the attrs class, never from input
    init: Callable[..., None] = namespace["__init__"]
    return init


def _unusual(f: attrs.Attribute[Any]) -> bool:
    default: Any = f.default
    takes_self = isinstance(default, _FACTORY) and default.takes_self
    return bool(f.converter or f.validator or not f.init or f.alias != f.name or takes_self or not f.kw_only)
