"""What a solution bundle requires (VAULT_05): other bundles, installed extras and
library features, read from the bundle's ``requires`` table and checked before a
deploy writes anything.

``requires = { bundles = ["onboarding"], extras = ["pandas"], features =
["trigger:usage_change", "action:create_cta"] }``: a feature is an event a rule
can listen to (``trigger:``), a rule action (``action:``), a rule target
(``target:``) or a bundle asset kind (``asset:``), so a bundle written for a newer
library is refused naming what this one lacks instead of failing half-way.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from successkit.errors import ValidationError
from successkit.query.language import Query
from successkit.records import Setting
from successkit.service import stamp

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = [
    "EXTRAS",
    "FEATURES",
    "Requirements",
    "installed_setting",
    "installed_versions",
    "record_installed",
    "requirements",
    "unmet",
]

#: The package extras a bundle may require, with the module each installs.
EXTRAS = {"postgres": "psycopg", "pandas": "pandas", "plot": "matplotlib"}
#: The kinds of feature a bundle may require.
FEATURES = ("trigger", "action", "target", "asset")
_KEYS = frozenset({"bundles", "extras", "features"})


@attrs.frozen
class Requirements:
    """What a bundle needs before it deploys: bundle names, extras, features."""

    bundles: tuple[str, ...] = ()
    extras: tuple[str, ...] = ()
    features: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.bundles or self.extras or self.features)

    def to_dict(self) -> dict[str, list[str]]:
        """The document form (only what is required)."""
        return {k: list(v) for k in sorted(_KEYS) if (v := getattr(self, k))}


def installed_setting(bundle: str) -> str:
    """The setting that records the version of ``bundle`` last deployed."""
    return f"bundle.installed.{bundle}"


def installed_versions(kit: Kit, bundles: Sequence[str]) -> dict[str, str]:
    """The versions of those of ``bundles`` that are installed (one indexed read, however
    many settings are stored)."""
    if not bundles:
        return {}
    keys = {installed_setting(b): b for b in bundles}
    query = Query(conditions=[("key", "in", sorted(keys))])
    return {keys[s.key]: s.value or "" for s in kit.store.query(kit.bind("setting", query))}


def record_installed(kit: Kit, bundle: str, version: str) -> None:
    """Record that ``version`` of ``bundle`` is deployed (nothing is written when it is
    recorded already, so a redeploy writes nothing)."""
    key = installed_setting(bundle)
    found = list(kit.store.query(kit.bind("setting", Query(conditions=[("key", "=", key)]))))
    if found and found[0].value == version:
        return
    if found:
        old = found[0]
        kit.store.update(attrs.evolve(old, value=version, version=old.version + 1, updated_at=kit.now()), old.version)
    else:
        kit.store.insert(Setting(**stamp(kit), key=key, value=version))
    kit.config.refresh()


def requirements(data: Any) -> Requirements:
    """A bundle's ``requires`` table checked: known keys, lists of text, known extras
    and feature kinds (a ValidationError names the bad value)."""
    if data is None:
        return Requirements()
    if not isinstance(data, Mapping):
        raise ValidationError("'requires' is a table of bundles, extras and features", value=data)
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise ValidationError(f"unknown key; known: {', '.join(sorted(_KEYS))}", value=unknown[0])
    out: dict[str, tuple[str, ...]] = {}
    for key in sorted(_KEYS):
        items = data.get(key, [])
        if isinstance(items, (str, bytes)) or not isinstance(items, Sequence):
            raise ValidationError(f"{key} is a list of text", value=items)
        if not all(isinstance(i, str) and i.strip() for i in items):
            raise ValidationError(f"{key} is a list of text", value=list(items))
        out[key] = tuple(i.strip() for i in items)
    for extra in out["extras"]:
        if extra not in EXTRAS:
            raise ValidationError(f"unknown extra; known: {', '.join(EXTRAS)}", value=extra)
    for feature in out["features"]:
        kind, _, name = feature.partition(":")
        if kind not in FEATURES or not name:
            raise ValidationError(f"a feature is <kind>:<name>, the kind one of {', '.join(FEATURES)}", value=feature)
    return Requirements(**out)


def unmet(kit: Kit, needs: Requirements, installed: Mapping[str, str]) -> list[tuple[str, str]]:
    """What ``needs`` asks for that the workspace lacks: (what it is, as written), as in
    (``bundle 'onboarding'``, ``onboarding``) or (``feature 'action:update_field'``, ``action:update_field``)."""
    from .bundle_assets import kinds
    from .definitions import ACTIONS, TARGETS
    from .triggers import EVENTS

    known = {"trigger": set(EVENTS) | {"csm_changed"}, "action": set(ACTIONS), "target": set(TARGETS)}
    known["asset"] = set(kinds())
    out = [(f"bundle {b!r}", b) for b in needs.bundles if b not in installed]
    out += [(f"extra {e!r}", e) for e in needs.extras if importlib.util.find_spec(EXTRAS[e]) is None]
    for feature in needs.features:
        kind, _, name = feature.partition(":")
        if name not in known[kind]:
            out.append((f"feature {feature!r}", feature))
    return out
