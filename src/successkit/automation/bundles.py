"""Solution bundles (VAULT_01-04): files of assets deployed in one transaction.

A bundle is a JSON or TOML document (format described in ``docs/bundles.md``)
listing CTA types, reasons, email templates, playbooks, plan templates, goal
templates, measures, scorecards, 360 layouts and rules.  References between
assets are by name, so a bundle is portable between workspaces.  Deploying checks
the whole bundle first, then creates what is missing in one transaction (an asset
whose name already exists is left as it is, so a redeploy creates nothing twice);
a failure anywhere leaves storage unchanged.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from successkit.errors import NotFound, RuleViolation, ValidationError, article
from successkit.query.language import Query
from successkit.records import ConfigItem
from successkit.records.checks import flag, require_type, text_list
from successkit.service import stamp

from .rules import TARGETS

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["ASSET_KINDS", "FORMAT", "Bundle", "BundleService", "DeployStep", "Deployment"]

#: The bundle format this library reads.
FORMAT = 1

#: Asset kinds in deploy order (an asset may refer to kinds before it), with
#: their required and optional keys.
ASSET_KINDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "cta_types": (frozenset({"key", "name"}), frozenset()),
    "reasons": (frozenset({"key", "name"}), frozenset()),
    "email_templates": (frozenset({"name", "subject"}), frozenset({"body"})),
    "playbooks": (frozenset({"name", "steps"}), frozenset({"description", "cta_types", "all_cta_types"})),
    "plan_templates": (frozenset({"name", "plan_type", "objectives"}), frozenset({"description", "business_days"})),
    "goal_templates": (frozenset({"name"}), frozenset({"description", "status", "due_days", "fields"})),
    "measures": (
        frozenset({"key"}),
        frozenset({"label", "source", "description", "staleness_days", "locked"}),
    ),
    "scorecards": (
        frozenset({"key", "measures"}),
        frozenset(
            {
                "name",
                "description",
                "target",
                "default",
                "position",
                "where",
                "logic",
                "scheme",
                "groups",
                "na_policy",
                "na_value",
                "period",
                "trend_tolerance",
                "rollup",
            }
        ),
    ),
    "layouts": (
        frozenset({"key", "sections"}),
        frozenset({"name", "target", "user_groups", "relationship_types", "where", "logic", "default", "position"}),
    ),
    "rules": (
        frozenset({"name", "actions"}),
        frozenset({"description", "target", "where", "logic", "without_activity", "active", "trigger", "limit"}),
    ),
}
_HEADER = frozenset({"format", "name", "version", "title", "description"})
_ID_KEY = {"cta_types": "key", "reasons": "key", "measures": "key", "scorecards": "key", "layouts": "key"}
#: Asset kinds that are configuration choices (stored as config items, not records).
_CHOICES = frozenset({"cta_types", "reasons"})
#: Entry keys that are true or false (JSON and TOML booleans, never text).
_FLAGS = frozenset({"active", "business_days", "all_cta_types", "locked", "default"})
#: The largest bundle read (characters of text, or bytes of a file) and the
#: deepest nesting of lists and tables in it (SEC_07); shipped bundles use a
#: few kilobytes and six levels.
MAX_BUNDLE_SIZE = 2_000_000
MAX_DEPTH = 20
#: The record kind each named asset kind is stored as.
_STORED = {
    "email_templates": "email_template",
    "playbooks": "playbook",
    "plan_templates": "plan_template",
    "goal_templates": "goal_template",
    "measures": "measure",
    "scorecards": "scorecard",
    "layouts": "view_layout",
    "rules": "rule",
}


def _bad(bundle: str, message: str, value: Any) -> RuleViolation:
    return RuleViolation("VAULT_01", f"bundle {bundle!r}: {message}", value=value)


# ------------------------------------------------------------------------------ the file
@attrs.frozen
class Bundle:
    """A checked bundle document: header and assets by kind, in file order."""

    name: str
    version: str
    title: str
    description: str
    assets: Mapping[str, tuple[Mapping[str, Any], ...]]
    source: str | None = None

    @classmethod
    def from_dict(cls, data: Any, *, source: str | None = None) -> Bundle:
        """Check the document's shape: header, known asset kinds, required and
        known keys of every entry, names unique per kind (VAULT_01)."""
        label = source or "<bundle>"
        if not isinstance(data, Mapping):
            raise _bad(label, "a bundle is a mapping of header fields and asset lists", type(data).__name__)
        if _depth(data) > MAX_DEPTH:
            raise _bad(label, f"lists and tables nest at most {MAX_DEPTH} deep (SEC_07)", MAX_DEPTH + 1)
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            raise _bad(label, "the bundle needs a 'name'", name)
        if data.get("format") != FORMAT:
            raise _bad(name, f"unsupported format; this library reads format = {FORMAT}", data.get("format"))
        unknown = set(data) - _HEADER - set(ASSET_KINDS)
        if unknown:
            raise _bad(name, f"unknown asset kind; known: {', '.join(ASSET_KINDS)}", sorted(unknown)[0])
        version = data.get("version", "1")
        if not isinstance(version, (str, int)):
            raise _bad(name, "'version' is text", version)
        assets: dict[str, tuple[Mapping[str, Any], ...]] = {}
        for kind, (required, optional) in ASSET_KINDS.items():
            entries = data.get(kind, [])
            if isinstance(entries, (str, bytes, Mapping)) or not isinstance(entries, Sequence):
                raise _bad(name, f"{kind} is a list of entries", entries)
            seen: set[str] = set()
            for i, entry in enumerate(entries):
                where = f"{kind}[{i + 1}]"
                if not isinstance(entry, Mapping):
                    raise _bad(name, f"{where} is a mapping", entry)
                ident = entry.get(_ID_KEY.get(kind, "name"))
                if isinstance(ident, str) and ident:
                    where = f"{where} {ident!r}"
                missing = sorted(required - set(entry))
                if missing:
                    raise _bad(name, f"{where}: missing field {missing[0]!r}", missing[0])
                extra = sorted(set(entry) - required - optional)
                if extra:
                    raise _bad(
                        name, f"{where}: unknown field; known: {', '.join(sorted(required | optional))}", extra[0]
                    )
                if not isinstance(ident, str) or not ident.strip():
                    raise _bad(name, f"{where}: {_ID_KEY.get(kind, 'name')} is text", ident)
                ident = ident.strip()  # names are stored stripped: compare them that way
                if ident in seen:
                    raise _bad(name, f"{where}: listed twice", ident)
                seen.add(ident)
                for switch in _FLAGS & set(entry):
                    if not isinstance(entry[switch], bool):
                        raise _bad(name, f"{where}: {switch} is true or false", entry[switch])
                if kind == "rules" and entry.get("target", "company") not in TARGETS:
                    raise _bad(name, f"{where}: target is one of {', '.join(TARGETS)}", entry.get("target"))
            key = _ID_KEY.get(kind, "name")
            assets[kind] = tuple({**e, key: e[key].strip()} for e in entries)
        return cls(
            name=name,
            version=str(version),
            title=str(data.get("title") or name),
            description=str(data.get("description") or ""),
            assets=assets,
            source=source,
        )

    @classmethod
    def load(cls, path: str | Path) -> Bundle:
        """Read a ``.json`` or ``.toml`` bundle file."""
        p = Path(path)
        try:
            if p.stat().st_size > MAX_BUNDLE_SIZE:
                raise _bad(str(p), f"a bundle file is at most {MAX_BUNDLE_SIZE:,} bytes (SEC_07)", p.stat().st_size)
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise _bad(str(p), f"cannot read the bundle file: {e}", str(p)) from None
        return cls.parse(text, "toml" if p.suffix.lower() == ".toml" else "json", source=str(p))

    @classmethod
    def parse(cls, text: str, syntax: str = "json", *, source: str | None = None) -> Bundle:
        """A bundle from JSON or TOML text; a syntax error names the line.  Text
        over :data:`MAX_BUNDLE_SIZE` characters, nesting the parser cannot
        follow and numbers too long to read are refused (VAULT_01, SEC_07)."""
        label = source or "<bundle>"
        if syntax not in ("json", "toml"):
            raise _bad(label, "a bundle is written in json or toml", syntax)
        if not isinstance(text, str):
            raise _bad(label, "a bundle is text", type(text).__name__)
        if len(text) > MAX_BUNDLE_SIZE:
            raise _bad(label, f"a bundle is at most {MAX_BUNDLE_SIZE:,} characters (SEC_07)", len(text))
        try:
            data = tomllib.loads(text) if syntax == "toml" else json.loads(text)
        except (tomllib.TOMLDecodeError, json.JSONDecodeError) as e:
            raise _bad(label, f"not valid {syntax.upper()}: {e}", syntax) from None
        except RecursionError:
            raise _bad(label, f"lists and tables nest at most {MAX_DEPTH} deep (SEC_07)", syntax) from None
        except ValueError as e:  # a number longer than Python reads (4,300 digits)
            raise _bad(label, f"not readable {syntax.upper()} (SEC_07): {e}", syntax) from None
        return cls.from_dict(data, source=source)

    def to_dict(self) -> dict[str, Any]:
        """The document form (``json.dumps`` gives a loadable file)."""
        return {
            "format": FORMAT,
            "name": self.name,
            "version": self.version,
            "title": self.title,
            "description": self.description,
            **{k: [dict(e) for e in v] for k, v in self.assets.items() if v},
        }

    def entries(self) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
        """(kind, name, entry) in deploy order."""
        for kind in ASSET_KINDS:
            for entry in self.assets.get(kind, ()):
                yield kind, str(entry[_ID_KEY.get(kind, "name")]), entry


# ------------------------------------------------------------------------------ report
@attrs.frozen
class DeployStep:
    """One asset of a deployment: ``created``, ``exists`` (left as it is) or ``skipped``."""

    kind: str
    name: str
    result: str
    record_id: str | None = None


@attrs.frozen
class Deployment:
    """What deploying a bundle did (or, for a dry run, would do)."""

    bundle: str
    version: str
    dry_run: bool
    steps: tuple[DeployStep, ...]

    def count(self, result: str) -> int:
        """How many assets had ``result``: ``created``, ``exists`` or ``skipped``."""
        return sum(1 for s in self.steps if s.result == result)

    @property
    def created(self) -> int:
        """Assets created (or, in a dry run, that would be)."""
        return self.count("created")

    def to_pandas(self) -> Any:
        """The assets and what happened to each as a pandas DataFrame (needs the ``pandas`` extra)."""
        from successkit.views.frames import records_frame

        return records_frame(self.steps, record_class=DeployStep)

    def describe(self) -> list[str]:
        """A headline with the counts, then one line per asset."""
        head = f"Bundle {self.bundle!r} {self.version}" + (" (dry run, nothing written)" if self.dry_run else "")
        words = {"created": "created", "exists": "already there", "skipped": "skipped"}
        counts = ", ".join(f"{self.count(r)} {words[r]}" for r in words if self.count(r))
        lines = [f"{head}: {counts or 'nothing to do'}"]
        lines += [f"  {s.result:<8} {s.kind[:-1].replace('_', ' ')} {s.name!r}" for s in self.steps]
        return lines

    def __str__(self) -> str:
        return "\n".join(self.describe())


class _DryRun(Exception):
    """Raised to roll back a dry-run deployment."""


# ------------------------------------------------------------------------------ service
class BundleService:
    """``kit.bundles``: the bundles on offer, and deploying one."""

    def __init__(self, kit: Kit) -> None:
        self.kit = kit

    def available(self) -> dict[str, Bundle]:
        """Bundles shipped with the library and by plugins (``successkit_register_bundles``), by name."""
        found: dict[str, Bundle] = {}

        def register(bundle: Bundle | Mapping[str, Any] | str | Path) -> None:
            b = self.read(bundle)
            if b.name in found:
                raise ValidationError("a bundle with this name is registered twice", value=b.name)
            found[b.name] = b

        self.kit.plugins.hook.successkit_register_bundles(register=register)
        return dict(sorted(found.items()))

    def get(self, name: str) -> Bundle:
        """An available bundle by name (:class:`NotFound` names the unknown one)."""
        require_type("bundle", "name", name, str, "text")
        bundles = self.available()
        if name not in bundles:
            raise NotFound("bundle", name)
        return bundles[name]

    def read(self, bundle: Bundle | Mapping[str, Any] | str | Path) -> Bundle:
        """A bundle from a Bundle, a document mapping, a file path or the name of an available bundle."""
        if isinstance(bundle, Bundle):
            return bundle
        if isinstance(bundle, Mapping):
            return Bundle.from_dict(bundle)
        if isinstance(bundle, Path) or (isinstance(bundle, str) and bundle.endswith((".json", ".toml"))):
            return Bundle.load(bundle)
        if isinstance(bundle, str):
            return self.get(bundle)
        raise ValidationError("a bundle is a Bundle, a mapping, a .json/.toml path or a bundle name", value=bundle)

    def deploy(
        self, bundle: Bundle | Mapping[str, Any] | str | Path, *, skip: Iterable[str] = (), dry_run: bool = False
    ) -> Deployment:
        """Create the bundle's assets that do not exist yet, in one transaction
        (VAULT_01, VAULT_03).  ``skip`` names asset kinds (``"rules"``) or single
        assets (``"rules:Renewal follow-up"``) to leave out (VAULT_02).  A dry run
        does everything, reports it, and rolls it back."""
        dry_run = flag("bundle deploy", "dry_run", dry_run)
        b = self.read(bundle)
        skipped = _skips(b, skip)
        steps: list[DeployStep] = []
        try:
            with self.kit.store.exclusive("bundles:deploy"), self.kit.transaction():
                self.kit.config.refresh()  # what a deploy that went first added (SEC_04)
                steps = _Deploy(self.kit, b, skipped).run()
                if dry_run:
                    raise _DryRun
        except _DryRun:  # the rollback also cleared the kit's configuration cache
            steps = [attrs.evolve(s, record_id=None) for s in steps]
        return Deployment(b.name, b.version, dry_run, tuple(steps))


def _skips(b: Bundle, skip: Iterable[str]) -> set[tuple[str, str | None]]:
    skip = [skip] if isinstance(skip, str) else text_list("bundle deploy", "skip", skip)
    names = {(kind, name) for kind, name, _ in b.entries()}
    out: set[tuple[str, str | None]] = set()
    for item in skip:
        kind, _, name = str(item).partition(":")
        if kind not in ASSET_KINDS:
            raise RuleViolation(
                "VAULT_02", f"skip names an unknown asset kind; known: {', '.join(ASSET_KINDS)}", value=item
            )
        if name and (kind, name) not in names:
            raise RuleViolation("VAULT_02", f"bundle {b.name!r} has no {kind} entry {name!r}", value=item)
        out.add((kind, name or None))
    return out


class _Deploy:
    """One deployment, bounded by the bundle's size (SEC_07): what exists is read
    once per kind (names referred to included), configuration choices are
    written with one insert per kind, and every later lookup is a dict lookup."""

    def __init__(self, kit: Kit, bundle: Bundle, skipped: set[tuple[str, str | None]]) -> None:
        self.kit, self.bundle, self.skipped = kit, bundle, skipped
        self.ids: dict[tuple[str, str], str] = {}  # (kind, name) -> id of created or existing asset

    def run(self) -> list[DeployStep]:
        steps: list[DeployStep] = []
        existing = self._existing()
        for kind in ASSET_KINDS:
            todo: list[tuple[str, Mapping[str, Any]]] = []
            for name, entry in self._of(kind):
                if (kind, None) in self.skipped or (kind, name) in self.skipped:
                    steps.append(DeployStep(kind, name, "skipped"))
                elif name in existing[kind]:
                    steps.append(DeployStep(kind, name, "exists", existing[kind][name]))
                else:
                    steps.append(DeployStep(kind, name, "created"))
                    todo.append((name, entry))
            made = self._choices(kind, todo) if kind in _CHOICES else [self._one(kind, n, e) for n, e in todo]
            for (name, _), record_id in zip(todo, made, strict=True):
                self.ids[(kind, name)] = record_id
        return [attrs.evolve(s, record_id=self.ids[(s.kind, s.name)]) if s.result == "created" else s for s in steps]

    def _of(self, kind: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
        key = _ID_KEY.get(kind, "name")
        return ((str(e[key]), e) for e in self.bundle.assets.get(kind, ()))

    def _one(self, kind: str, name: str, entry: Mapping[str, Any]) -> str:
        try:
            return str(getattr(self, "_" + kind)(entry))
        except (ValidationError, NotFound) as e:  # the entry is at fault, not storage
            raise _bad(self.bundle.name, f"{kind} {name!r}: {e}", name) from e

    def _choices(self, kind: str, todo: list[tuple[str, Mapping[str, Any]]]) -> list[str]:
        """CTA types or reasons, added after the existing ones with one insert
        (adding them one by one re-reads the whole configuration each time)."""
        if not todo:
            return []
        kit, category = self.kit, kind[:-1]
        after = len(kit.config.items(category, include_inactive=True))
        made = []
        for i, (key, e) in enumerate(todo):
            label = e["name"]
            if not isinstance(label, str) or not label.strip():
                raise _bad(self.bundle.name, f"{kind} {key!r}: the name is text", label)
            made.append(ConfigItem(**stamp(kit), category=category, key=key, name=label.strip(), order=after + i))
        kit.store.insert_many(made)
        kit.config.refresh()
        return [m.id for m in made]

    def _existing(self) -> dict[str, dict[str, str]]:
        """Names already in storage, per kind, with the names entries refer to
        (one read per kind)."""
        kit, out = self.kit, {}
        wanted = self._referred()
        for kind in ASSET_KINDS:
            names = {n for n, _ in self._of(kind)} | wanted.get(kind, set())
            if kind in _CHOICES:
                category = kind[:-1]
                out[kind] = {i.key: i.id for i in kit.config.items(category, include_inactive=True) if i.key in names}
            elif names:
                ident = _ID_KEY.get(kind, "name")
                query = Query(conditions=[(ident, "in", sorted(names))])
                out[kind] = {getattr(r, ident): r.id for r in kit.store.query(kit.bind(_STORED[kind], query))}
            else:
                out[kind] = {}
        self.stored = {k: dict(v) for k, v in out.items()}
        return out

    def _referred(self) -> dict[str, set[str]]:
        """Names of playbooks and email templates the bundle's entries refer to."""
        out: dict[str, set[str]] = {"playbooks": set(), "email_templates": set()}

        def email(step: Any) -> None:
            if isinstance(step, Mapping) and isinstance(step.get("email_template"), str):
                out["email_templates"].add(step["email_template"].strip())

        for _, e in self._of("playbooks"):
            for step in _listed(e.get("steps")):
                email(step)
        for _, e in self._of("plan_templates"):
            for o in _listed(e.get("objectives")):
                if isinstance(o, Mapping):
                    if isinstance(o.get("playbook"), str):
                        out["playbooks"].add(o["playbook"].strip())
                    for t in _listed(o.get("tasks")):
                        email(t)
        return out

    def _ref(self, kind: str, name: Any) -> str:
        """The id of an asset named in this bundle or already in storage (read with the rest)."""
        if not isinstance(name, str) or not name.strip():
            raise ValidationError(f"{article(kind[:-1].replace('_', ' '))} is named by text", value=name)
        name = name.strip()
        found = self.ids.get((kind, name)) or self.stored[kind].get(name)
        if found is None:
            raise ValidationError(
                f"refers to {kind[:-1].replace('_', ' ')} {name!r}, which is neither in the bundle nor in storage",
                value=name,
            )
        return found

    # ---------------------------------------------------------------- kinds
    def _email_templates(self, e: Mapping[str, Any]) -> str:
        return self.kit.playbooks.create_email_template(e["name"], e["subject"], e.get("body", "")).id

    def _playbooks(self, e: Mapping[str, Any]) -> str:
        steps = [self._with_email(dict(s)) for s in _entries(e["steps"], "steps")]
        return self.kit.playbooks.create(
            e["name"],
            steps,
            all_cta_types=e.get("all_cta_types"),
            cta_types=e.get("cta_types", ()),
            description=e.get("description"),
        ).id

    def _plan_templates(self, e: Mapping[str, Any]) -> str:
        objectives = []
        for raw in _entries(e["objectives"], "objectives"):
            o = dict(raw)
            if o.get("playbook") is not None:
                o["playbook"] = self._ref("playbooks", o["playbook"])
            o["tasks"] = [self._with_email(dict(t)) for t in _entries(o.get("tasks", []), "tasks")]
            objectives.append(o)
        return self.kit.plan_templates.create(
            e["name"],
            e["plan_type"],
            objectives,
            business_days=e.get("business_days", False),
            description=e.get("description"),
        ).id

    def _goal_templates(self, e: Mapping[str, Any]) -> str:
        return self.kit.goal_templates.create(
            e["name"],
            description=e.get("description"),
            status=e.get("status"),
            due_days=e.get("due_days"),
            fields=e.get("fields"),
        ).id

    def _measures(self, e: Mapping[str, Any]) -> str:
        options = {k: e[k] for k in ("label", "source", "description", "staleness_days", "locked") if k in e}
        return self.kit.measures.create(e["key"], **options).id

    def _scorecards(self, e: Mapping[str, Any]) -> str:
        options = {k: v for k, v in e.items() if k not in ("key", "measures")}
        return self.kit.scorecards.create(e["key"], measures=e["measures"], **options).id

    def _layouts(self, e: Mapping[str, Any]) -> str:
        options = {k: v for k, v in e.items() if k not in ("key", "sections")}
        return self.kit.layouts.create(e["key"], e["sections"], **options).id

    def _rules(self, e: Mapping[str, Any]) -> str:
        return self.kit.rules.create(
            e["name"],
            actions=e["actions"],
            target=e.get("target", "company"),
            where=e.get("where", ()),
            logic=e.get("logic"),
            without_activity=e.get("without_activity"),
            trigger=e.get("trigger"),
            limit=e.get("limit"),
            description=e.get("description"),
            active=e.get("active", True),
            bundle=self.bundle.name,
        ).id

    def _with_email(self, step: dict[str, Any]) -> dict[str, Any]:
        if step.get("email_template") is not None:
            step["email_template"] = self._ref("email_templates", step["email_template"])
        return step


def _depth(data: Any) -> int:
    """How deep lists and mappings nest (walked without recursion, stopping past the limit)."""
    deepest, todo = 0, [(data, 1)]
    while todo:
        value, depth = todo.pop()
        if isinstance(value, Mapping):
            value = list(value.values())
        elif isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            break
        todo.extend((v, depth + 1) for v in value)
    return deepest


def _listed(value: Any) -> Sequence[Any]:
    """The items of a list in an entry, or none when it is not one (checked later)."""
    return value if isinstance(value, Sequence) and not isinstance(value, (str, bytes)) else ()


def _entries(value: Any, what: str) -> list[Mapping[str, Any]]:
    if (
        isinstance(value, (str, bytes, Mapping))
        or not isinstance(value, Sequence)
        or not all(isinstance(v, Mapping) for v in value)
    ):
        raise ValidationError(f"{what} is a list of mappings", value=value)
    return list(value)


def shipped() -> list[Bundle]:
    """The bundles that come with the library (VAULT_04)."""
    folder = resources.files("successkit.automation") / "shipped_bundles"
    source = "successkit/automation/shipped_bundles"
    return [
        Bundle.parse(f.read_text(encoding="utf-8"), "toml", source=f"{source}/{f.name}")
        for f in sorted(folder.iterdir(), key=lambda f: f.name)
        if f.name.endswith(".toml")
    ]
