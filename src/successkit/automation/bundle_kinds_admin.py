"""Bundle asset kinds an administrator would otherwise set up by hand (VAULT_05):
statuses, plan types (the "success plan settings"), custom fields with their
dropdown options, and activity types with the fields their activities carry (ACT_01, the
"timeline settings").  Each is one
:func:`~successkit.automation.bundle_assets.register` call."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from successkit.accounts.custom_fields import FIELD_TYPES
from successkit.admin.statuses import Status
from successkit.errors import ValidationError

from .bundle_assets import AssetKind, Deploying, listed, register

if TYPE_CHECKING:
    from successkit.kit import Kit

# ------------------------------------------------------------------------ statuses
_STATUS_KEYS = frozenset({"kind", "key", "name", "category"})


def _status_name(e: Mapping[str, Any]) -> str:
    return f"{str(e.get('kind', '')).strip()}.{str(e['key']).strip()}"


def _check_status(kit: Kit, e: Mapping[str, Any]) -> None:
    kit.statuses.check(e["kind"], e["key"], e["name"], e["category"], e.get("order"))


def _status(d: Deploying, e: Mapping[str, Any]) -> str:
    kind, key = str(e["kind"]), str(e["key"]).strip()
    return d.kit.statuses.add(kind, key, e["name"], category=e["category"], order=e.get("order")).id


def _statuses(kit: Kit, names: Sequence[str]) -> dict[str, Any]:
    """Stored statuses among ``names`` (``<kind>.<key>``, one read), and registered ones,
    which are installed with no record of their own."""
    out: dict[str, Any] = {f"{s.kind}.{s.key}": s for s in kit.registered_statuses}
    out.update({f"{s.record_kind}.{s.key}": s for s in kit.statuses.stored(include_inactive=True)})
    return {n: out[n] for n in names if n in out}


def _status_now(kit: Kit, installed: Any) -> dict[str, Any]:
    if isinstance(installed, Status):  # registered: a name and a category, no order of its own
        return {"name": installed.label, "category": installed.category}
    return {"name": installed.name, "category": installed.category, "order": installed.order}


register(
    AssetKind(
        "statuses",
        15,
        _STATUS_KEYS,
        frozenset({"order"}),
        create=_status,
        check=_check_status,
        ident="key",
        name_of=_status_name,
        installed=_statuses,
        current=_status_now,
    )
)


# ------------------------------------------------------------------------ plan types
_PLAN_TYPE_OPTIONS = frozenset(
    {
        "statuses",
        "sharing_enabled",
        "objective_type",
        "objective_priority",
        "objective_category",
        "objective_status",
        "objective_due_days",
        "active",
    }
)


def _plan_type(d: Deploying, e: Mapping[str, Any]) -> str:
    options = {k: v for k, v in e.items() if k in _PLAN_TYPE_OPTIONS}
    return d.kit.config.define_plan_type(e["key"], e["name"], **options).id


#: Plan type fields that name a configuration choice or a status the bundle itself may
#: add: they are checked as the plan type is created, inside the deploy's transaction.
_CHOICE_FIELDS = frozenset(
    {"key", "objective_type", "objective_priority", "objective_category", "statuses", "objective_status"}
)


def _check_plan_type(kit: Kit, e: Mapping[str, Any]) -> None:
    kit.config.check_plan_type({k: v for k, v in e.items() if k not in _CHOICE_FIELDS})


register(
    AssetKind(
        "plan_types",
        20,
        frozenset({"key", "name"}),
        _PLAN_TYPE_OPTIONS,
        create=_plan_type,
        check=_check_plan_type,
        ident="key",
        flags=frozenset({"sharing_enabled", "active"}),
        installed=lambda kit, names: {t.key: t for t in kit.config.plan_types(include_inactive=True) if t.key in names},
    )
)


# ------------------------------------------------------------------------ custom fields
_FIELD_KEYS = frozenset({"name", "type", "label", "options", "indexed"})


def _check_field(f: Mapping[str, Any]) -> None:
    """What a declaration needs that can be told without storage: type, options."""
    name, kind = f.get("name"), f.get("type")
    if kind not in FIELD_TYPES:
        raise ValidationError(f"field {name!r}: type is one of {', '.join(FIELD_TYPES)}", value=kind)
    options = f.get("options", [])
    if isinstance(options, (str, bytes)) or not isinstance(options, Sequence):
        raise ValidationError(f"field {name!r}: options is a list of text", value=options)
    if not all(isinstance(o, str) and o.strip() for o in options):
        raise ValidationError(f"field {name!r}: options is a list of text", value=list(options))
    if kind in ("dropdown", "multiselect") and not options:
        raise ValidationError(f"field {name!r}: a {kind} field lists its options", value=name)
    if "indexed" in f and not isinstance(f["indexed"], bool):
        raise ValidationError(f"field {name!r}: indexed is true or false", value=f["indexed"])


def _field_name(e: Mapping[str, Any]) -> str:
    return f"{str(e.get('record_kind', '')).strip()}.{str(e['name']).strip()}"


def _check_custom_field(kit: Kit, e: Mapping[str, Any]) -> None:
    kind = e.get("record_kind")
    if not isinstance(kind, str) or kind not in kit.store.schemas:
        raise ValidationError("record_kind names a record kind (company, person, activity...)", value=kind)
    _check_field(e)


def _declare(d: Deploying, record_kind: str, f: Mapping[str, Any], scope: Any) -> str:
    return d.kit.custom_fields.declare(
        record_kind,
        str(f["name"]).strip(),
        f["type"],
        label=f.get("label"),
        options=list(f.get("options", ())),
        scope=scope,
        indexed=f.get("indexed", False),
    ).id


def _declared(kit: Kit, names: Sequence[str]) -> dict[str, Any]:
    """Installed declarations among ``names`` (``<record kind>.<field>``), one read per record kind."""
    out: dict[str, Any] = {}
    for record_kind in sorted({n.split(".", 1)[0] for n in names}):
        if record_kind in kit.store.schemas:
            for name, decl in kit.custom_fields.declared(record_kind).items():
                if f"{record_kind}.{name}" in names:
                    out[f"{record_kind}.{name}"] = decl
    return out


def _field_now(kit: Kit, decl: Any) -> dict[str, Any]:
    out = {"type": decl.type, "label": decl.label, "options": list(decl.options), "indexed": decl.indexed}
    if decl.record_kind == "activity":  # a relationship type's scope is stored as its id: not compared
        out["scope"] = decl.scope
    return out


register(
    AssetKind(
        "custom_fields",
        22,
        frozenset({"record_kind", "name", "type"}),
        frozenset({"label", "options", "scope", "indexed"}),
        create=lambda d, e: _declare(d, e["record_kind"], e, e.get("scope")),
        check=_check_custom_field,
        name_of=_field_name,
        flags=frozenset({"indexed"}),
        installed=_declared,
        current=_field_now,
    )
)


# ------------------------------------------------------------------------ activity types
@attrs.frozen
class Registered:
    """An activity type a plugin registers: installed, with no record of its own."""

    key: str
    label: str


def _check_activity_type(kit: Kit, e: Mapping[str, Any]) -> None:
    from successkit.engagement.timeline import ActivityTypes

    label = e.get("label")
    if label is not None and (not isinstance(label, str) or not label.strip()):
        raise ValidationError("label is text", value=label)
    ActivityTypes().register(str(e["key"]).strip(), label)  # the key's form, checked where types are
    fields = e.get("fields", [])
    if isinstance(fields, (str, bytes, Mapping)) or not isinstance(fields, Sequence):
        raise ValidationError("fields is a list of field declarations", value=fields)
    for f in fields:
        if not isinstance(f, Mapping) or not {"name", "type"} <= set(f) or set(f) - _FIELD_KEYS:
            raise ValidationError(f"a field is a mapping of {', '.join(sorted(_FIELD_KEYS))}", value=f)
        _check_field(f)


def _activity_type(d: Deploying, e: Mapping[str, Any]) -> str:
    key = str(e["key"]).strip()
    label = e.get("label") or key.replace("_", " ").capitalize()
    item = d.kit.config.add_item("activity_type", key, label)
    for f in listed(e.get("fields")):
        _declare(d, "activity", f, key)
    return item.id


def _activity_types(kit: Kit, names: Sequence[str]) -> dict[str, Any]:
    stored = {i.key: i for i in kit.config.items("activity_type", include_inactive=True) if i.key in names}
    types = kit.activity_types
    return {k: stored.get(k) or Registered(k, types.label(k)) for k in names if k in types or k in stored}


def _fields_form(fields: Any) -> list[dict[str, Any]]:
    return sorted(
        (
            {
                "name": str(f.get("name", "")).strip(),
                "type": f.get("type"),
                "label": f.get("label"),
                "options": list(f.get("options", ())),
                "indexed": f.get("indexed", False),
            }
            for f in listed(fields)
            if isinstance(f, Mapping)
        ),
        key=lambda f: f["name"],
    )


def _type_now(kit: Kit, installed: Any) -> dict[str, Any]:
    key = installed.key
    decls = [d for d in kit.custom_fields.declared("activity").values() if d.scope == key]
    fields = [
        {"name": d.name, "type": d.type, "label": d.label, "options": list(d.options), "indexed": d.indexed}
        for d in decls
    ]
    label = installed.label if isinstance(installed, Registered) else installed.name
    return {"label": label, "fields": _fields_form(fields)}


def _type_normal(kit: Kit, e: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"fields": _fields_form(e.get("fields", []))}
    if e.get("label") is not None:
        out["label"] = e["label"]
    return out


register(
    AssetKind(
        "activity_types",
        21,
        frozenset({"key"}),
        frozenset({"label", "fields"}),
        create=_activity_type,
        check=_check_activity_type,
        ident="key",
        installed=_activity_types,
        current=_type_now,
        normal=_type_normal,
    )
)
