"""Solution bundles (VAULT_01-VAULT_05): files of assets deployed in one transaction.

A bundle is a JSON or TOML document (format described in ``docs/bundles.md``):
a header (name, version, category, author, what it requires) and lists of assets
of the kinds registered in :mod:`successkit.automation.bundle_assets` - CTA
types, statuses, plan types, custom fields, activity types, surveys, email templates,
playbooks, plan templates, measures, scorecards, 360 layouts, rules...  References
between assets are by name, so a bundle is portable between workspaces.
Deploying checks the requirements and every entry first, then creates what is
missing in one transaction (an installed asset of the same name is left as it
is and compared with the bundle's: the diff); a failure anywhere leaves storage
unchanged.
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
from successkit.records import ConfigItem
from successkit.records.checks import flag, require_type, text_list
from successkit.service import stamp

from .bundle_assets import AssetKind, Installed, compare, kinds
from .bundle_requires import (
    Requirements,
    installed_setting,
    installed_versions,
    record_installed,
    requirements,
    unmet,
)

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = [
    "ASSET_KINDS",
    "FORMAT",
    "AssetDiff",
    "Bundle",
    "BundleService",
    "DeployStep",
    "Deployment",
    "Requirements",
]

#: The bundle format this library reads.
FORMAT = 1

#: Asset kinds in deploy order (an asset may refer to kinds before it), with
#: their required and optional keys; the registry is
#: :func:`successkit.automation.bundle_assets.kinds`.
ASSET_KINDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    k.name: (k.required, k.optional) for k in kinds().values()
}
_HEADER = frozenset({"format", "name", "version", "title", "description", "category", "author", "requires"})
#: The largest bundle read (characters of text, or bytes of a file) and the
#: deepest nesting of lists and tables in it (SEC_07); shipped bundles use a
#: few kilobytes and six levels.
MAX_BUNDLE_SIZE = 2_000_000
MAX_DEPTH = 20


def _bad(bundle: str, message: str, value: Any, rule: str = "VAULT_01") -> RuleViolation:
    return RuleViolation(rule, f"bundle {bundle!r}: {message}", value=value)


# ------------------------------------------------------------------------------ the file
@attrs.frozen
class Bundle:
    """A checked bundle document: header and assets by kind, in file order.
    ``category`` and ``author`` describe it in a catalogue; ``requires`` names the
    bundles, extras and features it needs (VAULT_05)."""

    name: str
    version: str
    title: str
    description: str
    assets: Mapping[str, tuple[Mapping[str, Any], ...]]
    source: str | None = None
    category: str | None = None
    author: str | None = None
    requires: Requirements = attrs.field(factory=Requirements)

    @classmethod
    def from_dict(cls, data: Any, *, source: str | None = None) -> Bundle:
        """Check the document's shape: header, known asset kinds, required and
        known keys of every entry, names unique per kind (VAULT_01, VAULT_05)."""
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
        registry = kinds()
        unknown = set(data) - _HEADER - set(registry)
        if unknown:
            raise _bad(name, f"unknown asset kind; known: {', '.join(registry)}", sorted(unknown)[0])
        version = data.get("version", "1")
        if not isinstance(version, (str, int)):
            raise _bad(name, "'version' is text", version)
        header = {}
        for key in ("category", "author"):
            value = data.get(key)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise _bad(name, f"'{key}' is text", value, "VAULT_05")
            header[key] = value.strip() if isinstance(value, str) else None
        try:
            needs = requirements(data.get("requires"))
        except ValidationError as e:
            raise _bad(name, f"requires: {e.message}", e.value, "VAULT_05") from None
        assets = {kind: _entries(name, registry[kind], data.get(kind, [])) for kind in registry}
        return cls(
            name=name,
            version=str(version),
            title=str(data.get("title") or name),
            description=str(data.get("description") or ""),
            assets=assets,
            source=source,
            requires=needs,
            **header,
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
            **{k: v for k in ("category", "author") if (v := getattr(self, k)) is not None},
            **({"requires": self.requires.to_dict()} if self.requires else {}),
            **{k: [dict(e) for e in v] for k, v in self.assets.items() if v},
        }

    def entries(self) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
        """(kind, name, entry) in deploy order."""
        for kind, spec in kinds().items():
            for entry in self.assets.get(kind, ()):
                yield kind, spec.key_of(entry), entry


def _entries(bundle: str, spec: AssetKind, entries: Any) -> tuple[Mapping[str, Any], ...]:
    """The entries of one kind, each with its required and known keys, named once."""
    kind, required, optional = spec.name, spec.required, spec.optional
    if isinstance(entries, (str, bytes, Mapping)) or not isinstance(entries, Sequence):
        raise _bad(bundle, f"{kind} is a list of entries", entries)
    seen: set[str] = set()
    out = []
    for i, entry in enumerate(entries):
        where = f"{kind}[{i + 1}]"
        if not isinstance(entry, Mapping):
            raise _bad(bundle, f"{where} is a mapping", entry)
        ident = entry.get(spec.ident)
        if isinstance(ident, str) and ident:
            where = f"{where} {ident!r}"
        missing = sorted(required - set(entry))
        if missing:
            raise _bad(bundle, f"{where}: missing field {missing[0]!r}", missing[0])
        extra = sorted(set(entry) - required - optional)
        if extra:
            raise _bad(bundle, f"{where}: unknown field; known: {', '.join(sorted(required | optional))}", extra[0])
        if not isinstance(ident, str) or not ident.strip():
            raise _bad(bundle, f"{where}: {spec.ident} is text", ident)
        entry = {**entry, spec.ident: ident.strip()}  # names are stored stripped: compare them that way
        key = spec.key_of(entry)
        if key in seen:
            raise _bad(bundle, f"{where}: listed twice", key)
        seen.add(key)
        for switch in spec.flags & set(entry):
            if not isinstance(entry[switch], bool):
                raise _bad(bundle, f"{where}: {switch} is true or false", entry[switch])
        out.append(entry)
    return tuple(out)


# ------------------------------------------------------------------------------ report
@attrs.frozen
class DeployStep:
    """One asset of a deployment: ``created``, ``exists`` (left as it is) or ``skipped``."""

    kind: str
    name: str
    result: str
    record_id: str | None = None


@attrs.frozen
class AssetDiff:
    """An installed asset that differs from the bundle's entry: its kind, its name and
    the entry keys whose values differ (VAULT_05)."""

    kind: str
    name: str
    fields: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.kind[:-1].replace('_', ' ')} {self.name!r}: {', '.join(self.fields)}"


@attrs.frozen
class Deployment:
    """What deploying a bundle did (or, for a dry run, would do); ``diffs`` lists the
    installed assets that differ from the bundle's and were left as they are."""

    bundle: str
    version: str
    dry_run: bool
    steps: tuple[DeployStep, ...]
    diffs: tuple[AssetDiff, ...] = ()

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
        """A headline with the counts, then one line per asset (with the fields that
        differ from the installed asset)."""
        head = f"Bundle {self.bundle!r} {self.version}" + (" (dry run, nothing written)" if self.dry_run else "")
        words = {"created": "created", "exists": "already there", "skipped": "skipped"}
        counts = ", ".join(f"{self.count(r)} {words[r]}" for r in words if self.count(r))
        if self.diffs:
            counts += f", {len(self.diffs)} differ from the bundle"
        lines = [f"{head}: {counts or 'nothing to do'}"]
        differ = {(d.kind, d.name): d.fields for d in self.diffs}
        for s in self.steps:
            note = f" (differs: {', '.join(differ[(s.kind, s.name)])})" if (s.kind, s.name) in differ else ""
            lines.append(f"  {s.result:<8} {s.kind[:-1].replace('_', ' ')} {s.name!r}{note}")
        return lines

    def __str__(self) -> str:
        return "\n".join(self.describe())

    def _repr_html_(self) -> str:
        """The counts, then each asset and what happened to it, in notebooks (DATA_01)."""
        from successkit.views.result_html import deployment_html

        return deployment_html(self)


class _DryRun(Exception):
    """Raised to roll back a dry-run deployment."""


# ------------------------------------------------------------------------------ service
class BundleService:
    """``kit.bundles``: the bundles on offer, deploying one, and what differs."""

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
            raise NotFound("bundle", name, by="name")
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

    def installed(self) -> dict[str, str]:
        """The bundles deployed in this workspace, with the version last deployed (VAULT_05)."""
        prefix = installed_setting("")
        return {key[len(prefix) :]: value or "" for key, value in self.kit.config.settings(prefix).items()}

    def diff(self, bundle: Bundle | Mapping[str, Any] | str | Path) -> tuple[AssetDiff, ...]:
        """The installed assets that differ from the bundle's entries: kind, name and
        the keys that differ (VAULT_05); nothing is written."""
        b = self.read(bundle)
        return _Deploy(self.kit, b, set()).differences()

    def deploy(
        self, bundle: Bundle | Mapping[str, Any] | str | Path, *, skip: Iterable[str] = (), dry_run: bool = False
    ) -> Deployment:
        """Create the bundle's assets that do not exist yet, in one transaction
        (VAULT_01, VAULT_03).  ``skip`` names asset kinds (``"rules"``) or single
        assets (``"rules:Renewal follow-up"``) to leave out (VAULT_02).  An unmet
        requirement refuses the deploy, naming it (VAULT_05); installed assets are
        kept as they are and the report's ``diffs`` says which differ from the
        bundle.  A dry run does everything, reports it, and rolls it back."""
        dry_run = flag("bundle deploy", "dry_run", dry_run)
        b = self.read(bundle)
        skipped = _skips(b, skip)
        steps: list[DeployStep] = []
        diffs: tuple[AssetDiff, ...] = ()
        try:
            with self.kit.store.exclusive("bundles:deploy"), self.kit.transaction():
                self.kit.config.refresh()  # what a deploy that went first added (SEC_04)
                missing = unmet(self.kit, b.requires, installed_versions(self.kit, b.requires.bundles))
                if missing:
                    what, value = missing[0]
                    raise _bad(b.name, f"requires {what}, which this workspace lacks", value, "VAULT_05")
                run = _Deploy(self.kit, b, skipped)
                steps = run.run()
                diffs = run.diffs
                record_installed(self.kit, b.name, b.version)
                if dry_run:
                    raise _DryRun
        except _DryRun:  # the rollback also cleared the kit's configuration cache
            steps = [attrs.evolve(s, record_id=None) for s in steps]
        return Deployment(b.name, b.version, dry_run, tuple(steps), diffs)


def _skips(b: Bundle, skip: Iterable[str]) -> set[tuple[str, str | None]]:
    skip = [skip] if isinstance(skip, str) else text_list("bundle deploy", "skip", skip)
    names = {(kind, name) for kind, name, _ in b.entries()}
    registry = kinds()
    out: set[tuple[str, str | None]] = set()
    for item in skip:
        kind, _, name = str(item).partition(":")
        if kind not in registry:
            raise RuleViolation(
                "VAULT_02", f"skip names an unknown asset kind; known: {', '.join(registry)}", value=item
            )
        if name and (kind, name) not in names:
            raise RuleViolation("VAULT_02", f"bundle {b.name!r} has no {kind} entry {name!r}", value=item)
        out.add((kind, name or None))
    return out


class _Deploy:
    """One deployment, bounded by the bundle's size (SEC_07): what is installed is
    read once per kind (names referred to included), every entry is checked before
    anything is written, configuration choices are written with one insert per
    kind, and every later lookup is a dict lookup."""

    def __init__(self, kit: Kit, bundle: Bundle, skipped: set[tuple[str, str | None]]) -> None:
        self.kit, self.bundle, self.skipped = kit, bundle, skipped
        self.bundle_name = bundle.name
        self.kinds = kinds()
        self.ids: dict[tuple[str, str], str] = {}  # (kind, name) -> id of a created or installed asset
        self.stored: dict[str, dict[str, Installed]] = {}
        self.diffs: tuple[AssetDiff, ...] = ()

    def run(self) -> list[DeployStep]:
        self._read()
        self._check()
        self.diffs = self._compare()
        steps: list[DeployStep] = []
        for kind, spec in self.kinds.items():
            todo: list[tuple[str, Mapping[str, Any]]] = []
            for name, entry in self._of(kind):
                if (kind, None) in self.skipped or (kind, name) in self.skipped:
                    steps.append(DeployStep(kind, name, "skipped"))
                elif name in self.stored[kind]:
                    steps.append(DeployStep(kind, name, "exists", getattr(self.stored[kind][name], "id", None)))
                else:
                    steps.append(DeployStep(kind, name, "created"))
                    todo.append((name, entry))
            made = self._choices(spec, todo) if spec.choice else [self._one(spec, n, e) for n, e in todo]
            for (name, _), record_id in zip(todo, made, strict=True):
                self.ids[(kind, name)] = record_id
        return [attrs.evolve(s, record_id=self.ids[(s.kind, s.name)]) if s.result == "created" else s for s in steps]

    def differences(self) -> tuple[AssetDiff, ...]:
        self._read()
        return self._compare()

    def _of(self, kind: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
        spec = self.kinds[kind]
        return ((spec.key_of(e), e) for e in self.bundle.assets.get(kind, ()))

    def _check(self) -> None:
        """Every entry that is not skipped, checked before anything is written."""
        for kind, spec in self.kinds.items():
            for name, entry in self._of(kind):
                if (kind, None) in self.skipped or (kind, name) in self.skipped:
                    continue
                try:
                    spec.check(self.kit, entry)
                except ValidationError as e:
                    raise _bad(self.bundle.name, f"{kind} {name!r}: {e.message}", e.value) from e

    def _compare(self) -> tuple[AssetDiff, ...]:
        out = []
        for kind, spec in self.kinds.items():
            for name, entry in self._of(kind):
                if name in self.stored[kind] and (kind, None) not in self.skipped and (kind, name) not in self.skipped:
                    fields = compare(self.kit, spec, entry, self.stored[kind][name])
                    if fields:
                        out.append(AssetDiff(kind, name, fields))
        return tuple(out)

    def _one(self, spec: AssetKind, name: str, entry: Mapping[str, Any]) -> str:
        assert spec.create is not None, spec.name
        try:
            return spec.create(self, entry)
        except (ValidationError, NotFound) as e:  # the entry is at fault, not storage
            if isinstance(e, ValidationError) and e.rule == "AUTO_04":  # a loop names the rules, not the entry
                raise _bad(self.bundle.name, f"{spec.name} {name!r}: {e.message}", e.value, "AUTO_04") from e
            raise _bad(self.bundle.name, f"{spec.name} {name!r}: {e}", name) from e

    def _choices(self, spec: AssetKind, todo: list[tuple[str, Mapping[str, Any]]]) -> list[str]:
        """CTA types, reasons, priorities or objective categories, added after the
        existing ones with one insert (adding them one by one re-reads the whole
        configuration each time)."""
        if not todo or spec.choice is None:
            return []
        kit, category = self.kit, spec.choice
        after = len(kit.config.items(category, include_inactive=True))
        made = []
        for i, (key, e) in enumerate(todo):
            label = e["name"]
            if not isinstance(label, str) or not label.strip():
                raise _bad(self.bundle.name, f"{spec.name} {key!r}: the name is text", label)
            made.append(ConfigItem(**stamp(kit), category=category, key=key, name=label.strip(), order=after + i))
        kit.store.insert_many(made)
        kit.config.refresh()
        return [m.id for m in made]

    def _read(self) -> None:
        """What is installed, per kind, with the names entries refer to (one read per kind)."""
        wanted: dict[str, set[str]] = {}
        for kind, spec in self.kinds.items():
            if spec.refers is not None:
                for _, e in self._of(kind):
                    for other, name in spec.refers(e):
                        wanted.setdefault(other, set()).add(name)
        for kind, spec in self.kinds.items():
            names = {n for n, _ in self._of(kind)} | wanted.get(kind, set())
            self.stored[kind] = spec.find(self.kit, sorted(names))

    def ref(self, kind: str, name: Any) -> str:
        """The id of an asset named in this bundle or already in storage (read with the rest)."""
        if not isinstance(name, str) or not name.strip():
            raise ValidationError(f"{article(kind[:-1].replace('_', ' '))} is named by text", value=name)
        name = name.strip()
        installed = self.stored.get(kind, {}).get(name)
        found = self.ids.get((kind, name)) or getattr(installed, "id", None)
        if found is None:
            raise ValidationError(
                f"refers to {kind[:-1].replace('_', ' ')} {name!r}, which is neither in the bundle nor in storage",
                value=name,
            )
        return str(found)


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


def shipped() -> list[Bundle]:
    """The bundles that come with the library (VAULT_04)."""
    folder = resources.files("successkit.automation") / "shipped_bundles"
    source = "successkit/automation/shipped_bundles"
    return [
        Bundle.parse(f.read_text(encoding="utf-8"), "toml", source=f"{source}/{f.name}")
        for f in sorted(folder.iterdir(), key=lambda f: f.name)
        if f.name.endswith(".toml")
    ]
