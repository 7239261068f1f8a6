"""Checking a scorecard before it is saved (SCORE_01, SCORE_03, SCORE_04,
SCORE_06-SCORE_08): measures and weights, groups, the NA policy, the period,
the trend tolerance and the roll-up.  Every refusal names its rule and the
offending value, and comes before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from successkit.errors import RuleViolation
from successkit.records import Measure

from .formula import COMBINES
from .mapping import is_number, score_number
from .sources import SOURCE_TYPES, TARGETS

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = [
    "MAX_MEASURES",
    "NA_POLICIES",
    "PERIODS",
    "ROLLUPS",
    "check_definition",
    "check_key",
    "check_settings",
    "check_target",
]

#: How NA measures count (SCORE_03): left out, or as a fixed value.
NA_POLICIES = ("exclude", "fixed")
#: How often a record gets a snapshot (SCORE_07).
PERIODS = ("day", "week", "month")
#: How a parent's score may roll up from its children and relationships (SCORE_08).
ROLLUPS = ("mean", "arr_weighted", "worst")
#: At most this many measures, and groups, on one scorecard (SEC_07).
MAX_MEASURES = 100
_KEY = re.compile(r"[a-z][a-z0-9_]{0,62}")
_MAX_WEIGHT = 1e9


def check_key(rule: str, what: str, key: Any) -> str:
    """A key: lowercase letters, digits and ``_``, starting with a letter, at most 63 characters."""
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise RuleViolation(rule, f"{what} is lowercase letters, digits and _, starting with a letter", value=key)
    return key


def check_target(target: Any) -> str:
    """A scorecard's target kind: ``company`` or ``relationship``."""
    if not isinstance(target, str) or target not in TARGETS:
        raise RuleViolation("SCORE_01", f"a scorecard scores one of {', '.join(TARGETS)}", value=target)
    return str(target)


def _weight(what: str, value: Any) -> float:
    if not is_number(value) or value < 0 or value > _MAX_WEIGHT:
        raise RuleViolation("SCORE_01", f"{what} is a number >= 0 (at most {_MAX_WEIGHT:g})", value=value)
    return float(value)


def _list(what: str, value: Any, rule: str = "SCORE_01") -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
        raise RuleViolation(rule, f"{what} are a list", value=value)
    if len(value) > MAX_MEASURES:
        raise RuleViolation(rule, f"at most {MAX_MEASURES} {what}", value=len(value))
    return list(value)


def _groups(items: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for g in _list("groups", items, "SCORE_04"):
        if not isinstance(g, Mapping):
            raise RuleViolation("SCORE_04", "a group is a mapping with key, label, weight, combine", value=g)
        unknown = set(g) - {"key", "label", "weight", "combine"}
        if unknown:
            raise RuleViolation(
                "SCORE_04", "a group has no key; known: combine, key, label, weight", value=sorted(unknown)[0]
            )
        key = check_key("SCORE_04", "a group key", g.get("key"))
        if any(o["key"] == key for o in out):
            raise RuleViolation("SCORE_04", "group keys are unique", value=key)
        label = g.get("label", key)
        if not isinstance(label, str) or not label.strip() or len(label) > 200:
            raise RuleViolation("SCORE_04", "a group label is non-blank text (at most 200 characters)", value=label)
        combine = g.get("combine", "mean")
        if combine not in COMBINES:
            raise RuleViolation("SCORE_04", f"a group combines its measures by {', '.join(COMBINES)}", value=combine)
        weight = _weight(f"the weight of group {key!r}", g.get("weight", 1))
        out.append({"key": key, "label": label.strip(), "weight": weight, "combine": combine})
    return out


def check_definition(kit: Kit, target: str, measures: Any, groups: Any) -> tuple[dict[str, Any], dict[str, Measure]]:
    """The scorecard's ``definition`` (measures and groups) and its measure
    records by key: every measure exists and suits ``target``, weights are
    numbers >= 0 and some measure has weight in a group of weight."""
    checked_groups = _groups(groups)
    by_key = {g["key"]: g for g in checked_groups}
    items: list[dict[str, Any]] = []
    for m in _list("measures", measures):
        if isinstance(m, str):
            m = {"measure": m}
        if not isinstance(m, Mapping):
            raise RuleViolation(
                "SCORE_01", "a scorecard measure is {'measure': key, 'weight': w, 'group': key}", value=m
            )
        unknown = set(m) - {"measure", "weight", "group"}
        if unknown:
            raise RuleViolation(
                "SCORE_01", "a scorecard measure has no key; known: group, measure, weight", value=sorted(unknown)[0]
            )
        key = check_key("SCORE_01", "a measure key", m.get("measure"))
        if any(i["measure"] == key for i in items):
            raise RuleViolation("SCORE_01", "a measure is on a scorecard once", value=key)
        group = m.get("group")
        if group is not None and (not isinstance(group, str) or group not in by_key):
            raise RuleViolation("SCORE_04", f"measure {key!r} names an unknown group", value=group)
        items.append(
            {"measure": key, "weight": _weight(f"the weight of measure {key!r}", m.get("weight", 1)), "group": group}
        )
    if not items:
        raise RuleViolation("SCORE_01", "a scorecard has at least one measure", value=measures)
    empty = [g["key"] for g in checked_groups if not any(i["group"] == g["key"] for i in items)]
    if empty:
        raise RuleViolation("SCORE_04", "a group holds at least one measure", value=empty[0])
    if not any(i["weight"] > 0 and (i["group"] is None or by_key[i["group"]]["weight"] > 0) for i in items):
        raise RuleViolation(
            "SCORE_04",
            "weights are normalised: at least one measure needs a weight above 0",
            value=[i["weight"] for i in items],
        )
    found = {m.key: m for m in kit.measures.list([("key", "in", [i["measure"] for i in items])])}
    for i in items:
        measure = found.get(i["measure"])
        if measure is None:
            raise RuleViolation(
                "SCORE_01", "unknown measure: create it with kit.measures.create first", value=i["measure"]
            )
        source = SOURCE_TYPES.get(measure.source.get("type", ""))
        if source is not None:
            source.check_target(kit, measure.source, target)
    return {"measures": items, "groups": checked_groups}, found


def check_settings(values: Mapping[str, Any]) -> dict[str, Any]:
    """The scorecard's other settings, checked: ``na_policy`` and ``na_value``
    (SCORE_03), ``period`` (SCORE_07), ``trend_tolerance`` (SCORE_06), ``rollup``
    (SCORE_08), ``position`` and ``default`` (SCORE_01)."""
    out = dict(values)
    if out["na_policy"] not in NA_POLICIES:
        raise RuleViolation("SCORE_03", f"na_policy is one of {', '.join(NA_POLICIES)}", value=out["na_policy"])
    if out["na_policy"] == "fixed":
        out["na_value"] = score_number("SCORE_03", "with na_policy 'fixed', na_value", out["na_value"])
    elif out["na_value"] is not None:
        raise RuleViolation("SCORE_03", "na_value is for na_policy 'fixed' only", value=out["na_value"])
    if out["period"] not in PERIODS:
        raise RuleViolation("SCORE_07", f"period is one of {', '.join(PERIODS)}", value=out["period"])
    tolerance = out["trend_tolerance"]
    if not is_number(tolerance) or not 0 <= tolerance <= 100:
        raise RuleViolation("SCORE_06", "trend_tolerance is a number from 0 to 100", value=tolerance)
    out["trend_tolerance"] = float(tolerance)
    if out["rollup"] is not None and out["rollup"] not in ROLLUPS:
        raise RuleViolation("SCORE_08", f"rollup is None or one of {', '.join(ROLLUPS)}", value=out["rollup"])
    position = out["position"]
    if isinstance(position, bool) or not isinstance(position, int) or not -(10**9) <= position <= 10**9:
        raise RuleViolation(
            "SCORE_01", "position is a whole number (conditioned scorecards are tried in its order)", value=position
        )
    if not isinstance(out["default"], bool):
        raise RuleViolation("SCORE_01", "default is True or False", value=out["default"])
    return out
