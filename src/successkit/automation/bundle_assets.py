"""The asset kinds a solution bundle carries (VAULT_01, VAULT_05), as a registry.

A kind is one :class:`AssetKind` entry: the keys its entries take, a check run on
every entry before anything is written, how the installed assets of that kind are
found, how one is created inside the deploy's transaction, and which installed
values a redeploy compares with the bundle (the diff).  Kinds live in modules by
group (``bundle_kinds_work``, ``bundle_kinds_admin``, ``bundle_kinds_signals``,
listed in :data:`GROUPS`); adding a kind - programs, reports - is one
:func:`register` call in one of them, with an ``order`` that puts it after the
kinds it refers to.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from successkit.errors import SuccessKitError
from successkit.query.language import Query

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["GROUPS", "AssetKind", "Deploying", "compare", "kinds", "register", "unregister"]

#: The modules that register asset kinds, imported the first time kinds are asked for.
GROUPS = (
    "successkit.automation.bundle_kinds_work",
    "successkit.automation.bundle_kinds_admin",
    "successkit.automation.bundle_kinds_signals",
)


class Deploying(Protocol):
    """What a kind's ``create`` is handed: the kit (inside the deploy's transaction),
    the bundle's name, and the ids of assets named in the bundle or in storage."""

    kit: Kit
    bundle_name: str

    def ref(self, kind: str, name: Any) -> str:
        """The id of the asset of ``kind`` called ``name``, created by this deploy or installed."""
        ...


#: An installed asset: a record, or None for one that exists without a record of its
#: own (an activity type a plugin registers).
Installed = Any


def _no_check(kit: Kit, entry: Mapping[str, Any]) -> None:
    return None


@attrs.frozen
class AssetKind:
    """One kind of bundle asset.

    ``name`` is the key of its list in a bundle (``plan_types``); ``order`` places it
    in the deploy (a kind may refer to kinds with a lower order); ``ident`` is the
    entry key that names an asset (``name_of`` builds a name from several keys, as
    custom fields are named ``<record kind>.<field>``).  ``check`` refuses a bad entry
    with a ``ValidationError`` before anything is written; ``create`` makes one and
    returns its id.  ``stored`` is the record kind installed assets are found in by
    ``ident`` (or ``installed`` finds them); ``current`` gives an installed asset's
    values for the diff and ``normal`` the entry's in the same form (by default the
    record's attributes and the entry's plain values are compared).  ``choice`` names
    a configuration category: such assets are added with one insert per kind."""

    name: str
    order: int
    required: frozenset[str]
    optional: frozenset[str] = frozenset()
    create: Callable[[Deploying, Mapping[str, Any]], str] | None = None
    check: Callable[[Kit, Mapping[str, Any]], None] = _no_check
    ident: str = "name"
    name_of: Callable[[Mapping[str, Any]], str] | None = None
    flags: frozenset[str] = frozenset()
    stored: str | None = None
    installed: Callable[[Kit, Sequence[str]], dict[str, Installed]] | None = None
    current: Callable[[Kit, Any], Mapping[str, Any]] | None = None
    normal: Callable[[Kit, Mapping[str, Any]], Mapping[str, Any]] | None = None
    refers: Callable[[Mapping[str, Any]], Iterable[tuple[str, str]]] | None = None
    choice: str | None = None

    def key_of(self, entry: Mapping[str, Any]) -> str:
        """The name an entry is found by (stripped, as names are stored)."""
        if self.name_of is not None:
            return self.name_of(entry)
        return str(entry[self.ident]).strip()

    def find(self, kit: Kit, names: Sequence[str]) -> dict[str, Installed]:
        """The installed assets of this kind among ``names`` (one read)."""
        if not names:
            return {}
        if self.installed is not None:
            return self.installed(kit, names)
        if self.choice is not None:
            items = kit.config.items(self.choice, include_inactive=True)
            return {i.key: i for i in items if i.key in names}
        if self.stored is None:
            return {}
        query = Query(conditions=[(self.ident, "in", sorted(names))])
        return {getattr(r, self.ident): r for r in kit.store.query(kit.bind(self.stored, query))}


_KINDS: dict[str, AssetKind] = {}
_LOADED: list[bool] = []


def register(kind: AssetKind) -> AssetKind:
    """Add an asset kind (a name registered twice is an error: two modules claim it)."""
    if kind.name in _KINDS:
        raise ValueError(f"bundle asset kind {kind.name!r} is registered twice")
    _KINDS[kind.name] = kind
    return kind


def unregister(name: str) -> AssetKind:
    """Withdraw a kind (a test's, or a plugin's that is unloaded); returns it."""
    kinds()
    return _KINDS.pop(name)


def kinds() -> dict[str, AssetKind]:
    """Every asset kind, in deploy order."""
    if not _LOADED:
        _LOADED.append(True)
        for module in GROUPS:
            importlib.import_module(module)
    return dict(sorted(_KINDS.items(), key=lambda kv: (kv[1].order, kv[0])))


# ------------------------------------------------------------------------------ diff
def compare(kit: Kit, kind: AssetKind, entry: Mapping[str, Any], installed: Installed) -> tuple[str, ...]:
    """The keys of ``entry`` whose values differ from the installed asset's (VAULT_05).

    Only what the entry says is compared (a key it leaves out is not a difference),
    and only what the kind can read back: by default the record's attributes of the
    same names, for plain values and lists of plain values."""
    if installed is None:
        return ()
    have = kind.current(kit, installed) if kind.current is not None else _attributes(installed)
    want: Mapping[str, Any] = entry
    if kind.normal is not None:
        try:
            want = kind.normal(kit, entry)
        except SuccessKitError:  # an entry the kit cannot read yet: compare it as written
            want = entry
    out = []
    for key, value in want.items():
        if key == kind.ident or key not in have:
            continue
        if kind.current is None and kind.normal is None and not _plain(value):
            continue
        if _normal(value) != _normal(have[key]):
            out.append(key)
    return tuple(sorted(out))


def _attributes(record: Any) -> dict[str, Any]:
    if attrs.has(type(record)):
        return {a.name: getattr(record, a.name) for a in attrs.fields(type(record))}
    return {}


def _plain(value: Any) -> bool:
    scalars = (str, int, float, bool, type(None), date)
    if isinstance(value, (list, tuple)):
        return all(isinstance(v, scalars) for v in value)
    return isinstance(value, scalars)


def _normal(value: Any) -> Any:
    """One form for stored and written values: lists for tuples, ISO text for dates,
    stripped text."""
    if isinstance(value, Mapping):
        return {str(k): _normal(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normal(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def listed(value: Any) -> Sequence[Any]:
    """The items of a list in an entry, or none when it is not one (checked later)."""
    return value if isinstance(value, Sequence) and not isinstance(value, (str, bytes)) else ()


def entries(value: Any, what: str) -> list[Mapping[str, Any]]:
    """A list of mappings, or a ValidationError naming ``what``."""
    from successkit.errors import ValidationError

    if (
        isinstance(value, (str, bytes, Mapping))
        or not isinstance(value, Sequence)
        or not all(isinstance(v, Mapping) for v in value)
    ):
        raise ValidationError(f"{what} is a list of mappings", value=value)
    return list(value)
