"""The records: plain, frozen attrs classes.

Every record carries ``id``, ``version`` (for optimistic concurrency, STORE_04),
timestamps, its creator and a ``fields`` mapping for custom fields.  A change is
a new record made with :func:`attrs.evolve`; the services in the kit do that and
enforce the rules.  Reference fields carry ``metadata={"ref": kind}`` so that
generic code (erasure, PERSON_01) can find every reference to a record.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, ClassVar

import attrs

__all__ = [
    "LICENSES",
    "OWNER_LICENSES",
    "Company",
    "CustomField",
    "Person",
    "Record",
    "Relationship",
    "RelationshipType",
    "User",
    "new_id",
]


def new_id() -> str:
    """A random, unguessable record id (32 hex characters)."""
    return uuid.uuid4().hex


def ref(kind: str, *, default: Any = None) -> Any:
    """An attrs field that refers to a record of ``kind``."""
    return attrs.field(default=default, metadata={"ref": kind})


@attrs.frozen(kw_only=True)
class Record:
    """Fields every record has."""

    __kind__: ClassVar[str] = "record"
    __indexes__: ClassVar[tuple[tuple[str, ...], ...]] = ()

    id: str = attrs.field(factory=new_id)
    version: int = 1
    created_at: datetime
    updated_at: datetime
    created_by: str | None = ref("user")
    fields: Mapping[str, Any] = attrs.field(factory=dict, hash=False)


#: Every license type (USER_01).
LICENSES = ("full", "viewer", "viewer_analytics", "internal_collaborator")
#: Licenses that may own plans, objectives and tasks (USER_01).
OWNER_LICENSES = ("full", "viewer", "viewer_analytics")


@attrs.frozen(kw_only=True)
class User(Record):
    """An internal user of the customer-success team."""

    __kind__ = "user"
    __indexes__ = (("email",),)

    name: str
    email: str | None = None
    license: str = "full"
    active: bool = True
    licensed: bool = True


@attrs.frozen(kw_only=True)
class Company(Record):
    """A customer account; ``parent_id`` places it in the hierarchy (HIER_01)."""

    __kind__ = "company"
    __indexes__ = (("parent_id",), ("name",), ("csm_id",), ("renewal_date",))

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


@attrs.frozen(kw_only=True)
class Person(Record):
    """An external contact at a customer."""

    __kind__ = "person"
    __indexes__ = (("company_id",), ("email",))

    name: str
    email: str | None = None
    company_id: str | None = ref("company")
    title: str | None = None
    phone: str | None = None
    sponsor: bool = False
    erased: bool = False


@attrs.frozen(kw_only=True)
class CustomField(Record):
    """An administrator's declaration of a custom field on a record kind.

    ``type`` is one of text, number, date, boolean, dropdown, multiselect;
    ``scope`` narrows a relationship field to one relationship type.
    """

    __kind__ = "custom_field"
    __indexes__ = (("record_kind", "name"),)

    record_kind: str
    name: str
    type: str
    label: str | None = None
    options: tuple[str, ...] = ()
    scope: str | None = ref("relationship_type")


#: Every record class the library stores, by kind.
RECORD_CLASSES: tuple[type[Record], ...] = (
    User,
    Company,
    RelationshipType,
    Relationship,
    Person,
    CustomField,
)
