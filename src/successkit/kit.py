"""The Kit: one handle on a store, the plugins, the clock and the acting user."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast, overload

import attrs

from successkit.admin.statuses import StatusRegistry
from successkit.query.bind import BoundGroup, BoundQuery, bind, bind_group
from successkit.query.language import Query
from successkit.query.schema import FieldType, schema_of
from successkit.records import RECORD_CLASSES, CustomField, Record, User
from successkit.storage.base import Store
from successkit.storage.migrations import AppliedStep, MigrationNeeded, MigrationPlan
from successkit.storage.registry import StorageRegistry

from .clock import Clock, to_clock
from .errors import AccessDenied, QueryError, ValidationError

if TYPE_CHECKING:
    import pluggy

    from successkit.accounts.companies import CompanyService, RelationshipService, RelationshipTypeService
    from successkit.accounts.custom_fields import CustomFieldService
    from successkit.accounts.people import PersonService, UserService
    from successkit.admin.config import ConfigService
    from successkit.admin.stored_statuses import StatusService
    from successkit.automation.bundles import BundleService
    from successkit.automation.programs import ProgramService
    from successkit.automation.rules import RuleService
    from successkit.engagement.access import AccessService
    from successkit.engagement.notifications import NotificationService
    from successkit.engagement.sharing import SharingService
    from successkit.engagement.timeline import ActivityTypes, TimelineService
    from successkit.goals.goals import GoalHistoryService, GoalLinkService, GoalService
    from successkit.goals.library import GoalTemplateService
    from successkit.health.measures import MeasureService
    from successkit.health.scorecards import ScorecardService
    from successkit.plans.ctas import CtaService
    from successkit.plans.objectives import ObjectiveService
    from successkit.plans.plans import PlanService
    from successkit.plans.playbooks import PlaybookService
    from successkit.plans.tasks import TaskService
    from successkit.plans.templates import PlanTemplateService
    from successkit.reports.dashboards import DashboardService
    from successkit.reports.digests import DigestService
    from successkit.reports.saved import ReportService
    from successkit.signals.history import HistoryService
    from successkit.signals.surveys import SurveyResponseService, SurveySendService, SurveyService
    from successkit.signals.usage import MetricService, UsageService
    from successkit.views.c360 import Customer360Service
    from successkit.views.c360_layouts import LayoutService

__all__ = ["Kit", "migrate", "open"]

S = TypeVar("S")


class _Service(Generic[S]):
    """A kit attribute that builds its service on first use, importing the
    service's module only then, so ``import successkit`` stays light."""

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name
        self.attr = name

    def __set_name__(self, owner: type, attr: str) -> None:
        self.attr = attr

    @overload
    def __get__(self, kit: None, owner: type) -> _Service[S]: ...
    @overload
    def __get__(self, kit: Kit, owner: type) -> S: ...
    def __get__(self, kit: Kit | None, owner: type) -> _Service[S] | S:
        if kit is None:
            return self
        service: S = getattr(importlib.import_module(self.module), self.name)(kit)
        kit.__dict__[self.attr] = service  # later reads find it first, like functools.cached_property
        return service


@attrs.define(eq=False)
class _Core:
    """State shared by a kit and its ``as_user`` views."""

    store: Store
    plugins: pluggy.PluginManager
    statuses: StatusRegistry
    clock: Clock
    activity_types: ActivityTypes
    custom: dict[str, dict[str, CustomField]] = attrs.field(factory=dict)
    cache: dict[str, Any] = attrs.field(factory=dict)
    #: The host kit (no acting user), kept while any of its views lives: event rules
    #: run with it (AUTO_01), whoever made the change.
    host: Kit | None = None


class Kit:
    """Everything successkit does, reached through services such as ``kit.companies``."""

    def __init__(self, core: _Core, actor: str | None = None) -> None:
        self._core = core
        self.actor_id = actor

    # -------------------------------------------------------------- the basics
    @property
    def shared_cache(self) -> dict[str, Any]:
        """Configuration read once and shared by this kit and its ``as_user``
        views, cleared when a transaction rolls back; services that cache
        configuration keep it here and hand out copies."""
        return self._core.cache

    @property
    def store(self) -> Store:
        """The storage; for a kit acting as a user, writes are checked against
        that user's license first (SHARE_04)."""
        return self._core.store if self.actor_id is None else self._guarded_store

    @cached_property
    def _guarded_store(self) -> Store:
        from successkit.engagement.access import GuardedStore

        return cast(Store, GuardedStore(self, self._core.store))

    @property
    def plugins(self) -> pluggy.PluginManager:
        """The plugin manager this kit was opened with."""
        return self._core.plugins

    @property
    def registered_statuses(self) -> StatusRegistry:
        """The statuses the built-ins and plugins registered, without the stored ones
        (``kit.statuses`` has both)."""
        return self._core.statuses

    @property
    def activity_types(self) -> ActivityTypes:
        """Timeline activity types: the built-ins, those plugins registered (TL_01) and
        those stored as configuration (``kit.config.add_item("activity_type", ...)``, a
        bundle's ``activity_types``), cached with the configuration."""
        cache = self._core.cache
        types = cache.get("activity_types")
        if types is None:
            stored = [(i.key, i.name) for i in self.config.items("activity_type")]
            types = cache["activity_types"] = self._core.activity_types.with_stored(stored)
        return cast("ActivityTypes", types)

    def now(self) -> datetime:
        """The kit clock's current moment (timezone-aware)."""
        return self._core.clock()

    def today(self) -> date:
        """The kit clock's current date."""
        return self.now().date()

    def as_user(self, user: User | str) -> Kit:
        """The same kit acting as ``user``: every write is checked against that
        user's rights (SEC_02).  The user must exist; the host (trusted) kit is
        the kit opened without an actor, never ``as_user(None)``."""
        if isinstance(user, User):
            actor = user.id
        elif isinstance(user, str) and user:
            actor = user
        else:
            raise ValidationError(
                "as_user takes a user or a user id; the host kit is the kit itself", rule="SEC_02", value=user
            )
        if not self._core.store.get_many("user", [actor]):
            raise AccessDenied("the acting user does not exist", rule="SEC_02", value=actor)
        return Kit(self._core, actor)

    @property
    def actor(self) -> User | None:
        """The acting user, or None for the host application itself."""
        return None if self.actor_id is None else self.users.get(self.actor_id)

    @contextmanager
    def transaction(self) -> Iterator[Kit]:
        """All writes in the block commit together or not at all (STORE_03).

        Callbacks queued with :meth:`after_commit` belong to the store's
        transaction (SEC_08): they run once the calling thread's outermost
        transaction has committed, however it was opened, and are dropped if it
        (or the nested block that queued them) rolls back.
        """
        try:
            with self._core.store.transaction():
                yield self
        except BaseException:
            self._core.cache.clear()  # cached configuration may hold what the rollback undid
            self._core.custom.clear()
            raise

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` after the calling thread's transaction commits (now, if none is open)."""
        self._core.store.after_commit(callback)

    def close(self) -> None:
        """Release the storage (connections, files); the kit is unusable afterwards."""
        self.store.close()

    def __enter__(self) -> Kit:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- queries
    def custom_field_decls(self, kind: str, *, refresh: bool = False) -> dict[str, CustomField]:
        """Declared custom fields of a record kind, by name (cached per kit; the
        caller gets its own copies, never the cache: SEC_06)."""
        copy = schema_of(CustomField).copy
        return {n: copy(d) for n, d in self.declared_fields(kind, refresh=refresh).items()}

    def declared_fields(self, kind: str, *, refresh: bool = False) -> Mapping[str, CustomField]:
        """The cached declarations themselves, read-only: for checks that run on
        every write and need no copies (the records are frozen, the mapping a view)."""
        if not isinstance(kind, str):
            raise ValidationError("a record kind is the name of a kind (text)", rule="SEC_05", value=kind)
        cache = self._core.custom
        if kind == CustomField.__kind__:
            return {}  # declarations have no custom fields of their own
        decls = None if refresh else cache.get(kind)
        if decls is None:  # read once: another thread's rollback may clear the cache meanwhile (SEC_08)
            decls = cache[kind] = self.custom_fields.declared(kind)
        return MappingProxyType(decls)

    def reload(self) -> None:
        """Read the configuration and every custom-field declaration again, in one
        storage call (one round trip on PostgreSQL), and fill the caches with them;
        seed the defaults the plugins register that the store lacks; read the event
        rules (AUTO_01) and the stored statuses (VAULT_05) again; bring the
        custom-field indexes in line with the declarations.  A kit does this as it
        opens; call it after another process changed the configuration."""
        from successkit.admin.config import SEED_KINDS

        defaults: list[tuple[str, dict[str, Any]]] = []
        self.plugins.hook.successkit_register_defaults(register=lambda kind, **values: defaults.append((kind, values)))
        store, now = self.store, self.now()
        kinds = [CustomField.__kind__, *SEED_KINDS, "rule", "status_definition"]
        declarations, *stored, rules, statuses = store.query_many(
            [bind(Query(sort=["id"]), store.schema(k), {}, now) for k in kinds]
        )
        by_kind: dict[str, dict[str, CustomField]] = {k: {} for k in store.schemas if k != CustomField.__kind__}
        for field in sorted(declarations, key=lambda f: f.name):
            by_kind.setdefault(field.record_kind, {})[field.name] = field
        self._core.custom.clear()
        self._core.custom.update(by_kind)
        from successkit.admin.stored_statuses import STORED

        cache = self._core.cache
        cache[STORED] = statuses  # stored statuses (VAULT_05), read in the same round trip: seeding checks them
        self.config.seed(defaults, stored=dict(zip(SEED_KINDS, stored, strict=True)))
        cache[STORED] = statuses  # seeding dropped the cache; what was read still holds
        self.custom_fields.index_all(declarations)  # indexes another process declared or dropped
        from successkit.automation.events import remember

        remember(self, rules)  # the event rules (AUTO_01), read in the same round trip

    def custom_field_types(self, kind: str, *, refresh: bool = False) -> dict[str, FieldType]:
        """The storage types of a kind's declared custom fields, by name."""
        from successkit.accounts.custom_fields import FIELD_TYPES

        return {n: FIELD_TYPES[d.type] for n, d in self.declared_fields(kind, refresh=refresh).items()}

    def bind(self, kind: str, query: Query, *, extra: Mapping[str, FieldType] | None = None) -> BoundQuery:
        """Check a query against a record kind, resolving relative dates with the clock.
        ``extra`` names computed fields the caller adds to the records (goal progress)."""
        schema = self.store.schema(kind)
        try:
            return bind(query, schema, {**self.custom_field_types(kind), **(extra or {})}, self.now())
        except QueryError:
            return bind(query, schema, {**self.custom_field_types(kind, refresh=True), **(extra or {})}, self.now())

    def bind_group(self, kind: str, group: Any, *, extra: Mapping[str, FieldType] | None = None) -> BoundGroup:
        """Check a grouping against a record kind's schema and custom fields (and ``extra`` ones)."""
        schema = self.store.schema(kind)
        related = self.store.schema
        try:
            return bind_group(group, schema, {**self.custom_field_types(kind), **(extra or {})}, related)
        except QueryError:
            return bind_group(group, schema, {**self.custom_field_types(kind, refresh=True), **(extra or {})}, related)

    # ---------------------------------------------------------------- services
    #: Every status the kit knows: built-in, from plugins and stored (VAULT_05).
    statuses: _Service[StatusService] = _Service("successkit.admin.stored_statuses", "StatusService")
    companies: _Service[CompanyService] = _Service("successkit.accounts.companies", "CompanyService")
    relationship_types: _Service[RelationshipTypeService] = _Service(
        "successkit.accounts.companies", "RelationshipTypeService"
    )
    relationships: _Service[RelationshipService] = _Service("successkit.accounts.companies", "RelationshipService")
    users: _Service[UserService] = _Service("successkit.accounts.people", "UserService")
    people: _Service[PersonService] = _Service("successkit.accounts.people", "PersonService")
    custom_fields: _Service[CustomFieldService] = _Service("successkit.accounts.custom_fields", "CustomFieldService")
    config: _Service[ConfigService] = _Service("successkit.admin.config", "ConfigService")
    plans: _Service[PlanService] = _Service("successkit.plans.plans", "PlanService")
    objectives: _Service[ObjectiveService] = _Service("successkit.plans.objectives", "ObjectiveService")
    ctas: _Service[CtaService] = _Service("successkit.plans.ctas", "CtaService")
    tasks: _Service[TaskService] = _Service("successkit.plans.tasks", "TaskService")
    playbooks: _Service[PlaybookService] = _Service("successkit.plans.playbooks", "PlaybookService")
    plan_templates: _Service[PlanTemplateService] = _Service("successkit.plans.templates", "PlanTemplateService")
    access: _Service[AccessService] = _Service("successkit.engagement.access", "AccessService")
    timeline: _Service[TimelineService] = _Service("successkit.engagement.timeline", "TimelineService")
    sharing: _Service[SharingService] = _Service("successkit.engagement.sharing", "SharingService")
    notifications: _Service[NotificationService] = _Service(
        "successkit.engagement.notifications", "NotificationService"
    )
    goals: _Service[GoalService] = _Service("successkit.goals.goals", "GoalService")
    goal_templates: _Service[GoalTemplateService] = _Service("successkit.goals.library", "GoalTemplateService")
    goal_links: _Service[GoalLinkService] = _Service("successkit.goals.goals", "GoalLinkService")
    goal_history: _Service[GoalHistoryService] = _Service("successkit.goals.goals", "GoalHistoryService")
    measures: _Service[MeasureService] = _Service("successkit.health.measures", "MeasureService")
    scorecards: _Service[ScorecardService] = _Service("successkit.health.scorecards", "ScorecardService")
    c360: _Service[Customer360Service] = _Service("successkit.views.c360", "Customer360Service")
    layouts: _Service[LayoutService] = _Service("successkit.views.c360_layouts", "LayoutService")
    reports: _Service[ReportService] = _Service("successkit.reports.saved", "ReportService")
    dashboards: _Service[DashboardService] = _Service("successkit.reports.dashboards", "DashboardService")
    digests: _Service[DigestService] = _Service("successkit.reports.digests", "DigestService")
    metrics: _Service[MetricService] = _Service("successkit.signals.usage", "MetricService")
    usage: _Service[UsageService] = _Service("successkit.signals.usage", "UsageService")
    surveys: _Service[SurveyService] = _Service("successkit.signals.surveys", "SurveyService")
    history: _Service[HistoryService] = _Service("successkit.signals.history", "HistoryService")
    survey_sends: _Service[SurveySendService] = _Service("successkit.signals.surveys", "SurveySendService")
    survey_responses: _Service[SurveyResponseService] = _Service("successkit.signals.surveys", "SurveyResponseService")
    rules: _Service[RuleService] = _Service("successkit.automation.rules", "RuleService")
    bundles: _Service[BundleService] = _Service("successkit.automation.bundles", "BundleService")
    programs: _Service[ProgramService] = _Service("successkit.automation.programs", "ProgramService")

    @classmethod
    def service_names(cls) -> list[str]:
        """The names of the kit's services (``companies``, ``plans``...), for tools that walk them all."""
        return sorted(name for name, attr in vars(cls).items() if isinstance(attr, _Service))

    def migrate(self, *, dry_run: bool = False) -> MigrationPlan:
        """Bring the store's schema to this library's version (OPS_01), in one
        transaction, recording the steps with the kit's clock; with ``dry_run``, only
        say what that takes.  A kit opens only on a current schema (or with
        ``open(url, migrate=True)``), so this finds work only when another process
        running an older release rewrote the version meanwhile."""
        plan = self._core.store.migrate(dry_run=dry_run, now=self.now())
        if plan.applied:
            self.reload()
        return plan

    def migration_history(self) -> list[AppliedStep]:
        """The schema steps applied to the store, oldest first, with when (OPS_01)."""
        return self._core.store.migration_history()

    def record(self, kind: str, id: str) -> Record:
        """Any record by kind and id."""
        record: Record = self.store.get(kind, id)
        return record


def open(
    url: str | None = None,
    *,
    clock: Clock | datetime | date | None = None,
    actor: User | str | None = None,
    plugins: Iterable[Any] = (),
    entry_points: bool = True,
    migrate: bool = False,
) -> Kit:
    """Open a kit on ``url``: ``memory://`` (the default), ``sqlite:///file.db``,
    ``sqlite:////abs/file.db`` or any scheme a plugin registers.

    ``clock`` is a callable returning an aware datetime (or a fixed datetime or
    date); ``actor`` is the acting user; ``plugins`` are registered for this kit
    only, beside the built-ins and the installed entry points.

    A new store is created.  A store written by an older release is not changed:
    :class:`~successkit.storage.migrations.MigrationNeeded` names the steps it
    needs, unless ``migrate`` is true, which applies them first (OPS_01).
    """
    if not isinstance(migrate, bool):
        raise ValidationError("migrate is True or False", rule="OPS_01", value=migrate)
    pm, store = _open_store(url, plugins, entry_points)
    try:
        pending = store.pending_migration
        if pending is not None and not migrate:
            raise MigrationNeeded(pending, url if url and "@" not in url else "URL")  # no password in a message
        if pending is not None:
            store.migrate(now=to_clock(clock)())
    except BaseException:
        store.close()
        raise
    statuses = StatusRegistry()
    pm.hook.successkit_register_statuses(register=statuses.register)
    from successkit.engagement.timeline import ActivityTypes

    activity_types = ActivityTypes()
    pm.hook.successkit_register_activity_types(register=activity_types.register)
    core = _Core(store=store, plugins=pm, statuses=statuses, clock=to_clock(clock), activity_types=activity_types)
    kit = core.host = Kit(core)
    kit.reload()
    if actor is None:
        return kit
    try:
        return kit.as_user(actor)  # an unknown actor is refused like as_user's (SEC_02)
    except BaseException:
        store.close()
        raise


def _open_store(url: str | None, plugins: Iterable[Any], entry_points: bool) -> tuple[pluggy.PluginManager, Store]:
    """The plugin manager and the store its storage backends open on ``url``."""
    if url is not None and not isinstance(url, str):
        raise ValidationError("the storage URL must be a string", value=url)
    from successkit.plugins import make_plugin_manager  # pluggy loads when a kit opens, not on import

    pm = make_plugin_manager(plugins, entry_points=entry_points)
    storage = StorageRegistry()
    pm.hook.successkit_register_storage(register=storage.register)
    return pm, storage.open(url or "memory://", RECORD_CLASSES)


def migrate(
    url: str, *, dry_run: bool = False, plugins: Iterable[Any] = (), entry_points: bool = True
) -> MigrationPlan:
    """Bring the schema of the store at ``url`` to this library's version, in one
    transaction, and record the steps in its history (OPS_01); with ``dry_run``,
    change nothing and say what it would do.  A new store is created as by
    :func:`open`.  Returns the plan, ``applied`` when it ran."""
    if not isinstance(url, str):
        raise ValidationError("the storage URL must be a string", value=url)
    _, store = _open_store(url, plugins, entry_points)
    try:
        return store.migrate(dry_run=dry_run)
    finally:
        store.close()
