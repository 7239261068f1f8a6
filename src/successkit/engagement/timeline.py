"""The timeline: activities logged at company, relationship, plan or objective
level, and the views that show them (TL_01-TL_05).

Every activity carries its company id and the ids down to its level, so each
view is one indexed query per page: a company timeline of 100,000 activities
costs the same per page as one of ten.  Pages are cut with a keyset cursor on
``(occurred_at desc, id)`` rather than an offset, so page 1,000 is as cheap as
page 1 and a new activity never shifts the page being read.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any

import attrs

from successkit.automation.events import report
from successkit.errors import ValidationError
from successkit.outcome import Notice, Outcome
from successkit.plans.invariants import check_open_plan
from successkit.query.language import Query, Sort
from successkit.records import Activity, Company, Objective, Person, Relationship, SuccessPlan, Task, User
from successkit.records.checks import as_list, check_names, flag, require_text
from successkit.service import Service

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["ActivityTypes", "LatestValue", "TimelineItem", "TimelinePage", "TimelineService"]

#: The label of plan-level activities in company and relationship timelines (TL_03).
PLAN_LABEL = "SP"
#: Largest page a view returns.
MAX_PAGE = 500
_TYPE_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_ORDER = (Sort("occurred_at", descending=True), Sort("id"))


class ActivityTypes:
    """The activity types a kit knows: the built-ins and those plugins register
    through ``successkit_register_activity_types`` (checked when the kit opens)."""

    def __init__(self) -> None:
        self._labels: dict[str, str] = {}

    def register(self, key: str, label: str | None = None) -> None:
        """Add a type; a key is lowercase letters, digits and ``_``, registered once."""
        if not isinstance(key, str) or not _TYPE_KEY.match(key):
            raise ValidationError("an activity type key is lowercase letters, digits and _ (at most 40)", value=key)
        if key in self._labels:
            raise ValidationError("activity type registered twice", value=key)
        self._labels[key] = label or key.replace("_", " ").capitalize()

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in self._labels

    def keys(self) -> list[str]:
        """The registered activity type keys, in registration order."""
        return list(self._labels)

    def label(self, key: str) -> str:
        """The label of a type (the key itself when unknown)."""
        return self._labels.get(key, key)

    def with_stored(self, stored: list[tuple[str, str]]) -> ActivityTypes:
        """These types and those an administrator or a bundle stored (configuration
        items of category ``activity_type``) after them; a registered key wins."""
        out = ActivityTypes()
        for key, label in self._labels.items():
            out.register(key, label)
        for key, label in stored:
            if key not in out and isinstance(key, str) and _TYPE_KEY.match(key):  # a key of another form is ignored
                out.register(key, label)
        return out


@attrs.frozen
class LatestValue:
    """The latest value of an activity field for one record, and the activity that holds it (ACT_01)."""

    record_id: str
    value: Any
    activity: Activity


@attrs.frozen
class TimelineItem:
    """One line of a timeline view: the activity and its label (``SP`` for plan level, TL_03)."""

    activity: Activity
    label: str | None

    @property
    def level(self) -> str:
        """Where the activity was logged: company, relationship, plan or objective."""
        return self.activity.level


@attrs.frozen
class TimelinePage:
    """A page of a timeline, newest first; pass ``next`` as ``after`` for the following page."""

    items: tuple[TimelineItem, ...]
    next: str | None = None

    def __iter__(self) -> Iterator[TimelineItem]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def activities(self) -> list[Activity]:
        """The page's activities, without their labels."""
        return [i.activity for i in self.items]

    def to_pandas(self) -> Any:
        """The page's activities with their labels as a pandas DataFrame (needs the ``pandas`` extra)."""
        from successkit.views.frames import timeline_frame

        return timeline_frame(self)

    def _repr_html_(self) -> str:
        """The page's activities, newest first, in notebooks (DATA_01)."""
        from successkit.views import notebook as nb

        rows = [
            [a.occurred_at, a.type.replace("_", " "), i.label, a.subject, "draft" if a.draft else None]
            for i in self.items
            for a in (i.activity,)
        ]
        more = "; more on the next page" if self.next else ""
        return nb.block(
            nb.title("Timeline", f"{nb.plural(len(rows), 'activity', 'activities')}, newest first{more}"),
            nb.table(["when", "type", "label", "subject", "state"], rows),
        )


class TimelineService(Service[Activity]):
    """``kit.timeline``: log activities and read the timelines of companies,
    relationships, plans and objectives."""

    record_class = Activity

    @property
    def types(self) -> ActivityTypes:
        """The activity types this kit knows (TL_01)."""
        return self.kit.activity_types

    # ------------------------------------------------------------------ write
    def log(
        self,
        type: str,
        subject: str,
        *,
        company: Company | str | None = None,
        relationship: Relationship | str | None = None,
        plan: SuccessPlan | str | None = None,
        objective: Objective | str | None = None,
        notes: str | None = None,
        occurred_at: datetime | date | None = None,
        participants: Sequence[User | Person | str] = (),
        author: User | str | None = None,
        draft: bool = False,
        fields: Mapping[str, Any] | None = None,
    ) -> Activity:
        """Log an activity at exactly one level: ``company``, ``relationship``,
        ``plan`` or ``objective`` (TL_01); ``draft=True`` saves it as a draft.
        ``fields`` holds the values of the fields its type declares (ACT_01:
        ``kit.custom_fields.declare("activity", "sentiment", "dropdown", options=...,
        scope="call")``) and of fields declared for every type.

        ``participants`` are users and people (records or ids); the author
        is the acting user (only the host kit may name another ``author``, SEC_02).  Inside a closed plan nothing can be
        logged (PLAN_06).
        """
        self._check_type(type)
        draft = flag(self.kind, "draft", draft)
        subject = require_text(self.kind, "subject", subject)
        values = self.kit.custom_fields.check(self.kind, fields, scope=type)
        if notes is not None and not isinstance(notes, str):
            raise ValidationError("activity notes are text", value=notes)
        with self.kit.transaction():
            where = self._level(company=company, relationship=relationship, plan=plan, objective=objective)
            users, people = self._participants(participants)
            author_id = self.kit.users.get(author).id if author is not None else self.kit.actor_id
            activity = self._new(
                type=type,
                subject=subject,
                notes=notes,
                occurred_at=self._moment(occurred_at),
                author_id=author_id,
                participant_user_ids=users,
                participant_person_ids=people,
                draft=draft,
                published_at=None if draft else self.kit.now(),
                fields=values,
                **where,
            )
            self._guard(activity, "logging an activity")
            self.kit.store.insert(activity)
            self.kit.notifications.activity_logged(activity)  # NOTIF_05
            report(self.kit, created=[activity])  # AUTO_01
        return activity

    def save_draft(
        self,
        type: str,
        subject: str,
        *,
        company: Company | str | None = None,
        relationship: Relationship | str | None = None,
        plan: SuccessPlan | str | None = None,
        objective: Objective | str | None = None,
        notes: str | None = None,
        occurred_at: datetime | date | None = None,
        participants: Sequence[User | Person | str] = (),
        author: User | str | None = None,
        fields: Mapping[str, Any] | None = None,
    ) -> Activity:
        """Log an activity as a draft (TL_01); :meth:`publish` it later."""
        return self.log(
            type,
            subject,
            company=company,
            relationship=relationship,
            plan=plan,
            objective=objective,
            notes=notes,
            occurred_at=occurred_at,
            participants=participants,
            author=author,
            draft=True,
            fields=fields,
        )

    def publish(self, activity: Activity | str) -> Activity:
        """Publish a draft: it stops being a draft and gets its publication time."""
        with self.kit.transaction():
            current = self._current(activity)
            if not current.draft:
                raise ValidationError("only a draft can be published", value=current.subject)
            self._guard(current, "publishing an activity")
            published = self._save(current, {"draft": False, "published_at": self.kit.now()})
            self.kit.notifications.activity_logged(published)  # NOTIF_05
            report(self.kit, created=[published])  # AUTO_01: logged when published
            return published

    def update(self, activity: Activity | str, **changes: Any) -> Activity:
        """Edit type, subject, notes, occurred_at, participants or fields (the values
        given are set, the others kept; ACT_01)."""
        allowed = {"type", "subject", "notes", "occurred_at", "participants", "fields"}
        check_names("activities have no editable field", changes, allowed)
        values: dict[str, Any] = {}
        if "type" in changes:
            values["type"] = self._check_type(changes["type"])
        if "subject" in changes:
            values["subject"] = require_text(self.kind, "subject", changes["subject"])
        if "notes" in changes:
            if changes["notes"] is not None and not isinstance(changes["notes"], str):
                raise ValidationError("activity notes are text", value=changes["notes"])
            values["notes"] = changes["notes"]
        if "occurred_at" in changes:
            values["occurred_at"] = self._moment(changes["occurred_at"])
        with self.kit.transaction():
            current = self._current(activity)
            self._guard(current, "editing an activity")
            if "fields" in changes:
                given = self.kit.custom_fields.check(
                    self.kind, changes["fields"], scope=values.get("type", current.type)
                )
                values["fields"] = {**current.fields, **given}
            if "participants" in changes:
                values["participant_user_ids"], values["participant_person_ids"] = self._participants(
                    changes["participants"]
                )
            return self._save(current, values)

    def delete(self, activity: Activity | str) -> None:
        """Delete an activity (PLAN_06: not inside a closed plan)."""
        with self.kit.transaction():
            current = self.get(activity)
            self._guard(current, "deleting an activity")
            self.kit.store.delete(self.kind, current.id)

    def latest_values(
        self,
        field: str,
        *,
        record_kind: str = "company",
        types: Sequence[str] | None = None,
        records: Sequence[Any] | None = None,
    ) -> dict[str, LatestValue]:
        """The latest published value of an activity field per company (or relationship):
        the sentiment of each customer's last call (ACT_01).  Two storage calls however
        many records: the database finds each record's latest moment with a value, then
        those activities are read; of two at the same moment, the one logged last wins.
        A company's latest counts the activities of its relationships and plans too."""
        if record_kind not in ("company", "relationship"):
            raise ValidationError("latest values are per company or relationship", rule="ACT_01", value=record_kind)
        key = "company_id" if record_kind == "company" else "relationship_id"
        where: list[Any] = [(field, "is not empty", None), ("draft", "=", False), (key, "is not empty", None)]
        if types is not None:
            where.append(("type", "in", [self._check_type(t) for t in as_list(self.kind, "types", types)]))
        if records is not None:
            where.append((key, "in", [getattr(r, "id", r) for r in as_list(self.kind, "records", records)]))
        moments = {r.keys[0]: r["at"] for r in self.aggregate(where, by=key, measures={"at": ("max", "occurred_at")})}
        if not moments:
            return {}
        found = self.list(
            [*where[:3], (key, "in", sorted(moments)), ("occurred_at", "in", sorted(set(moments.values())))],
            sort=[key, "-occurred_at", "-created_at", "-id"],
        )
        out: dict[str, LatestValue] = {}
        for a in found:
            rid = getattr(a, key)
            if rid not in out and a.occurred_at == moments.get(rid):
                out[rid] = LatestValue(rid, a.fields[field.removeprefix("fields.")], a)
        return out

    def add_task(
        self,
        activity: Activity | str,
        name: str,
        *,
        objective_name: str | None = None,
        owner: User | Person | str | None = None,
        start_date: date | None = None,
        due_date: date | None = None,
        status: str | None = None,
        priority: str | None = None,
        depends_on: Sequence[Task | Objective | str] = (),
        description: str | None = None,
    ) -> Outcome[Task]:
        """Create an inline task from an activity.

        From a plan-level activity this creates a new objective in that plan
        with the plan type's default objective settings (named after the
        activity, or ``objective_name``) and puts the task under it (TL_05).
        From an objective-level activity the task goes under that objective.
        The other options are those of ``kit.tasks.create``.
        """
        with self.kit.transaction():
            current = self.get(activity)
            if current.level not in ("plan", "objective"):
                raise ValidationError(
                    "inline tasks come from plan- or objective-level activities; log a CTA "
                    "for company or relationship work",
                    value=current.level,
                )
            created: list[Any] = []
            warnings: list[Notice] = []
            if current.level == "plan":
                assert current.plan_id is not None
                made = self.kit.objectives.create(current.plan_id, objective_name or current.subject, source="timeline")
                parent: Objective = made.record
                created.append(parent)
                warnings.extend(made.warnings)
            else:
                assert current.objective_id is not None
                parent = self.kit.objectives.get(current.objective_id)
            task = self.kit.tasks.create(
                parent,
                name,
                owner=owner,
                start_date=start_date,
                due_date=due_date,
                status=status,
                priority=priority,
                depends_on=depends_on,
                description=description,
            )
            warnings.extend(task.warnings)
        return Outcome(task.record, tuple(warnings), tuple(created), task.plan)

    # ------------------------------------------------------------------- read
    def company(
        self,
        company: Company | str,
        *,
        limit: int = 50,
        after: str | None = None,
        drafts: bool = True,
        include_relationships: bool = False,
    ) -> TimelinePage:
        """The company timeline (TL_03): its own activities plus every plan- and
        objective-level activity of its plans, drafts included, newest first;
        plan-level ones labelled ``SP``.  Relationship-level work (and the
        relationships' plans) shows too with ``include_relationships=True``."""
        include_relationships = flag(self.kind, "include_relationships", include_relationships)
        where: list[tuple[Any, ...]] = [("company_id", "=", self.kit.companies.id_of(company))]
        if not include_relationships:
            where.append(("relationship_id", "is empty"))
        return self._page(where, limit, after, drafts)

    def relationship(
        self, relationship: Relationship | str, *, limit: int = 50, after: str | None = None, drafts: bool = True
    ) -> TimelinePage:
        """The relationship timeline: the same rules as a company's, at its own level (TL_03, REL_02)."""
        return self._page([("relationship_id", "=", self.kit.relationships.id_of(relationship))], limit, after, drafts)

    def plan(
        self, plan: SuccessPlan | str, *, limit: int = 50, after: str | None = None, drafts: bool = True
    ) -> TimelinePage:
        """A plan's timeline: only activities logged on the plan itself, never
        those of its objectives or of the company (TL_02, TL_04)."""
        return self._page([("plan_id", "=", self.kit.plans.id_of(plan)), ("level", "=", "plan")], limit, after, drafts)

    def objective(
        self, objective: Objective | str, *, limit: int = 50, after: str | None = None, drafts: bool = True
    ) -> TimelinePage:
        """An objective's timeline: only its own activities (TL_02, TL_04)."""
        return self._page([("objective_id", "=", self.kit.objectives.id_of(objective))], limit, after, drafts)

    def _page(self, where: list[tuple[Any, ...]], limit: int, after: str | None, drafts: bool) -> TimelinePage:
        """One query: the scope, then the keyset cursor, sorted newest first."""
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
            raise ValidationError(f"limit is a whole number from 1 to {MAX_PAGE}", value=limit)
        conditions = list(where)
        if not flag(self.kind, "drafts", drafts):
            conditions.append(("draft", "=", False))
        logic = None
        if after is not None:
            moment, last_id = decode_cursor(after)
            n = len(conditions)
            # (t, id) after (moment, last_id) in (t desc, id asc) order, written so that the
            # leading "t <= moment" is an index range on (scope, occurred_at)
            conditions += [("occurred_at", "<=", moment), ("occurred_at", "<", moment), ("id", ">", last_id)]
            logic = " AND ".join(str(i + 1) for i in range(n)) + f" AND {n + 1} AND ({n + 2} OR {n + 3})"
        query = Query(conditions=conditions, logic=logic, sort=_ORDER, limit=limit + 1)
        rows = list(self.kit.store.query(self.kit.bind(self.kind, query)))
        more = len(rows) > limit
        rows = rows[:limit]
        items = tuple(TimelineItem(a, PLAN_LABEL if a.level == "plan" else None) for a in rows)
        return TimelinePage(items, encode_cursor(rows[-1]) if more else None)

    # ---------------------------------------------------------------- helpers
    def _guard(self, activity: Activity, what: str) -> None:
        """The acting user may change the timeline here, and the plan is open (PLAN_06)."""
        self.kit.access.check_actor("change", activity)
        if activity.plan_id is not None:
            check_open_plan(self.kit, self.kit.plans.get(activity.plan_id), what=what)

    def _check_type(self, type: Any) -> str:
        if type not in self.types:
            raise ValidationError(f"unknown activity type; known: {', '.join(self.types.keys())}", value=type)
        return str(type)

    def _moment(self, value: datetime | date | None) -> datetime:
        if value is None:
            return self.kit.now()
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValidationError("occurred_at must be timezone-aware", value=value)
            return value
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
        raise ValidationError("occurred_at is a datetime or a date", value=value)

    def _level(self, **targets: Any) -> dict[str, Any]:
        """The level and ids of an activity from exactly one target."""
        given = [k for k, v in targets.items() if v is not None]
        if len(given) != 1:
            raise ValidationError(
                "log an activity at exactly one level: company, relationship, plan or objective", value=given
            )
        level = given[0]
        ids: dict[str, Any] = {"level": level, "relationship_id": None, "plan_id": None, "objective_id": None}
        if level == "objective":
            o = self.kit.objectives.get(targets["objective"])
            plan_rel = self.kit.plans.get(o.plan_id).relationship_id  # the plan's level, not the objective's own
            ids.update(company_id=o.company_id, relationship_id=plan_rel, plan_id=o.plan_id, objective_id=o.id)
        elif level == "plan":
            p = self.kit.plans.get(targets["plan"])
            ids.update(company_id=p.company_id, relationship_id=p.relationship_id, plan_id=p.id)
        elif level == "relationship":
            r = self.kit.relationships.get(targets["relationship"])
            ids.update(company_id=r.company_id, relationship_id=r.id)
        else:
            ids["company_id"] = self.kit.companies.get(targets["company"]).id
        return ids

    def _participants(self, items: Sequence[Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(user ids, person ids) of the participants, each checked to exist (two queries)."""
        if isinstance(items, (str, User, Person)) or not isinstance(items, Sequence):
            raise ValidationError("participants are a list of users and people", value=items)
        ids = []
        for item in items:
            if isinstance(item, (User, Person)):
                ids.append(item.id)
            elif isinstance(item, str) and item:
                ids.append(item)
            else:
                raise ValidationError("a participant is a user, a person or an id", value=item)
        ids = list(dict.fromkeys(ids))
        users = {u.id for u in self.kit.store.get_many("user", ids)} if ids else set()
        rest = [i for i in ids if i not in users]
        people = {p.id for p in self.kit.store.get_many("person", rest)} if rest else set()
        unknown = [i for i in rest if i not in people]
        if unknown:
            raise ValidationError("a participant is neither a user nor a person", value=unknown[0])
        return tuple(i for i in ids if i in users), tuple(i for i in ids if i in people)


def delete_activities_of(kit: Kit, field: str, ids: Sequence[str]) -> None:
    """Delete the timeline activities of deleted plans or objectives (``field``
    is ``plan_id`` or ``objective_id``): what deleting either cascades to."""
    if ids:
        gone = [a.id for a in kit.timeline.iter([(field, "in", list(ids))])]
        kit.store.delete_many("activity", gone)


def encode_cursor(activity: Activity) -> str:
    """An opaque cursor after ``activity`` in timeline order."""
    raw = f"{activity.occurred_at.astimezone(timezone.utc).isoformat()}|{activity.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: Any) -> tuple[datetime, str]:
    """The (moment, id) a cursor names; a malformed one is a clear error."""
    try:
        if not isinstance(cursor, str) or len(cursor) > 200:
            raise ValueError
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment_text, _, last_id = raw.partition("|")
        moment = datetime.fromisoformat(moment_text)
        if moment.tzinfo is None or not last_id:
            raise ValueError
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationError("not a timeline cursor (pass the 'next' of a previous page)", value=cursor) from None
    return moment, last_id
