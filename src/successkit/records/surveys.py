"""Records of surveys: the survey with its questions, a send to a person, a response."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import attrs

from .base import Record, ref


@attrs.frozen(kw_only=True)
class Survey(Record):
    """A survey (SURVEY_01): ``definition`` holds its checked ``questions``, each a
    mapping with ``key``, ``type`` (nps, csat, ces, choice, text), ``text`` and, for a
    choice, ``options``."""

    __kind__ = "survey"
    __unique__ = (("name",),)

    name: str
    definition: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
    active: bool = True

    @property
    def questions(self) -> list[dict[str, Any]]:
        """The questions, in order (copies)."""
        return [dict(q) for q in self.definition.get("questions", ())]


@attrs.frozen(kw_only=True)
class SurveySend(Record):
    """A survey sent to a person about a company or relationship (SURVEY_03): the host
    sends it; ``answered_on`` is set by the response, and a send past ``expires_on``
    without one is "sent, not answered"."""

    __kind__ = "survey_send"
    __indexes__ = (("survey_id", "expires_on"), ("person_id",), ("company_id",))

    survey_id: str = ref("survey", default=attrs.NOTHING)
    person_id: str = ref("person", default=attrs.NOTHING, on_erase="delete")
    record_kind: str
    record_id: str = ref(("company", "relationship"), default=attrs.NOTHING, kind_field="record_kind")
    company_id: str = ref("company", default=attrs.NOTHING)
    sent_on: date
    expires_on: date | None = None
    answered_on: date | None = None


@attrs.frozen(kw_only=True)
class SurveyResponse(Record):
    """A person's answers to a survey about a company or relationship, on a day
    (SURVEY_01).  ``nps``, ``nps_category`` (promoter, passive, detractor), ``csat``
    and ``ces`` hold the survey's first answer of each scale, so the database counts them."""

    __kind__ = "survey_response"
    __indexes__ = (("company_id", "answered_on"), ("record_id", "answered_on"), ("survey_id", "answered_on"))

    survey_id: str = ref("survey", default=attrs.NOTHING)
    send_id: str | None = ref("survey_send")
    person_id: str | None = ref("person")
    record_kind: str
    record_id: str = ref(("company", "relationship"), default=attrs.NOTHING, kind_field="record_kind")
    company_id: str = ref("company", default=attrs.NOTHING)
    answered_on: date
    answers: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
    nps: int | None = None
    nps_category: str | None = None
    csat: int | None = None
    ces: int | None = None
