"""The customer-signal and health rules of the stateful differential test
(tests/test_stateful_differential.py, STORE_02): people, their moves and erasure, usage
metrics and facts (loaded again, so that the same facts replace), surveys with
their sends, responses and the NPS kept on the record, activities with the
fields their type declares, the attribute history written by every change of a
company or relationship, and health measures, scorecards, manual values,
overrides and recomputes, deleting companies and relationships with their
scores, with the reads over all of them.

:class:`SignalRules` is mixed into the machine there, which gives it
``on_all``, ``pick``, ``maybe``, ``has``, ``day`` and the shared clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

import successkit as sk

#: What activities of type ``call`` declare (ACT_01), and a field every type has.
SENTIMENTS = ["red", "yellow", "green"]
PULSE = [
    {"key": "nps", "type": "nps", "text": "Would you recommend us?"},
    {"key": "csat", "type": "csat", "text": "How satisfied are you?"},
    {"key": "why", "type": "text", "text": "Why?"},
]
#: Survey definitions to create: good ones, a duplicate name and refused ones.
SURVEYS: list[tuple[str, list[dict[str, Any]]]] = [
    ("Renewal pulse", PULSE),
    ("Relationship pulse", PULSE[:2]),
    ("Pulse", PULSE),
    ("Onboarding", [{"key": "ease", "type": "ces", "text": "How easy?"}, {"key": "nps", "type": "nps", "text": "NPS"}]),
    ("Choice", [{"key": "pick", "type": "choice", "text": "Which?", "options": ["a", "b"]}]),
    ("Broken", [{"key": "x", "type": "stars", "text": "Stars?"}]),
    ("Empty", []),
]
METRICS = ["logins", "logins", "logins", "seats", "api_calls"]
#: What makes a usage row refused (USAGE_01).
BAD_ROWS: list[dict[str, Any]] = [
    {"metric": "no_such_metric"},
    {"value": -1},
    {"company": "no-such-record"},
    {"period": "yesterday"},
    {"person": "no-such-record"},
]
#: Measure sources by name: every source type, signals included, and refused ones.
SOURCES: dict[str, dict[str, Any] | None] = {
    "manual": None,
    "nps": {"type": "field", "field": "nps", "map": {"linear": [-100, 100]}},
    "arr": {"type": "field", "field": "arr", "map": {"thresholds": [[0, 10], [1000, 60], [100_000, 100]]}},
    "risks": {
        "type": "count", "kind": "cta", "where": [("type", "=", "risk")], "days": 90,
        "map": {"thresholds": [[0, 100], [1, 60], [3, 20]]},
    },
    "logins": {"type": "usage", "metric": "logins", "days": 30, "map": {"linear": [0, 40]}},
    "growth": {"type": "usage", "metric": "logins", "days": 7, "value": "change", "map": {"linear": [-50, 50]}},
    "people": {"type": "usage", "metric": "logins", "function": "active_persons", "map": {"linear": [0, 3]}},
    "peak": {"type": "usage", "metric": "logins", "function": "mean", "days": 7, "map": {"linear": [0, 10]}},
    "voice": {"type": "survey", "score": "nps", "months": 3, "map": {"linear": [-100, 100]}},
    "csat": {"type": "survey", "score": "csat", "months": 12},
    "mood": {"type": "activity_field", "field": "sentiment", "types": ["call"],
             "values": {"red": 0, "yellow": 50, "green": 100}},
    "minutes": {"type": "activity_field", "field": "minutes", "map": {"linear": [0, 60]}},
    "no_metric": {"type": "usage", "metric": "no_such_metric"},
    "no_field": {"type": "field", "field": "no_such_field"},
}  # fmt: skip
MEASURE_KEYS = ["risks", "extra", "growth", "sentiment", "nps", "logins", "voice", "mood", "Bad Key"]
CARD_KEYS = ["retail", "rels", "grades", "standard"]
CARD_CONDITIONS: list[list[Any] | None] = [None, [("arr", ">=", 1000)], [("stage", "=", "Onboarding")]]
TRACKED = ["stage", "nps", "health_score", "fields.tier", "tier", "renewal_date", "name", "arr", "id", "no_such"]
VALUES: list[float | str] = [0, 12.5, 55, 55, 80, 100, 100, 101, "A", "Green"]


def signal_world(kit: sk.Kit, acme: sk.Company, emea: sk.Company) -> None:
    """What the signal and health rules start from: a metric, the call sentiment
    field, people at both companies, a survey, measures of every kind of
    source and a default scorecard weighing them."""
    kit.metrics.declare("logins", "Logins", unit="logins")
    kit.metrics.declare("seats", "Seats in use")
    kit.custom_fields.declare("activity", "sentiment", "dropdown", options=SENTIMENTS, scope="call")
    kit.custom_fields.declare("activity", "minutes", "number")
    kit.people.create("Pat", company=acme, sponsor=True)
    kit.people.create("Lee", company=acme)
    kit.people.create("Kim", company=emea)
    kit.surveys.create("Pulse", PULSE)
    kit.measures.create("sentiment", label="CSM sentiment", staleness_days=30)
    for key in ("nps", "logins", "voice", "mood"):
        kit.measures.create(key, source=SOURCES[key])
    kit.scorecards.create(
        "standard", default=True, measures=[{"measure": "nps", "weight": 2}, "logins", "voice", "mood", "sentiment"]
    )


class SignalRules:
    """Rules over people, usage, surveys, activity fields, history and health."""

    if TYPE_CHECKING:
        ref: sk.Kit
        clock: sk.FixedClock
        last_usage: list[dict[str, Any]]

        def on_all(self, operation: Callable[[sk.Kit], Any]) -> Any: ...
        def pick(self, data: st.DataObject, kind: str, *, missing: bool = True) -> str: ...
        def maybe(self, data: st.DataObject, kind: str) -> str | None: ...
        def has(self, *kinds: str) -> bool: ...
        def day(self, data: st.DataObject, label: str) -> date | None: ...

    def today(self) -> date:
        return self.clock().date()

    @staticmethod
    def rarely(data: st.DataObject, label: str, n: int = 5) -> bool:
        """True about once in ``n`` draws (a middle value: hypothesis favours the ends of a range)."""
        return bool(data.draw(st.integers(1, n), label=label) == (n + 1) // 2)

    def later(self, data: st.DataObject, label: str) -> date | None:
        """Mostly a day ahead, now and then none or one in the past (an expiry, refused)."""
        if self.rarely(data, f"{label}: none or past?"):
            return data.draw(st.sampled_from([None, self.today() - timedelta(days=1)]), label=label)
        return self.today() + timedelta(days=data.draw(st.sampled_from([0, 1, 5, 30, 90]), label=label))

    def past(self, data: st.DataObject, label: str) -> date:
        """A recent day: today, the days before it, or one or two windows back."""
        return self.today() - timedelta(days=data.draw(st.sampled_from([0, 0, 1, 2, 6, 8, 31, 40, 100]), label=label))

    def target(self, data: st.DataObject, *, missing: bool = True) -> dict[str, str]:
        """A company or a relationship, as the keyword the signal calls take."""
        if self.has("relationship") and self.rarely(data, "relationship?", 3):
            return {"relationship": self.pick(data, "relationship", missing=missing)}
        return {"company": self.pick(data, "company", missing=missing)}

    def record(self, data: st.DataObject) -> str:
        """A company's or relationship's id, for the scoring calls."""
        return next(iter(self.target(data).values()))

    def at_company_of(self, data: st.DataObject, person: str, *, anywhere: bool = True) -> dict[str, str]:
        """Mostly the person's company or one of its relationships (what the signal
        calls take), now and then any record (refused unless it is of that company)."""
        found = self.ref.store.get_many("person", [person])
        if not found or found[0].company_id is None or (anywhere and self.rarely(data, "anywhere?", 7)):
            return self.target(data, missing=anywhere)
        company = found[0].company_id
        rels = [r.id for r in self.ref.relationships.list([("company_id", "=", company)], sort=["id"])]
        if data.draw(st.booleans(), label="its relationship?") and rels:
            return {"relationship": data.draw(st.sampled_from(rels), label="relationship")}
        return {"company": company}

    def key_of(
        self, data: st.DataObject, kind: str, pool: list[str], keep: Callable[[Any], bool] = lambda r: True
    ) -> str:
        """A stored key of a measure or scorecard (one ``keep`` keeps), or now and then one from ``pool``."""
        stored: list[str] = sorted(r.key for r in self.ref.store.query(self.ref.bind(kind, sk.Query())) if keep(r))
        if not stored or self.rarely(data, f"{kind} from the pool?"):
            return data.draw(st.sampled_from(pool), label=f"{kind} key")
        return data.draw(st.sampled_from(stored), label=f"{kind} key")

    def measure_keys(self, data: st.DataObject) -> list[str]:
        n = data.draw(st.integers(1, 3), label="measures")
        return list(dict.fromkeys(self.key_of(data, "measure", MEASURE_KEYS) for _ in range(n)))

    # ---------------------------------------------------------------- people
    @precondition(lambda self: self.has("company"))
    @rule(data=st.data(), name=st.sampled_from(["Pat", "Noa", "Ärger"]), sponsor=st.booleans())
    def create_person(self, data: st.DataObject, name: str, sponsor: bool) -> None:
        company = self.maybe(data, "company")
        self.on_all(lambda kit: kit.people.create(name, company=company, sponsor=sponsor))

    @precondition(lambda self: self.has("person", "company"))
    @rule(data=st.data())
    def move_person(self, data: st.DataObject) -> None:
        """A move keeps what the person did with the company it was about (PEOPLE_02)."""
        person, company = self.pick(data, "person"), self.pick(data, "company")
        self.on_all(lambda kit: kit.people.move(person, company))

    @precondition(lambda self: self.has("person"))
    @rule(data=st.data())
    def erase_person(self, data: st.DataObject) -> None:
        """Every reference cleared, the person's usage facts deleted, in one transaction (PERSON_01)."""
        person = self.pick(data, "person")
        self.on_all(lambda kit: kit.people.erase(person))

    @precondition(lambda self: self.has("company"))
    @rule(data=st.data())
    def delete_record(self, data: st.DataObject) -> None:
        """Only a company or relationship that holds nothing goes, with its scores (SCORE_07)."""
        target = self.target(data)
        if "company" in target:
            self.on_all(lambda kit: kit.companies.delete(target["company"]))
        else:
            self.on_all(lambda kit: kit.relationships.delete(target["relationship"]))

    # ----------------------------------------------------------------- usage
    @rule(key=st.sampled_from(["api_calls", "logins", " "]))
    def declare_metric(self, key: str) -> None:
        self.on_all(lambda kit: kit.metrics.declare(key))

    @precondition(lambda self: self.has("company"))
    @rule(data=st.data())
    def ingest_usage(self, data: st.DataObject) -> None:
        """A batch of facts; the same metric, record, person and period replaces (USAGE_01)."""
        rows = []
        for _ in range(data.draw(st.integers(1, 4), label="rows")):
            row: dict[str, Any] = {"metric": data.draw(st.sampled_from(METRICS), label="metric")}
            if self.has("person") and data.draw(st.booleans(), label="person?"):
                row["person"] = self.pick(data, "person", missing=False)
                row.update(self.at_company_of(data, row["person"], anywhere=False))
            else:
                row.update(self.target(data, missing=False))
            row["period"] = self.past(data, "period")
            row["value"] = data.draw(st.sampled_from([0, 1, 2.5, 10, 12]), label="value")
            rows.append(row)
        if self.rarely(data, "a bad row?"):  # the whole load is refused, nothing written
            bad = data.draw(st.sampled_from(BAD_ROWS), label="bad row")
            rows.insert(data.draw(st.integers(0, len(rows)), label="bad row at"), {**rows[0], **bad})
        self.last_usage = rows
        self.on_all(lambda kit: kit.usage.ingest(rows))

    @precondition(lambda self: bool(self.last_usage))
    @rule(value=st.none() | st.sampled_from([0, 3, 7.5]))
    def ingest_again(self, value: float | None) -> None:
        """The last batch loaded again (or with new values): it replaces, nothing is added."""
        rows = [r if value is None else {**r, "value": value} for r in self.last_usage]
        self.on_all(lambda kit: kit.usage.ingest(rows))

    @rule(
        data=st.data(),
        metric=st.sampled_from(METRICS),
        days=st.sampled_from([1, 7, 30, 30, 0]),
        function=st.sampled_from(["sum", "mean", "max", "active_persons", "sum", "median"]),
        kind=st.sampled_from(["company", "relationship"]),
    )
    def read_usage(self, data: st.DataObject, metric: str, days: int, function: str, kind: str) -> None:
        """Windows, power users and lost power users answer alike (USAGE_02, USAGE_03)."""
        until = self.day(data, "until")
        company = self.pick(data, "company")
        top = data.draw(st.sampled_from([1, 5]), label="top")
        self.on_all(
            lambda kit: (
                kit.usage.window(metric, days=days, function=function, record_kind=kind, until=until).to_dicts(),
                kit.usage.power_users(company, metric, days=days, top=top, until=until),
                kit.usage.lost_power_users(company, metric, days=days, top=top, until=until),
            )
        )

    # --------------------------------------------------------------- surveys
    @rule(survey=st.sampled_from(SURVEYS))
    def create_survey(self, survey: tuple[str, list[dict[str, Any]]]) -> None:
        self.on_all(lambda kit: kit.surveys.create(*survey))

    @precondition(lambda self: self.has("survey", "person"))
    @rule(data=st.data())
    def send_survey(self, data: st.DataObject) -> None:
        """A send answerable until it expires (SURVEY_03)."""
        survey, person = self.pick(data, "survey"), self.pick(data, "person")
        target = self.at_company_of(data, person)
        sent_on = self.past(data, "sent on")
        expires_on = self.later(data, "expires on")
        self.on_all(lambda kit: kit.surveys.send(survey, person, sent_on=sent_on, expires_on=expires_on, **target))

    @precondition(lambda self: self.has("survey", "person"))
    @rule(data=st.data())
    def respond(self, data: st.DataObject) -> None:
        """Answers checked against the questions; the open send is marked answered (SURVEY_01)."""
        survey, person = self.pick(data, "survey"), self.pick(data, "person")
        target = self.at_company_of(data, person)
        questions = self.ref.store.get_many("survey", [survey])
        answers: dict[str, Any] = {}
        for q in questions[0].questions if questions else PULSE:
            if self.rarely(data, f"no answer to {q['key']}?", 3):
                continue
            choices: dict[str, list[Any]] = {
                "nps": [0, 6, 7, 9, 10, 10, 11], "csat": [1, 3, 4, 5, 5, 0], "ces": [1, 7],
                "choice": [*q.get("options", []), "z"], "text": ["Fine", "Fine", ""],
            }  # fmt: skip
            answers[q["key"]] = data.draw(st.sampled_from(choices[q["type"]]), label=q["key"])
        answered_on = self.past(data, "answered on")
        self.on_all(lambda kit: kit.surveys.respond(survey, person, answers, answered_on=answered_on, **target))

    @rule(data=st.data(), months=st.sampled_from([1, 3, 12, 0, 12]))
    def update_nps(self, data: st.DataObject, months: int) -> None:
        """Each company's NPS kept in step with its responses, with its history (SURVEY_02, HIST_01)."""
        until = self.day(data, "until")
        self.on_all(lambda kit: kit.surveys.update_nps(months=months, until=until))

    @rule(data=st.data(), months=st.sampled_from([1, 12]), kind=st.sampled_from(["company", "relationship"]))
    def read_surveys(self, data: st.DataObject, months: int, kind: str) -> None:
        survey = self.maybe(data, "survey")
        as_of = self.day(data, "as of")
        self.on_all(
            lambda kit: (
                kit.surveys.scores(record_kind=kind, months=months),
                kit.surveys.unanswered(survey, as_of=as_of),
            )
        )

    # ------------------------------------------------------------ activities
    @precondition(lambda self: self.has("company"))
    @rule(
        data=st.data(),
        type=st.sampled_from(["call", "meeting", "call", "no_such_type"]),
        sentiment=st.sampled_from([*SENTIMENTS, None, "purple"]),
        minutes=st.none() | st.sampled_from([0, 30, 90, -5]),
        draft=st.booleans(),
    )
    def log_activity(
        self, data: st.DataObject, type: str, sentiment: str | None, minutes: int | None, draft: bool
    ) -> None:
        """An activity with the fields its type declares (ACT_01): sentiment on calls only."""
        if type != "call" and not self.rarely(data, "sentiment on another type?"):
            sentiment = None  # only calls declare it (ACT_01)
        fields = {k: v for k, v in (("sentiment", sentiment), ("minutes", minutes)) if v is not None}
        target = self.target(data)
        hours = data.draw(st.sampled_from([0, 0, 1, 24 * 3, 24 * 40]), label="hours ago")
        when: datetime = self.clock() - timedelta(hours=hours)
        self.on_all(
            lambda kit: kit.timeline.log(type, "Check-in", occurred_at=when, draft=draft, fields=fields, **target)
        )

    @precondition(lambda self: self.has("activity"))
    @rule(
        data=st.data(),
        change=st.sampled_from(["publish", "delete", "fields", "type"]),
        sentiment=st.sampled_from([*SENTIMENTS, None]),
    )
    def change_activity(self, data: st.DataObject, change: str, sentiment: str | None) -> None:
        """Publishing a draft, deleting, new field values, another type (ACT_01)."""
        activity = self.pick(data, "activity")
        ops: dict[str, Callable[[sk.Kit], Any]] = {
            "publish": lambda kit: kit.timeline.publish(activity),
            "delete": lambda kit: kit.timeline.delete(activity),
            "fields": lambda kit: kit.timeline.update(activity, fields={"sentiment": sentiment, "minutes": 15}),
            "type": lambda kit: kit.timeline.update(activity, type="meeting"),
        }
        self.on_all(ops[change])

    @rule(
        field=st.sampled_from(["sentiment", "fields.minutes", "no_such"]),
        kind=st.sampled_from(["company", "relationship"]),
        types=st.sampled_from([None, ["call"], ["call", "meeting"], ["no_such_type"]]),
    )
    def latest_values(self, field: str, kind: str, types: list[str] | None) -> None:
        self.on_all(lambda kit: kit.timeline.latest_values(field, record_kind=kind, types=types))

    # --------------------------------------------------------------- history
    @rule(
        kind=st.sampled_from(["company", "relationship", "company", "person"]),
        attributes=st.lists(st.sampled_from(TRACKED), max_size=3),
    )
    def track_history(self, kind: str, attributes: list[str]) -> None:
        """What keeps a history from now on (HIST_01); company updates write it."""
        self.on_all(lambda kit: kit.history.track(kind, attributes))

    @rule(data=st.data(), attribute=st.sampled_from(["stage", "nps", "health_score", "fields.tier", "csm_id"]))
    def read_history(self, data: st.DataObject, attribute: str) -> None:
        records = [self.pick(data, "company")] if data.draw(st.booleans(), label="one company?") else None
        since = self.day(data, "since")
        self.on_all(lambda kit: kit.history.series(attribute, records=records, since=since))

    # ---------------------------------------------------------------- health
    @rule(
        key=st.sampled_from(MEASURE_KEYS), source=st.sampled_from(sorted(SOURCES)), staleness=st.sampled_from([None, 7])
    )
    def create_measure(self, key: str, source: str, staleness: int | None) -> None:
        self.on_all(lambda kit: kit.measures.create(key, source=SOURCES[source], staleness_days=staleness))

    @rule(data=st.data(), source=st.sampled_from(sorted(SOURCES)), locked=st.sampled_from([False, False, True]))
    def update_measure(self, data: st.DataObject, source: str, locked: bool) -> None:
        """A new source is checked against the scorecards that use the measure."""
        key = self.key_of(data, "measure", MEASURE_KEYS)
        changes: dict[str, Any] = {"locked": locked}
        if SOURCES[source] is not None:
            changes["source"] = SOURCES[source]
        self.on_all(lambda kit: kit.measures.update(key, **changes))

    @rule(data=st.data())
    def delete_measure(self, data: st.DataObject) -> None:
        """Only a measure no scorecard uses, with its entries and overrides (SCORE_01)."""
        key = self.key_of(data, "measure", MEASURE_KEYS)
        self.on_all(lambda kit: kit.measures.delete(key))

    @rule(
        data=st.data(),
        key=st.sampled_from(CARD_KEYS),
        kind=st.sampled_from(["company", "company", "relationship"]),
        where=st.sampled_from(CARD_CONDITIONS),
        grades=st.booleans(),
        rollup=st.sampled_from([None, "mean", "worst"]),
    )
    def create_scorecard(
        self, data: st.DataObject, key: str, kind: str, where: Any, grades: bool, rollup: str | None
    ) -> None:
        """The first matching scorecard by position scores a record, else its kind's default (SCORE_01)."""
        measures = self.measure_keys(data)
        default = where is None and not self.rarely(data, "not the default?")
        scheme = {"type": "grade"} if grades else None
        self.on_all(
            lambda kit: kit.scorecards.create(
                key, measures=measures, target=kind, default=default, where=where, scheme=scheme, rollup=rollup
            )
        )

    @rule(data=st.data(), where=st.sampled_from(CARD_CONDITIONS), tolerance=st.sampled_from([0.0, 5.0]))
    def update_scorecard(self, data: st.DataObject, where: Any, tolerance: float) -> None:
        key = self.key_of(data, "scorecard", CARD_KEYS)
        changes: dict[str, Any] = {"trend_tolerance": tolerance}
        if not self.ref.scorecards.list([("key", "=", key), ("default", "=", True)]):
            changes["where"] = where
        if data.draw(st.booleans(), label="new measures?"):
            changes["measures"] = self.measure_keys(data)
        self.on_all(lambda kit: kit.scorecards.update(key, **changes))

    @rule(data=st.data())
    def delete_scorecard(self, data: st.DataObject) -> None:
        key = self.key_of(data, "scorecard", CARD_KEYS)
        self.on_all(lambda kit: kit.scorecards.delete(key))

    @precondition(lambda self: self.has("company"))
    @rule(data=st.data(), value=st.sampled_from(VALUES))
    def set_value(self, data: st.DataObject, value: float | str) -> None:
        """A manual value replaces the record's last one; not on a locked measure (SCORE_02, SCORE_09)."""
        record = self.record(data)
        measure = self.key_of(data, "measure", MEASURE_KEYS, keep=lambda m: m.source["type"] == "manual")
        as_of = self.past(data, "as of") if data.draw(st.booleans(), label="as of?") else None
        self.on_all(lambda kit: kit.scorecards.set_value(record, measure, value, comment="seen", as_of=as_of))

    @precondition(lambda self: self.has("company"))
    @rule(
        data=st.data(),
        value=st.sampled_from(VALUES),
        reason=st.sampled_from(["churn notice", "churn notice", "churn notice", None]),
        clear=st.sampled_from([False, False, True]),
    )
    def override(self, data: st.DataObject, value: float | str, reason: str | None, clear: bool) -> None:
        """An override needs a reason and an expiry not in the past; clearing ends it (SCORE_09)."""
        record = self.record(data)
        measure = (
            self.key_of(data, "measure", MEASURE_KEYS) if data.draw(st.booleans(), label="of a measure?") else None
        )
        if clear:
            self.on_all(lambda kit: kit.scorecards.clear_override(record, measure=measure))
            return
        expires_on = self.later(data, "expires on")
        self.on_all(
            lambda kit: kit.scorecards.override(record, value, measure=measure, reason=reason, expires_on=expires_on)
        )

    @rule(data=st.data(), kind=st.sampled_from(["company", "company", "relationship"]))
    def recompute(self, data: st.DataObject, kind: str) -> None:
        """Every record scored in one transaction, snapshots and history written (SCORE_06, SCORE_07, SCORE_11)."""
        today = self.day(data, "today") if self.rarely(data, "another day?", 3) else None
        self.on_all(lambda kit: kit.scorecards.recompute(kind, today=today))

    @precondition(lambda self: self.has("company"))
    @rule(data=st.data())
    def read_scores(self, data: st.DataObject) -> None:
        """Explain, the scorecard a record gets, its entries, overrides and score history (SCORE_05, SCORE_07)."""
        record = self.record(data)
        self.on_all(
            lambda kit: (
                kit.scorecards.explain(record),
                kit.scorecards.scorecard_for(record),
                kit.scorecards.entries(record),
                kit.scorecards.overrides(record),
                kit.scorecards.history(record).to_dicts(),
            )
        )
