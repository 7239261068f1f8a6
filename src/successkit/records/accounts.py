"""Records of customers and the people around them: users, companies, relationships,
people and custom-field declarations."""

from __future__ import annotations

from datetime import date

import attrs

from .base import Record, ref

#: Every license type (USER_01).
LICENSES = ("full", "viewer", "viewer_analytics", "internal_collaborator")
#: Licenses that may own plans, objectives and tasks (USER_01).
OWNER_LICENSES = ("full", "viewer", "viewer_analytics")
#: The names the query language gives a scored record's health fields (SCORE_06):
#: ``("score.grade", "=", "Red")`` reads the ``score_grade`` column.
SCORE_ALIASES = {
    "score.value": "health_score",
    "score.grade": "score_grade",
    "score.trend": "score_trend",
    "score.previous": "score_previous",
    "score.scorecard": "scorecard",
}


@attrs.frozen(kw_only=True)
class User(Record):
    """An internal user of the customer-success team; ``groups`` name the user
    groups the user belongs to (360 layouts apply per group, C360_03)."""

    __kind__ = "user"
    __indexes__ = (("email",),)

    name: str
    email: str | None = None
    license: str = "full"
    active: bool = True
    licensed: bool = True
    groups: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class Company(Record):
    """A customer account; ``parent_id`` places it in the hierarchy (HIER_01).

    ``health_score`` is the current score of its scorecard, kept in step with
    ``score_grade``, ``score_previous``, ``score_trend`` and ``scorecard`` by
    ``kit.scorecards.recompute`` (SCORE_06, SCORE_11).  ``external_id`` is the
    host's own key for it (a CRM id), unique when given: ``kit.companies.ensure`` finds by it."""

    __kind__ = "company"
    __indexes__ = (
        ("parent_id",), ("name",), ("csm_id",), ("renewal_date",), ("-arr",), ("stage", "-arr"),
        ("score_grade", "-arr"),
    )  # fmt: skip
    __unique__ = (("external_id",),)
    __aliases__ = SCORE_ALIASES

    name: str
    parent_id: str | None = ref("company")
    stage: str | None = None
    status: str | None = None
    csm_id: str | None = ref("user")
    renewal_date: date | None = None
    industry: str | None = None
    arr: float | None = None
    health_score: float | None = None
    nps: float | None = None
    score_grade: str | None = None
    score_previous: float | None = None
    score_trend: str | None = None
    scorecard: str | None = None
    external_id: str | None = None


@attrs.frozen(kw_only=True)
class RelationshipType(Record):
    """A kind of relationship (product line, region, project), REL_01."""

    __kind__ = "relationship_type"
    __indexes__ = (("name",),)

    name: str
    description: str | None = None


@attrs.frozen(kw_only=True)
class Relationship(Record):
    """One connection point with a customer: one company, one type (REL_01, REL_02)."""

    __kind__ = "relationship"
    __indexes__ = (("company_id",), ("type_id",))
    __aliases__ = SCORE_ALIASES

    name: str
    company_id: str = ref("company", default=attrs.NOTHING)
    type_id: str = ref("relationship_type", default=attrs.NOTHING)
    stage: str | None = None
    status: str | None = None
    csm_id: str | None = ref("user")
    renewal_date: date | None = None
    arr: float | None = None
    health_score: float | None = None
    nps: float | None = None
    score_grade: str | None = None
    score_previous: float | None = None
    score_trend: str | None = None
    scorecard: str | None = None


#: The roles a person can have at an account (PEOPLE_02).
PERSON_ROLES = ("decision_maker", "executive_sponsor", "champion", "influencer", "user", "other")


@attrs.frozen(kw_only=True)
class Person(Record):
    """An external contact at a customer."""

    __kind__ = "person"
    __indexes__ = (("company_id",), ("email",), ("reports_to_id",))

    name: str
    email: str | None = None
    company_id: str | None = ref("company")
    title: str | None = None
    phone: str | None = None
    sponsor: bool = False
    erased: bool = False
    #: What the person is to the account (PEOPLE_02): one of :data:`PERSON_ROLES`.
    role: str | None = None
    reports_to_id: str | None = ref("person")
    #: The relationships of their company the person works on (PEOPLE_02).
    relationship_ids: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class CustomField(Record):
    """An administrator's declaration of a custom field on a record kind.

    ``type`` is one of text, number, date, boolean, dropdown, multiselect;
    ``scope`` narrows a relationship field to one relationship type;
    ``indexed`` asks the SQL backends for indexes on the field's values.
    """

    __kind__ = "custom_field"
    __indexes__ = (("record_kind", "name"),)
    __unique__ = (("record_kind", "name"),)  # declared once, however many processes race (SEC_04)

    record_kind: str
    name: str
    type: str
    label: str | None = None
    options: tuple[str, ...] = ()
    scope: str | None = ref("relationship_type")
    indexed: bool = False
