"""Event rules (AUTO_01, AUTO_04): the change feed and the dispatcher.

The services report what they change from inside their transaction: the
(before, after) pairs every writer of companies and relationships already hands
to the attribute history, the records they create, survey responses and
published activities, and goals' status changes.  Nothing is collected unless an active rule listens for
that kind of event: the active event rules are read once per kit (with the
configuration when it opens) and kept until a rule changes or a transaction
rolls back, so a write that nobody listens to costs one dictionary lookup.

What is collected is queued with ``kit.after_commit``: it is dropped with the
transaction (or savepoint) that rolled back, and dispatched only once the
change has committed.  Each matching rule then runs in its own transaction,
restricted to the events' targets whose change satisfies the rule's ``change``
conditions (AUTO_02; its ``where``, ``having`` and ``without_activity`` still
apply, and so do RULE_02 and the rule's enrolment limit), as the system: with
the host kit, whoever made the change, recorded in the run log as
``triggered_by``.  A rule that fails is
rolled back alone, logged through :mod:`logging` and recorded in the rule-run
log (``kit.rules.run_log()``); the change that triggered it stays committed.

Writes made by an event rule report events too, one level deeper, dispatched
once that rule's transaction has committed and its locks are released: rules run up
to :data:`MAX_DEPTH` levels, and a run that would go deeper is skipped and
recorded as ``skipped`` in the run log (AUTO_04).
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

import attrs

from successkit.errors import AccessDenied, SuccessKitError
from successkit.query.language import Query
from successkit.records import Activity, Record, Rule, RuleRunLog, SurveyResponse, UsageFact
from successkit.service import stamp

from .conditions import change_holds
from .triggers import Event, matches, target_of

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["MAX_DEPTH", "MAX_LOGGED_TARGETS", "Listening", "dispatch", "forget", "listening", "remember", "report"]

log = logging.getLogger(__name__)

#: How many levels of rules triggering rules run; a deeper run is skipped (AUTO_04).
MAX_DEPTH = 3
#: How many target ids one run-log entry keeps (the count is always whole).
MAX_LOGGED_TARGETS = 1000
_CACHE = "automation.event_rules"
_state = threading.local()  # the depth of the event rule this thread is running (0: none), and who triggered it
#: The host kit (no acting user) of each kit's shared state, which event rules run with.
_hosts: weakref.WeakValueDictionary[int, Kit] = weakref.WeakValueDictionary()


@attrs.frozen
class Listening:
    """The active event rules (in name order) and what their triggers need reported."""

    rules: tuple[Rule, ...] = ()
    #: Per record kind, the attributes whose changes are reported.
    fields: Mapping[str, frozenset[str]] = attrs.field(factory=dict)
    #: Per event, the kinds of rules listening (``score`` and ``created`` per target kind).
    kinds: Mapping[str, frozenset[str]] = attrs.field(factory=dict)


def _build(rules: Iterable[Rule]) -> Listening:
    chosen = tuple(r for r in rules if r.active and r.definition.get("trigger"))
    fields: dict[str, set[str]] = {}
    kinds: dict[str, set[str]] = {}
    for r in chosen:
        trigger = r.definition["trigger"]
        kinds.setdefault(trigger["on"], set()).add(r.target)
        if trigger["on"] == "changed":
            fields.setdefault(r.target, set()).add(trigger["field"])
        elif trigger["on"] == "csm_changed":
            fields.setdefault(r.target, set()).add("csm_id")
    return Listening(chosen, {k: frozenset(v) for k, v in fields.items()}, {k: frozenset(v) for k, v in kinds.items()})


def listening(kit: Kit) -> Listening:
    """What the kit's active event rules listen to (read once, then cached)."""
    found: Listening | None = kit.shared_cache.get(_CACHE)
    if found is None:
        query = Query(conditions=[("active", "=", True)], sort=["name"])
        found = kit.shared_cache[_CACHE] = _build(kit.store.query(kit.bind("rule", query)))
        _know_host(kit)
    return found


def remember(kit: Kit, rules: Iterable[Rule]) -> None:
    """Cache the event rules among ``rules`` (every stored rule, as the kit opens)."""
    kit.shared_cache[_CACHE] = _build(sorted(rules, key=lambda r: r.name))
    _know_host(kit)


def _know_host(kit: Kit) -> None:
    if kit.actor_id is None:
        _hosts[id(kit.shared_cache)] = kit


def _system(kit: Kit, records: Sequence[Record]) -> Kit:
    """The kit event rules run with: the host's (no acting user), whoever made the
    change.  The host kit is known from the moment the kit opened; it is never handed
    to the acting user's code, only to the dispatcher.  An acting user's report must be
    about records as stored (one read per kind), so nobody makes up a change to run
    rules with the host's rights (SEC_02): one that is not runs the rules as that user."""
    if kit.actor_id is None:
        return kit
    host = _hosts.get(id(kit.shared_cache))
    if host is None or host.shared_cache is not kit.shared_cache:
        log.warning("event rules run as the acting user %r: the host kit is gone", kit.actor_id)
        return kit
    kinds: dict[str, list[Record]] = {}
    for r in records:
        kinds.setdefault(r.__kind__, []).append(r)
    for kind, given in kinds.items():
        stored = {r.id: r for r in kit.store.get_many(kind, sorted({g.id for g in given}))}
        if any(stored.get(g.id) != g for g in given):
            log.warning("event rules run as the acting user %r: a reported %s is not as stored", kit.actor_id, kind)
            return kit
    return host


def forget(kit: Kit) -> None:
    """Drop the cached event rules: a rule was created, changed or deleted."""
    kit.shared_cache.pop(_CACHE, None)


# ------------------------------------------------------------------------- the feed
def report(
    kit: Kit,
    *,
    changed: Sequence[tuple[Any, Any]] = (),
    created: Sequence[Record] = (),
) -> None:
    """Report changes of companies, relationships and goals ((before, after) pairs), and
    new companies, relationships, survey responses, published activities and written
    usage facts, from inside the writer's transaction; dispatched after it commits
    (AUTO_01).  Costs a dictionary lookup when no event rule listens."""
    heard = listening(kit)
    if not heard.rules:
        return
    events: list[Event] = []
    if changed:
        events.extend(_changes(heard, changed))
    for record in created:
        events.extend(_created(heard, record))
    if events:
        depth = getattr(_state, "depth", 0)
        by = getattr(_state, "by", None) if depth else kit.actor_id  # a rule's writes: who triggered the rule
        runner = kit if kit.actor_id is None else _system(kit, [*(after for _, after in changed), *created])
        kit.after_commit(partial(dispatch, runner, tuple(events), depth, by))


def _ids(record: Any) -> tuple[str, str | None]:
    if record.__kind__ == "company":
        return record.id, None
    return record.company_id, record.id


def _changes(heard: Listening, pairs: Sequence[tuple[Any, Any]]) -> list[Event]:
    scored = heard.kinds.get("score", frozenset())
    out: list[Event] = []
    for before, after in pairs:
        kind = after.__kind__
        if kind == "goal":
            if "goal_status" in heard.kinds and before.status != after.status:
                values = {"from": before.status, "to": after.status}
                out.append(Event("goal_status", kind, after.company_id, after.relationship_id, values))
            continue
        watched = heard.fields.get(kind, ())
        if not watched and kind not in scored:
            continue
        company_id, relationship_id = _ids(after)
        for field in watched:
            old, new = _value(before, field), _value(after, field)
            if old != new or type(old) is not type(new):
                values = {"field": field, "from": _plain(old), "to": _plain(new)}
                out.append(Event("changed", kind, company_id, relationship_id, values))
        if kind in scored and (before.health_score, before.score_grade) != (after.health_score, after.score_grade):
            values = {
                "grade_from": before.score_grade,
                "grade_to": after.score_grade,
                "score_from": before.health_score,
                "score_to": after.health_score,
            }
            out.append(Event("score", kind, company_id, relationship_id, values))
    return out


def _created(heard: Listening, record: Record) -> list[Event]:
    if isinstance(record, SurveyResponse):
        if "survey_response" not in heard.kinds:
            return []
        rel = record.record_id if record.record_kind == "relationship" else None
        answer = {"category": record.nps_category, "nps": record.nps, "csat": record.csat, "ces": record.ces}
        return [Event("survey_response", record.__kind__, record.company_id, rel, answer)]
    if isinstance(record, Activity):
        if "activity" not in heard.kinds or record.draft:
            return []
        values = {"type": record.type, "fields": dict(record.fields)}
        return [Event("activity", record.__kind__, record.company_id, record.relationship_id, values)]
    if isinstance(record, UsageFact):
        if "usage_change" not in heard.kinds:
            return []
        rel = record.record_id if record.record_kind == "relationship" else None
        return [Event("usage_change", record.__kind__, record.company_id, rel, {"metric": record.metric})]
    if record.__kind__ in heard.kinds.get("created", ()):
        return [Event("created", record.__kind__, *_ids(record))]
    return []


def _value(record: Any, name: str) -> Any:
    if name.startswith("fields."):
        return record.fields.get(name[len("fields.") :])
    return getattr(record, name, None)


def _plain(value: Any) -> Any:
    """What a trigger's ``from`` and ``to`` compare with (JSON-ready, dates as ISO text)."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


# ------------------------------------------------------------------- the dispatcher
def dispatch(kit: Kit, events: Sequence[Event], depth: int = 0, by: str | None = None) -> None:
    """Run the event rules ``events`` trigger, one transaction each (called after
    the commit that reported them; ``depth`` is the level of the rule that made the
    change, 0 for any other writer; ``by`` the user whose change triggered them, for
    the run log).  ``kit`` is the host's: rules run as the system, not as the user
    who made the change.  Never raises: failures are logged.

    Events that rules' own writes report while a dispatch runs in this thread are
    queued and taken in turn once the rule that made them has released its locks
    (SEC_04), level by level."""
    pending: deque[tuple[Kit, Sequence[Event], int, str | None]] | None = getattr(_state, "pending", None)
    if pending is not None:
        pending.append((kit, events, depth, by))
        return
    _state.pending = pending = deque([(kit, events, depth, by)])
    try:
        while pending:
            _dispatch(*pending.popleft())
    finally:
        _state.pending = None


def _dispatch(kit: Kit, events: Sequence[Event], depth: int, by: str | None) -> None:
    level = depth + 1
    try:
        rules = listening(kit).rules
    except Exception:
        log.exception("event rules could not be read; %d events were not dispatched", len(events))
        return
    for rule in rules:
        trigger, change = rule.definition["trigger"], rule.definition.get("change")
        ids = list(dict.fromkeys(t for e in events if matches(trigger, e) and (t := target_of(rule.target, e))
                                 and (not change or change_holds(change, e))))  # fmt: skip
        if ids and trigger["on"] == "usage_change":
            ids = _usage_moved(kit, rule, ids)
        if not ids:
            continue
        if level > MAX_DEPTH:
            log.warning("event rule %r skipped: rules triggering rules stop at depth %d", rule.name, MAX_DEPTH)
            error = f"AUTO_04: rules triggering rules stop at depth {MAX_DEPTH}"
            _record(kit, rule, level, ids, "skipped", by, error=error)
            continue
        _run(kit, rule, level, ids, by)


def _usage_moved(kit: Kit, rule: Rule, ids: list[str]) -> list[str]:
    """The targets whose usage window moved past the trigger's bound (two reads)."""
    t = rule.definition["trigger"]
    try:
        window = kit.usage.window(t["metric"], days=t["days"], function=t["function"], record_kind=rule.target,
                                  records=ids)  # fmt: skip
    except Exception:
        log.exception("event rule %r: the usage window could not be read", rule.name)
        return []
    moved = {
        r.record_id
        for r in window
        if r.change is not None
        and (r.change <= t["below_percent"] if "below_percent" in t else r.change >= t["above_percent"])
    }
    return [i for i in ids if i in moved]


def _run(kit: Kit, rule: Rule, level: int, ids: list[str], by: str | None) -> None:
    from .run import RuleExecution, locks_of

    previous, previous_by = getattr(_state, "depth", 0), getattr(_state, "by", None)
    _state.depth, _state.by = level, by  # what this run writes reports events one level deeper
    try:
        if not RuleExecution(kit, rule, only=ids).selects_any():
            return  # its where matches none of the targets: no lock, no transaction
        with kit.store.exclusive(*locks_of([rule])), kit.transaction():
            run = RuleExecution(kit, rule, only=ids).execute()
            if run.matched:
                _log_run(kit, _entry(kit, rule, level, ids, "ran", by, matched=run.matched, created=run.created))
    except Exception as e:
        log.exception("event rule %r failed on %s (%d targets)", rule.name, rule.definition["trigger"]["on"], len(ids))
        _record(kit, rule, level, ids, "failed", by, error=_describe(e))
    finally:
        _state.depth, _state.by = previous, previous_by


def _entry(kit: Kit, rule: Rule, level: int, ids: list[str], outcome: str, by: str | None, **values: Any) -> RuleRunLog:
    return RuleRunLog(
        **stamp(kit),
        rule_id=rule.id,
        rule_name=rule.name,
        event=rule.definition["trigger"]["on"],
        depth=level,
        targets=tuple(ids[:MAX_LOGGED_TARGETS]),
        outcome=outcome,
        triggered_by=by,
        **{"matched": len(ids), **values},
    )


def _log_run(kit: Kit, entry: RuleRunLog) -> None:
    """The run's log entry, in its transaction (a savepoint).  Rules run as the host, who
    may write it; should a rule ever run as an acting user without a full license (the host
    kit gone), that user may not (SHARE_04), and the run stands without it."""
    try:
        with kit.transaction():
            kit.store.insert(entry)
    except AccessDenied as e:
        log.warning("the run of event rule %r is not in the run log: %s", entry.rule_name, e)


def _record(kit: Kit, rule: Rule, level: int, ids: list[str], outcome: str, by: str | None, *, error: str) -> None:
    """A run-log entry in a transaction of its own (the run's was rolled back)."""
    try:
        with kit.transaction():
            kit.store.insert(_entry(kit, rule, level, ids, outcome, by, error=error))
    except Exception:
        log.exception("the run of event rule %r could not be recorded (%s: %s)", rule.name, outcome, error)


def _describe(error: BaseException) -> str:
    if isinstance(error, SuccessKitError):
        return str(error)
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
