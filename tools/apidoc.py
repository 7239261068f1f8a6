#!/usr/bin/env python3
"""Render docs/api.md, the API reference, from the library's docstrings.

    python tools/apidoc.py            write docs/api.md
    python tools/apidoc.py --check    exit 1 if docs/api.md is not what this would write
    python tools/apidoc.py --undocumented
                                      list public methods without a docstring

The reference covers every name in ``successkit.__all__`` and every service a
``Kit`` reaches (its cached-property attributes, such as ``kit.companies``):
for each, the signature and the first paragraph of the docstring.  Only the
standard library is used.  The output is deterministic: names are sorted,
annotations are printed as written in the source, and default values whose
text could change between runs (objects, sentinels) are shown as ``...``.
"""

from __future__ import annotations

import argparse
import enum
import functools
import importlib
import inspect
import re
import sys
import typing
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "api.md"
PACKAGE = "successkit"

#: Signatures longer than this are printed one parameter per line.
WIDE = 96

#: The sections of the reference, in order: (anchor title, introduction).
GROUPS = {
    "functions": ("Functions", "Module-level functions of `successkit`."),
    "kit": ("The Kit", "`open()` returns a `Kit`; everything else is reached through it."),
    "services": ("Services", "The services of a kit, reached as attributes: `kit.companies`, `kit.plans`..."),
    "records": (
        "Records",
        "Stored records: frozen attrs classes. Services create and change them; "
        "a change returns a new record with the next `version`.",
    ),
    "results": ("Results and views", "What services return besides records: reports, views, pages."),
    "query": ("Query types", "Building blocks of the query language (see [queries.md](queries.md))."),
    "extension": (
        "Extension points",
        "Types that plugins and hosts implement or configure (see [plugins.md](plugins.md)).",
    ),
    "errors": (
        "Errors",
        "Every error the library raises on purpose derives from `SuccessKitError`; "
        "most carry the `rule` of the specification they enforce.",
    ),
    "constants": ("Constants and type aliases", ""),
}

#: Public names that are hooks for hosts and plugins rather than results.
EXTENSION_NAMES = frozenset({"ActivityTypes", "Store", "Status", "StatusRegistry", "Clock", "FixedClock"})

SPECIAL_TEXT = {"__version__": 'The installed version of the package, as a string (for example `"0.1.0"`).'}


# ---------------------------------------------------------------- text helpers
class _Text:
    """Prints as the text it holds: used for annotations and defaults in signatures."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _safe_repr(value: Any) -> str | None:
    """The repr of a default value when it is the same in every run, else None."""
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return repr(value)
    if isinstance(value, enum.Enum) and not type(value).__name__.startswith("_"):
        return f"{type(value).__name__}.{value.name}"
    if isinstance(value, (tuple, list, frozenset)):
        parts = [_safe_repr(v) for v in value]
        if any(p is None for p in parts):
            return None
        if isinstance(value, frozenset):
            return f"frozenset({{{', '.join(sorted(p for p in parts if p))}}})" if value else "frozenset()"
        inner = ", ".join(p for p in parts if p)
        if isinstance(value, tuple):
            return f"({inner},)" if len(parts) == 1 else f"({inner})"
        return f"[{inner}]"
    return None


def _annotation(annotation: Any) -> str:
    if isinstance(annotation, str):
        return annotation
    return inspect.formatannotation(annotation)


def signature(obj: Any, *, name: str, is_class: bool = False, drop_self: bool = False) -> str:
    """``name(params) -> return`` with annotations as written and stable defaults."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return f"{name}(...)"
    params = []
    for i, p in enumerate(sig.parameters.values()):
        if drop_self and i == 0 and p.name in ("self", "cls"):
            continue
        changes: dict[str, Any] = {}
        if p.annotation is not inspect.Parameter.empty:
            changes["annotation"] = _Text(_annotation(p.annotation))
        if p.default is not inspect.Parameter.empty:
            changes["default"] = _Text(_safe_repr(p.default) or "...")
        params.append(p.replace(**changes))
    returns: Any = inspect.Signature.empty
    if not is_class and sig.return_annotation is not inspect.Signature.empty:
        returns = _Text(_annotation(sig.return_annotation))
    text = f"{name}{sig.replace(parameters=params, return_annotation=returns)}"
    if len(text) <= WIDE or not params:
        return text
    # One parameter per line; the separators (/ and *) come from a signature of that parameter.
    lines = [f"{name}("]
    for part in _param_parts(params):
        lines.append(f"    {part},")
    tail = ")"
    if returns is not inspect.Signature.empty:
        tail += f" -> {returns!r}"
    lines.append(tail)
    return "\n".join(lines)


def _param_parts(params: list[inspect.Parameter]) -> list[str]:
    inner = str(inspect.Signature(params))[1:-1]
    parts, depth, current = [], 0, ""
    for ch in inner:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    if current.strip():
        parts.append(current.strip())
    return parts


_ROLE = re.compile(r":(?:py:)?(?:func|meth|class|attr|mod|exc|data|obj):`~?([^`]+)`")


def first_paragraph(doc: str | None) -> str:
    """The first paragraph of a docstring as one line of Markdown."""
    if not doc:
        return ""
    text = inspect.cleandoc(doc).strip()
    para = re.split(r"\n\s*\n", text, maxsplit=1)[0]
    para = re.sub(r"\s+", " ", para)
    para = _ROLE.sub(r"`\1`", para)
    para = para.replace("``", "`")
    if para.endswith("::"):
        para = para[:-2] + ":"
    return para


def own_doc(obj: Any) -> str | None:
    """The object's own docstring (never one inherited from a base class)."""
    doc = getattr(obj, "__doc__", None)
    return doc if isinstance(doc, str) and doc.strip() else None


def slug(title: str) -> str:
    """The anchor GitHub gives a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", title.strip().lower())
    return text.replace(" ", "-")


# ------------------------------------------------------------ finding members
def _unwrap(attr: Any) -> tuple[str, Any] | None:
    """(kind, function) for a method-like class attribute, else None."""
    if isinstance(attr, staticmethod):
        return "staticmethod", attr.__func__
    if isinstance(attr, classmethod):
        return "classmethod", attr.__func__
    if isinstance(attr, functools.cached_property):
        return "property", attr.func
    if isinstance(attr, property):
        return "property", attr.fget
    if inspect.isfunction(attr):
        return "method", attr
    return None


def _defining_class(cls: type, name: str) -> type:
    for base in cls.__mro__:
        if name in vars(base):
            return base
    return object


def members(cls: type) -> list[tuple[str, str, Any, type]]:
    """Public methods and properties of ``cls``: (name, kind, function, defining class), by name.

    Inherited ones are included, except those of ``object`` and of bases outside the package.
    """
    found = []
    for name in sorted(dir(cls)):
        if name.startswith("_"):
            continue
        owner = _defining_class(cls, name)
        if not owner.__module__.startswith(PACKAGE):
            continue
        unwrapped = _unwrap(vars(owner)[name])
        if unwrapped is None:
            continue
        kind, func = unwrapped
        found.append((name, kind, func, owner))
    return found


def member_doc(cls: type, name: str, func: Any) -> str | None:
    """A member's docstring, or the one of the member it overrides."""
    doc = own_doc(func)
    if doc:
        return doc
    for base in cls.__mro__[1:]:
        attr = vars(base).get(name)
        unwrapped = _unwrap(attr) if attr is not None else None
        if unwrapped and own_doc(unwrapped[1]):
            return own_doc(unwrapped[1])
    return None


def kit_services(kit_class: type) -> list[tuple[str, type]]:
    """(attribute, service class) for each public service of ``Kit``, by attribute name."""
    module = sys.modules[kit_class.__module__]
    found = []
    for name, attr in vars(kit_class).items():
        if name.startswith("_"):
            continue
        if isinstance(attr, functools.cached_property):
            found.append((name, typing.get_type_hints(attr.func, vars(module))["return"]))
        elif hasattr(attr, "module") and hasattr(attr, "__get__"):  # a service loaded on first use
            found.append((name, getattr(importlib.import_module(attr.module), attr.name)))
    return sorted(found)


def group_of(name: str, obj: Any) -> str:
    records = importlib.import_module(f"{PACKAGE}.records")
    if name in EXTENSION_NAMES:
        return "extension"
    if inspect.isclass(obj):
        if issubclass(obj, BaseException):
            return "errors"
        if issubclass(obj, records.Record):
            return "records"
        if obj.__name__ == "Kit":
            return "kit"
        if obj.__module__.startswith(f"{PACKAGE}.query."):
            return "query"
        return "results"
    if inspect.isroutine(obj):
        return "functions"
    return "constants"


_ASSIGNMENT = r"((?:^#:.*\n)*)^{name}\s*(?::[^=\n]*)?=\s*(.+)$"


def constant_source(name: str, obj: Any) -> tuple[str, str, str] | None:
    """(module, value as written, ``#:`` comment) of a module-level constant of the package."""
    for module_name in sorted(m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")):
        module = sys.modules[module_name]
        if module_name == PACKAGE or vars(module).get(name) is not obj:
            continue
        try:
            source = inspect.getsource(module)
        except (OSError, TypeError):
            continue
        match = re.search(_ASSIGNMENT.format(name=re.escape(name)), source, flags=re.M)
        if match:
            comment = " ".join(line[2:].strip() for line in match.group(1).splitlines())
            return module_name, match.group(2).strip(), comment
    return None


# ------------------------------------------------------------------ rendering
def _code(text: str) -> list[str]:
    return ["```", text, "```"]


def _member_block(owner_name: str, cls: type, name: str, kind: str, func: Any) -> list[str]:
    qualified = f"{owner_name}.{name}"
    if kind == "property":
        returns = inspect.signature(func).return_annotation
        text = qualified if returns is inspect.Signature.empty else f"{qualified}: {_annotation(returns)}"
        label = "property"
    else:
        text = signature(func, name=qualified, drop_self=kind != "staticmethod")
        label = kind
    out = [f"#### `{qualified}`", ""]
    if label != "method":
        out += [f"*{label}*", ""]
    out += [*_code(text), ""]
    para = first_paragraph(member_doc(cls, name, func))
    if para:
        out += [para, ""]
    return out


def _class_block(name: str, cls: type, skip: frozenset[str] = frozenset()) -> list[str]:
    out = [f"### `{name}`", ""]
    out += [*_code(signature(cls, name=name, is_class=True)), ""]
    bases = [b.__name__ for b in cls.__bases__ if b.__module__.startswith(PACKAGE) and not b.__name__.startswith("_")]
    para = first_paragraph(own_doc(cls))
    if para:
        out += [para, ""]
    if bases:
        out += [f"Based on {', '.join(f'`{b}`' for b in bases)}.", ""]
    for member_name, kind, func, owner in members(cls):
        # The class's own members, and those of private bases it stands for.
        if member_name not in skip and (owner is cls or owner.__name__.startswith("_")):
            out += _member_block(name, cls, member_name, kind, func)
    return out


def _function_block(name: str, func: Callable[..., Any]) -> list[str]:
    out = [f"### `{name}`", "", *_code(signature(func, name=name)), ""]
    para = first_paragraph(own_doc(func))
    if para:
        out += [para, ""]
    return out


def _constant_block(name: str, obj: Any) -> list[str]:
    out = [f"### `{name}`", ""]
    if name in SPECIAL_TEXT:
        return [*out, SPECIAL_TEXT[name], ""]
    found = constant_source(name, obj)
    if found is None:
        return [*out, f"A `{type(obj).__name__}`.", ""]
    module, value, comment = found
    out += [*_code(f"{name} = {value}"), ""]
    if comment:
        out += [comment, ""]
    out += [f"Defined in `{module}`.", ""]
    return out


def _services_blocks(kit_class: type) -> list[str]:
    services = kit_services(kit_class)
    shared_base = None
    out = [
        "| attribute | class | what it is |",
        "| --- | --- | --- |",
    ]
    for attr, service in services:
        summary = first_paragraph(own_doc(service)).replace("|", "\\|")
        out.append(f"| [`kit.{attr}`](#{slug('kit.' + attr)}) | `{service.__name__}` | {summary} |")
    out.append("")
    for attr, service in services:
        out += [f"### kit.{attr}", ""]
        para = first_paragraph(own_doc(service))
        out += [f"`{service.__module__}.{service.__name__}`" + (f": {para}" if para else ""), ""]
        common = []
        for name, kind, func, owner in members(service):
            if owner is not service and owner.__module__ == f"{PACKAGE}.service":
                shared_base = owner
                common.append(name)
                continue
            out += _member_block(f"kit.{attr}", service, name, kind, func)
        if common:
            link = f"[shared record-service members](#{slug('Shared record-service members')})"
            out += [f"Also the {link}: {', '.join(f'`{n}`' for n in common)}.", ""]
    if shared_base is not None:
        out += ["### Shared record-service members", ""]
        para = first_paragraph(own_doc(shared_base))
        if para:
            out += [para, ""]
        for name, kind, func, _ in members(shared_base):
            out += _member_block("kit.<service>", shared_base, name, kind, func)
    return out


def render() -> str:
    """The whole reference, as Markdown."""
    package = importlib.import_module(PACKAGE)
    grouped: dict[str, list[tuple[str, Any]]] = {key: [] for key in GROUPS}
    for name in sorted(package.__all__, key=lambda n: (n.lower(), n)):
        obj = getattr(package, name)
        grouped[group_of(name, obj)].append((name, obj))
    kit_class = package.Kit

    out = [
        "# API reference",
        "",
        "<!-- Generated by tools/apidoc.py from the docstrings; do not edit by hand. -->",
        "<!-- Regenerate with `python tools/apidoc.py` (the tests check that it is up to date). -->",
        "",
        "Every public name of `successkit` (its `__all__`) and every service of a `Kit`, with its",
        "signature and the first paragraph of its docstring. Annotations are shown as written in the",
        "source; a default value that is an object rather than a plain literal is shown as `...`.",
        "The guides explain how the pieces fit: start with [guide.md](guide.md).",
        "",
        "## Contents",
        "",
    ]
    for key, (title, _) in GROUPS.items():
        if key == "services" or grouped[key]:
            out.append(f"- [{title}](#{slug(title)})")
    out.append("")

    for key, (title, intro) in GROUPS.items():
        if key != "services" and not grouped[key]:
            continue
        out += [f"## {title}", ""]
        if intro:
            out += [intro, ""]
        if key == "services":
            out += _services_blocks(kit_class)
            continue
        for name, obj in grouped[key]:
            if key == "functions":
                out += _function_block(name, obj)
            elif key == "constants" or not inspect.isclass(obj):
                out += _constant_block(name, obj)
            elif key == "kit":
                attrs = kit_services(obj)
                out += _class_block(name, obj, skip=frozenset(a for a, _ in attrs))
                services = ", ".join(f"[`{a}`](#{slug('kit.' + a)})" for a, _ in attrs)
                out += [f"Services (cached attributes): {services}.", ""]
            else:
                out += _class_block(name, obj)
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


def undocumented() -> list[str]:
    """Public methods and properties of the Kit, its services and the public classes without a docstring."""
    package = importlib.import_module(PACKAGE)
    classes: list[tuple[str, type]] = [
        (name, getattr(package, name)) for name in package.__all__ if inspect.isclass(getattr(package, name))
    ]
    classes += [(f"kit.{attr}", service) for attr, service in kit_services(package.Kit)]
    services = {attr for attr, _ in kit_services(package.Kit)}
    missing = set()
    for _, cls in classes:
        for name, _, func, owner in members(cls):
            if cls is package.Kit and name in services:
                continue  # documented by the service's class
            if member_doc(cls, name, func) is None:
                missing.add(f"{owner.__module__}.{owner.__qualname__}.{name}")
    for name in package.__all__:
        obj = getattr(package, name)
        if inspect.isroutine(obj) and own_doc(obj) is None:
            missing.add(f"{obj.__module__}.{name}")
    return sorted(missing)


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render docs/api.md from the docstrings.")
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/api.md is stale")
    parser.add_argument("--undocumented", action="store_true", help="list public methods without a docstring")
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.undocumented:
        for name in undocumented():
            print(name)
        return 0
    text = render()
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else None
        if current != text:
            print(f"{OUTPUT.relative_to(ROOT)} is out of date: run `python tools/apidoc.py`", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    if str(ROOT / "src") not in sys.path:
        sys.path.insert(0, str(ROOT / "src"))
    sys.exit(main())
