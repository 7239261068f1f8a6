"""Surveys and NPS (SURVEY_01-03): surveys with questions, sends that expire,
responses from a person about a company or relationship, and the NPS and CSAT of
many records over a window, counted by the database.

Sending a survey stays with the host (its mail, its survey tool); successkit
holds what was sent and what came back, and scores it.  An NPS answer (0-10) is a
promoter at 9-10, a passive at 7-8, a detractor at 0-6; a record's NPS over a
window is the share of promoters minus the share of detractors, in points
(-100..100); its CSAT is the share of 4-5 answers, in % (SURVEY_02).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import attrs
from dateutil.relativedelta import relativedelta

from successkit.automation.events import report
from successkit.errors import ValidationError, article
from successkit.records import Person, Survey, SurveyResponse, SurveySend
from successkit.records.checks import as_list, plain_text, require_text
from successkit.service import Service
from successkit.signals.history import record_changes
from successkit.views.frames import to_frame

if TYPE_CHECKING:
    pass

__all__ = [
    "QUESTION_TYPES",
    "RecordScores",
    "SurveyResponseService",
    "SurveyScores",
    "SurveySendService",
    "SurveyService",
    "check_questions",
    "nps_category",
]

#: Question types and the answers each takes (None: any text; a range: whole numbers).
QUESTION_TYPES: dict[str, range | None] = {
    "nps": range(0, 11),
    "csat": range(1, 6),
    "ces": range(1, 8),
    "choice": None,
    "text": None,
}
#: The most questions a survey holds, and the longest text answer.
MAX_QUESTIONS = 50
MAX_TEXT = 10_000


def nps_category(score: int) -> str:
    """promoter (9-10), passive (7-8) or detractor (0-6) (SURVEY_01)."""
    return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"


@attrs.frozen
class RecordScores:
    """One record's survey scores over the window (SURVEY_02)."""

    record_id: str
    responses: int
    nps_answers: int
    promoters: int
    detractors: int
    csat_answers: int
    csat_satisfied: int

    @property
    def nps(self) -> float | None:
        """% promoters - % detractors of the NPS answers; None without any."""
        answered = self.nps_answers
        return None if not answered else 100.0 * (self.promoters - self.detractors) / answered

    @property
    def csat(self) -> float | None:
        """The share of CSAT answers of 4 or 5, in %; None without any."""
        return None if not self.csat_answers else 100.0 * self.csat_satisfied / self.csat_answers

    @classmethod
    def counted(
        cls, record_id: str, by_category: Iterable[tuple[str | None, int]], by_csat: Iterable[tuple[int | None, int]]
    ) -> RecordScores:
        """A record's scores from its responses counted per NPS category and per CSAT
        answer (None: the response has none): what the database counts (SURVEY_02)."""
        categories = list(by_category)
        answers = [(c, n) for c, n in by_csat if c is not None]
        return cls(
            record_id,
            responses=sum(n for _, n in categories),
            nps_answers=sum(n for c, n in categories if c is not None),
            promoters=sum(n for c, n in categories if c == "promoter"),
            detractors=sum(n for c, n in categories if c == "detractor"),
            csat_answers=sum(n for _, n in answers),
            csat_satisfied=sum(n for c, n in answers if c >= 4),
        )


@attrs.frozen
class SurveyScores:
    """NPS and CSAT of many records over ``start``..``end`` (SURVEY_02)."""

    start: date
    end: date
    rows: tuple[RecordScores, ...]

    def __iter__(self) -> Any:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def of(self, record: Any) -> RecordScores | None:
        rid = getattr(record, "id", record)
        return next((r for r in self.rows if r.record_id == rid), None)

    def to_pandas(self) -> Any:
        rows = [{"record_id": r.record_id, "responses": r.responses, "nps": r.nps, "csat": r.csat} for r in self]
        return to_frame(rows, {"record_id": "text", "responses": "int", "nps": "float", "csat": "float"})

    def _repr_html_(self) -> str:
        """NPS and CSAT per record with the answers behind them, in notebooks (DATA_01)."""
        from successkit.views import notebook as nb

        nps = [None if r.nps is None else nb.Shown(f"{r.nps:+.0f}", number=True) for r in self.rows]
        rows = [
            [r.record_id, r.responses, n, r.nps_answers, nb.percent(r.csat), r.csat_answers]
            for r, n in zip(self.rows, nps, strict=True)
        ]
        header = ["record", "responses", "NPS", "NPS answers", "CSAT satisfied", "CSAT answers"]
        return nb.block(
            nb.title("Survey scores", f"{self.start} to {self.end}; {nb.plural(len(self.rows), 'record')}"),
            nb.table(header, rows, numeric=[False, True, True, True, True, True]),
        )


class SurveyService(Service[Survey]):
    """``kit.surveys``: surveys, sends, responses and their scores (SURVEY_01-03)."""

    record_class = Survey
    named = True

    def create(self, name: str, questions: Sequence[Mapping[str, Any]]) -> Survey:
        """A survey with its questions (SURVEY_01); its name is unique."""
        name = require_text(self.kind, "name", name)
        checked = check_questions(questions)
        with self.kit.transaction():
            if self.list([("name", "=", name)], limit=1):
                raise ValidationError(f"a survey named {name!r} exists", rule="SURVEY_01", value=name)
            survey = self._new(name=name, definition={"questions": checked})
            self.kit.store.insert(survey)
        return survey

    # ------------------------------------------------------------------ sends
    def send(
        self,
        survey: Survey | str,
        person: Person | str,
        *,
        company: Any = None,
        relationship: Any = None,
        sent_on: date | None = None,
        expires_on: date | None = None,
    ) -> SurveySend:
        """Record that the host sent ``survey`` to ``person`` about a company or
        relationship, answerable until ``expires_on`` (SURVEY_03)."""
        found = self.get(survey)
        who = self.kit.people.get(person)
        kind, record_id, company_id = self._target(who, company, relationship)
        sent = _day("sent_on", sent_on, self.kit.today())
        expiry = None if expires_on is None else _day("expires_on", expires_on, sent)
        if expiry is not None and expiry < sent:
            raise ValidationError("a send expires on or after the day it is sent", rule="SURVEY_03", value=expiry)
        record = SurveySend(
            **self._stamp(), survey_id=found.id, person_id=who.id, record_kind=kind, record_id=record_id,
            company_id=company_id, sent_on=sent, expires_on=expiry,
        )  # fmt: skip
        self.kit.store.insert(record)
        return record

    def unanswered(self, survey: Survey | str | None = None, *, as_of: date | None = None) -> list[SurveySend]:
        """Sends not answered by their expiry, as of a day (today): the sales hand-off
        follow-up's list (SURVEY_03).  One query."""
        day = _day("as_of", as_of, self.kit.today())
        where: list[Any] = [("answered_on", "is empty", None), ("expires_on", "<", day)]
        if survey is not None:
            where.append(("survey_id", "=", self.get(survey).id))
        return list(self.kit.store.query(self.kit.bind("survey_send", _query(where, ["expires_on", "id"]))))

    # -------------------------------------------------------------- responses
    def respond(
        self,
        survey: Survey | str,
        person: Person | str,
        answers: Mapping[str, Any],
        *,
        company: Any = None,
        relationship: Any = None,
        answered_on: date | None = None,
    ) -> SurveyResponse:
        """A person's answers about a company or relationship (SURVEY_01): each answer
        checked against its question; the person belongs to the record's company.  The
        person's open send of the survey for that record, if any, is marked answered."""
        found = self.get(survey)
        who = self.kit.people.get(person)
        kind, record_id, company_id = self._target(who, company, relationship)
        day = _day("answered_on", answered_on, self.kit.today())
        checked = _answers(found, answers)
        scales = {q["type"]: checked[q["key"]] for q in reversed(found.questions) if q["key"] in checked}
        with self.kit.transaction():
            send = self._open_send(found.id, who.id, record_id, day)
            response = SurveyResponse(
                **self._stamp(), survey_id=found.id, send_id=send.id if send else None, person_id=who.id,
                record_kind=kind, record_id=record_id, company_id=company_id, answered_on=day, answers=checked,
                nps=scales.get("nps"), nps_category=None if scales.get("nps") is None else nps_category(scales["nps"]),
                csat=scales.get("csat"), ces=scales.get("ces"),
            )  # fmt: skip
            self.kit.store.insert(response)
            report(self.kit, created=[response])  # AUTO_01
            if send is not None:
                self.kit.store.update(attrs.evolve(send, answered_on=day, version=send.version + 1), send.version)
        return response

    def _open_send(self, survey_id: str, person_id: str, record_id: str, day: date) -> SurveySend | None:
        where = [("survey_id", "=", survey_id), ("person_id", "=", person_id), ("record_id", "=", record_id),
                 ("answered_on", "is empty", None)]  # fmt: skip
        sends = self.kit.store.query(self.kit.bind("survey_send", _query(where, ["-sent_on", "id"])))
        return next((s for s in sends if s.expires_on is None or s.expires_on >= day), None)

    def _target(self, person: Person, company: Any, relationship: Any) -> tuple[str, str, str]:
        """(record kind, record id, company id) of a send or response; the person is of that company."""
        if (company is None) == (relationship is None):
            raise ValidationError("name a company or a relationship (one of them)", rule="SURVEY_01", value=None)
        if relationship is not None:
            rel = self.kit.relationships.get(relationship)
            kind, record_id, company_id = "relationship", rel.id, rel.company_id
        else:
            kind, record_id = "company", self.kit.companies.get(company).id
            company_id = record_id
        if person.company_id != company_id:
            raise ValidationError("the person is not of the record's company", rule="SURVEY_01", value=person.name)
        return kind, record_id, company_id

    # ----------------------------------------------------------------- scores
    def scores(
        self,
        *,
        record_kind: str = "company",
        records: Sequence[Any] | None = None,
        months: int = 12,
        until: date | None = None,
    ) -> SurveyScores:
        """NPS and CSAT per record over the last ``months`` months up to ``until``
        (SURVEY_02), counted by the database: two storage calls however many records.
        A company's scores count its relationships' responses too."""
        if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 120:
            raise ValidationError("a survey window is 1 to 120 months", rule="SURVEY_02", value=months)
        if record_kind not in ("company", "relationship"):
            raise ValidationError("scores are of companies or relationships", rule="SURVEY_02", value=record_kind)
        end = _day("until", until, self.kit.today())
        start = end - relativedelta(months=months) + relativedelta(days=1)
        key = "company_id" if record_kind == "company" else "record_id"
        where: list[Any] = [("answered_on", "between", [start, end])]
        if record_kind == "relationship":
            where.append(("record_kind", "=", "relationship"))
        if records is not None:
            where.append((key, "in", [getattr(r, "id", r) for r in as_list("survey scores", "records", records)]))
        responses = self.kit.survey_responses
        by_nps = responses.aggregate(where, by=[key, "nps_category"], measures={"n": "count"})
        by_csat = responses.aggregate(where, by=[key, "csat"], measures={"n": "count"})
        categories: dict[str, list[tuple[str | None, int]]] = {}
        answers: dict[str, list[tuple[int | None, int]]] = {}
        for row in by_nps:
            categories.setdefault(row.keys[0], []).append((row.keys[1], row["n"]))
        for row in by_csat:
            answers.setdefault(row.keys[0], []).append((row.keys[1], row["n"]))
        rows = tuple(RecordScores.counted(rid, categories[rid], answers.get(rid, ())) for rid in sorted(categories))
        return SurveyScores(start=start, end=end, rows=rows)

    def update_nps(self, *, months: int = 12, until: date | None = None) -> int:
        """Keep each company's ``nps`` in step with its responses over the window
        (SURVEY_02): one transaction, bounded storage calls; returns how many changed.
        A company whose NPS answers all left the window keeps no NPS (None); a company
        that never had one keeps the NPS it was given (by hand, or by an import)."""
        scores = self.scores(months=months, until=until)
        with self.kit.transaction():
            wanted = {r.record_id: r.nps for r in scores if r.nps_answers}
            answered = self.kit.survey_responses.aggregate([("nps", "is not empty", None)], by="company_id")
            stale = {r.keys[0] for r in answered if r.keys[0] not in wanted}
            ids = sorted(set(wanted) | stale)
            before = {c.id: c for c in self.kit.store.get_many("company", ids) if c.nps != wanted.get(c.id)}
            changed = [
                (attrs.evolve(c, nps=wanted.get(c.id), version=c.version + 1, updated_at=self.kit.now()), c.version)
                for c in before.values()
            ]
            self.kit.store.update_many(changed)
            record_changes(self.kit, [(before[new.id], new) for new, _ in changed])  # HIST_01
        return len(changed)


class SurveyResponseService(Service[SurveyResponse]):
    """``kit.survey_responses``: the responses, to list, count and aggregate (SURVEY_01)."""

    record_class = SurveyResponse


class SurveySendService(Service[SurveySend]):
    """``kit.survey_sends``: what was sent, to list and count (SURVEY_03)."""

    record_class = SurveySend


def _query(where: list[Any], sort: list[str]) -> Any:
    from successkit.query.language import Query

    return Query(conditions=where, sort=sort)


def _day(name: str, value: Any, default: date) -> date:
    if value is None:
        return default
    if not isinstance(value, date) or hasattr(value, "hour"):
        raise ValidationError(f"{name} is a date", rule="SEC_05", value=value)
    return value


def check_questions(questions: Any) -> list[dict[str, Any]]:
    """A survey's questions checked and in stored form (SURVEY_01): what `create` stores,
    and what a bundle's survey is checked and compared with."""
    items = as_list("survey", "questions", questions)
    if not 1 <= len(items) <= MAX_QUESTIONS:
        raise ValidationError(f"a survey has 1 to {MAX_QUESTIONS} questions", rule="SURVEY_01", value=len(items))
    out: list[dict[str, Any]] = []
    for q in items:
        if not isinstance(q, Mapping) or set(q) - {"key", "type", "text", "options"}:
            raise ValidationError("a question is a mapping of key, type, text and options", rule="SURVEY_01", value=q)
        key = require_text("question", "key", q.get("key"))
        if any(o["key"] == key for o in out):
            raise ValidationError("question keys are unique", rule="SURVEY_01", value=key)
        qtype = q.get("type")
        if qtype not in QUESTION_TYPES:
            raise ValidationError(
                f"a question type is one of {', '.join(QUESTION_TYPES)}", rule="SURVEY_01", value=qtype
            )
        checked: dict[str, Any] = {"key": key, "type": qtype, "text": require_text("question", "text", q.get("text"))}
        if qtype == "choice":
            options = [require_text("question", "option", o) for o in as_list("question", "options", q.get("options"))]
            if not 2 <= len(options) <= 50 or len(set(options)) != len(options):
                raise ValidationError("a choice has 2 to 50 distinct options", rule="SURVEY_01", value=options)
            checked["options"] = options
        elif q.get("options") is not None:
            raise ValidationError("only a choice question has options", rule="SURVEY_01", value=key)
        out.append(checked)
    return out


def _answers(survey: Survey, answers: Any) -> dict[str, Any]:
    """Answers checked against the survey's questions: an NPS 0-10, a CSAT 1-5, a CES 1-7,
    a choice among its options, text; unknown keys refused (SURVEY_01)."""
    if not isinstance(answers, Mapping) or not answers:
        raise ValidationError("answers map question keys to answers", rule="SURVEY_01", value=answers)
    questions = {q["key"]: q for q in survey.questions}
    out: dict[str, Any] = {}
    for key, value in answers.items():
        q = questions.get(key)
        if q is None:
            raise ValidationError(f"{survey.name!r} has no question {key!r}", rule="SURVEY_01", value=key)
        allowed = QUESTION_TYPES[q["type"]]
        if allowed is not None:
            if isinstance(value, bool) or not isinstance(value, int) or value not in allowed:
                raise ValidationError(
                    f"{article(q['type'])} answer is a whole number {allowed.start}-{allowed.stop - 1}",
                    rule="SURVEY_01",
                    value=value,
                )
        elif q["type"] == "choice" and value not in q["options"]:
            raise ValidationError(f"{key!r} is one of {', '.join(q['options'])}", rule="SURVEY_01", value=value)
        elif not isinstance(value, str) or not plain_text(value) or len(value) > MAX_TEXT:
            raise ValidationError(
                f"a text answer is text of at most {MAX_TEXT} characters", rule="SURVEY_01", value=value
            )
        out[key] = value
    return out
