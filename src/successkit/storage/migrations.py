"""Schema migrations (OPS_01, OPS_02): the numbered steps between schema versions.

The SQL backends keep the schema version in ``sk_meta`` and the steps applied so
far in ``sk_migrations`` (step, description, applied_at).  Besides its numbered
steps, a migration brings the *layout* to what the record classes declare: the
tables, columns and ``sk_ix_``/``sk_ux_`` indexes (:mod:`.indexes`).

What opening does, by what the store holds:

- no recorded version (a new database, or one emptied of its rows): everything is
  created and every step recorded as applied, as a first open always did;
- the current version: nothing is written when the layout is complete; a table,
  column or index missing (dropped by hand) is made again;
- an older version: nothing is changed; :func:`successkit.open` raises
  :class:`MigrationNeeded` naming the steps, unless the caller passed
  ``migrate=True``; ``successkit migrate URL`` and :func:`successkit.migrate`
  apply them;
- a newer version: refused (:class:`~successkit.errors.SchemaError`).

A migration runs in one transaction: every step and the history, or nothing.
A release that changes the schema adds a step here (never edits an old one) and a
line under "Schema changes" in CHANGELOG.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import attrs

from successkit.errors import SchemaError

if TYPE_CHECKING:
    from .sql import Compiled, Dialect

__all__ = [
    "SCHEMA_VERSION",
    "STEPS",
    "AppliedStep",
    "MigrationNeeded",
    "MigrationPlan",
    "Step",
    "apply_plan",
    "make_plan",
]


@attrs.frozen
class Step:
    """One change of the schema, from version ``number - 1`` to ``number``.

    ``ddl`` maps a backend's URL scheme to its statements, tables written as
    ``{kind}`` (qualified with the store's namespace when run); ``blockers`` maps a
    scheme to a query whose every row (one text column) is a reason the step
    cannot be applied to the data as it is, such as two users sharing an email."""

    number: int
    description: str
    ddl: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    blockers: Mapping[str, str] = attrs.field(factory=dict)

    def statements(self, scheme: str, dialect: Dialect) -> list[str]:
        return [sql.format_map(_Tables(dialect)) for sql in self.ddl.get(scheme, ())]

    def blocker_query(self, scheme: str, dialect: Dialect) -> str | None:
        sql = self.blockers.get(scheme)
        return None if sql is None else sql.format_map(_Tables(dialect))


class _Tables(dict[str, str]):
    """``{kind}`` in a step's SQL: the kind's table, as the dialect names it."""

    def __init__(self, dialect: Dialect) -> None:
        super().__init__()
        self.dialect = dialect

    def __missing__(self, kind: str) -> str:
        return self.dialect.table(kind)


_SHARED_EMAILS = (
    'SELECT lower("email") || \': \' || {agg} FROM {{user}} WHERE "email" IS NOT NULL '
    'GROUP BY lower("email") HAVING count(*) > 1 ORDER BY 1'
)
_EMAIL_INDEX = 'CREATE UNIQUE INDEX IF NOT EXISTS "sk_mx_user_email_lower" ON {user} (lower("email"))'

#: Every step, in order.  Steps 1 and 2 predate the history table: they are the
#: layout itself (tables, then indexes named ``sk_...``), which every migration
#: brings up to date anyway.
STEPS: tuple[Step, ...] = (
    Step(1, "a table per record kind, one column per field; sk_meta holds the schema version"),
    Step(2, "indexes named sk_..., spelled as the sorts they serve and ending with id (version 1's ix_/ux_ replaced)"),
    Step(
        3,
        "sk_migrations records the applied steps; users' emails are unique, ignoring case (USER_03); "
        "companies gain external_id, unique when given; shares gain can_change, rule runs triggered_by; "
        "tables for programs, their enrolments and emails, saved reports and stored statuses",
        ddl={"sqlite": (_EMAIL_INDEX,), "postgresql": (_EMAIL_INDEX,)},
        blockers={
            "sqlite": _SHARED_EMAILS.format(agg="group_concat(\"name\" || ' (' || \"id\" || ')', ', ')"),
            "postgresql": _SHARED_EMAILS.format(
                agg="string_agg(\"name\" || ' (' || \"id\" || ')', ', ' ORDER BY \"id\")"
            ),
        },
    ),
)

#: The schema version this library writes: the last step's number.
SCHEMA_VERSION = STEPS[-1].number


@attrs.frozen
class AppliedStep:
    """A row of the version history; ``applied_at`` is None for a step applied
    before the history was kept (the release that wrote the store did it)."""

    number: int
    description: str
    applied_at: datetime | None


@attrs.frozen
class MigrationPlan:
    """What a migration does, did or would do to one store."""

    store: str  #: the store, for messages (a file or a schema)
    found: int | None  #: the version the store held (None: none recorded, a new store)
    target: int  #: the version it is brought to
    steps: tuple[Step, ...] = ()  #: the numbered steps, in order
    statements: tuple[str, ...] = ()  #: every statement, the layout's first
    problems: tuple[str, ...] = ()  #: why a step cannot be applied to the data as it is
    applied: bool = False  #: whether it was applied (false for a dry run)

    @property
    def needed(self) -> bool:
        """Whether there is anything to do."""
        return bool(self.steps or self.statements)

    def describe(self) -> str:
        """The steps in words: ``step 3 (sk_migrations records ...)``."""
        if not self.steps:
            return "no numbered steps" + (f"; {len(self.statements)} layout statements" if self.statements else "")
        return "; ".join(f"step {s.number} ({s.description})" for s in self.steps)

    def as_dict(self) -> dict[str, Any]:
        """The plan as plain data (``successkit migrate --json``)."""
        return {
            "store": self.store,
            "from_version": self.found,
            "to_version": self.target,
            "steps": [{"number": s.number, "description": s.description} for s in self.steps],
            "statements": list(self.statements),
            "problems": list(self.problems),
            "applied": self.applied,
        }

    def __str__(self) -> str:
        if not self.needed:
            return f"{self.store}: schema version {self.target}, up to date"
        verb = "migrated" if self.applied else "would migrate"
        return f"{self.store}: {verb} from schema version {self.found} to {self.target}: {self.describe()}"


class MigrationNeeded(SchemaError):
    """The store's schema is older than this library's: it needs the steps of
    :attr:`plan` (OPS_01).  Nothing was changed."""

    def __init__(self, plan: MigrationPlan, url: str = "URL") -> None:
        self.plan = plan
        super().__init__(
            f"{plan.store} holds schema version {plan.found}; this successkit needs version {plan.target}: "
            f"{plan.describe()}. Back the database up, then run `successkit migrate {url}` "
            "(or successkit.migrate(url), or successkit.open(url, migrate=True))",
            rule="OPS_01",
            value=plan.found,
        )


def check_version(store: str, found: int | None) -> None:
    """Refuse a store written by a newer successkit than this one."""
    if found is not None and found > SCHEMA_VERSION:
        raise SchemaError(
            f"{store} was written by a newer successkit (schema version {found}); "
            f"this one understands up to {SCHEMA_VERSION}",
            value=found,
        )


def refuse_in_transaction(open_transaction: bool) -> None:
    """A migration is a transaction of its own: refused inside the caller's."""
    if open_transaction:
        raise SchemaError("migrate runs in a transaction of its own: call it outside kit.transaction()", rule="OPS_01")


def pending_steps(found: int | None) -> tuple[Step, ...]:
    """The steps a store at version ``found`` lacks (all of them for a new store)."""
    return tuple(s for s in STEPS if s.number > (found or 0))


def make_plan(
    store: str,
    found: int | None,
    layout: Sequence[Compiled],
    scheme: str,
    dialect: Dialect,
    fetch: Callable[[str], list[tuple[Any, ...]]] | None = None,
) -> MigrationPlan:
    """The plan for a store at ``found`` whose layout lacks ``layout``; ``fetch``
    (run a query, give its rows) checks the data against each step's blockers."""
    steps = pending_steps(found)
    statements = [sql for sql, _ in layout] + [sql for s in steps for sql in s.statements(scheme, dialect)]
    problems: list[str] = []
    if fetch is not None and found is not None:  # a new store has no data to refuse
        for step in steps:
            query = step.blocker_query(scheme, dialect)
            if query is not None:
                problems += [f"step {step.number}: {row[0]}" for row in fetch(query)]
    return MigrationPlan(store, found, SCHEMA_VERSION, steps, tuple(statements), tuple(problems))


def apply_plan(
    plan: MigrationPlan,
    layout: Sequence[Compiled],
    scheme: str,
    dialect: Dialect,
    execute: Callable[[str, Sequence[Any]], Any],
    now: datetime | None = None,
) -> MigrationPlan:
    """Run ``plan`` inside the caller's open transaction: the layout, each step's
    statements, the history rows and the new version.  Problems refuse it first."""
    if plan.problems:
        raise SchemaError(
            f"{plan.store} cannot be migrated as its data stands: {'; '.join(plan.problems)}. "
            "Users sharing an email (ignoring case) need different emails: change them with the "
            "release that wrote the store, or in SQL, then migrate again",
            rule="OPS_01",
            value=list(plan.problems),
        )
    for sql, params in layout:
        execute(sql, params)
    for step in plan.steps:
        for sql in step.statements(scheme, dialect):
            execute(sql, [])
    ph = dialect.placeholder
    meta, history = dialect.table("sk_meta"), dialect.table("sk_migrations")
    execute(f"CREATE TABLE IF NOT EXISTS {meta} (key TEXT PRIMARY KEY, value TEXT)", [])
    execute(f"CREATE TABLE IF NOT EXISTS {history} (step INTEGER PRIMARY KEY, description TEXT, applied_at TEXT)", [])
    at = (now or datetime.now(timezone.utc)).isoformat()
    applied = {s.number for s in plan.steps}
    for step in STEPS:
        execute(
            f"INSERT INTO {history} VALUES ({ph}, {ph}, {ph}) ON CONFLICT (step) DO NOTHING",
            [step.number, step.description, at if step.number in applied else None],
        )
    execute(
        f"INSERT INTO {meta} VALUES ('schema_version', {ph}) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [str(SCHEMA_VERSION)],
    )
    return attrs.evolve(plan, applied=True)


def history_query(dialect: Dialect) -> str:
    """The version history, oldest step first."""
    return f"SELECT step, description, applied_at FROM {dialect.table('sk_migrations')} ORDER BY step"


def read_history(rows: Sequence[tuple[Any, ...]]) -> list[AppliedStep]:
    """The history query's rows as :class:`AppliedStep` records."""
    return [AppliedStep(int(n), str(d), None if at is None else datetime.fromisoformat(str(at))) for n, d, at in rows]
