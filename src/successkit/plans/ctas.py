"""Cockpit CTAs of companies and relationships (CTA_01-CTA_03) and the cockpit view."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import attrs

from successkit.errors import ValidationError
from successkit.outcome import Outcome
from successkit.query.evaluate import sort_records
from successkit.query.language import Query, combine
from successkit.records import Company, Cta, Objective, Person, Playbook, Relationship, User
from successkit.records.checks import as_list, check_attributes, flag
from successkit.views.record_list import RecordList

from .builders import new_cta
from .invariants import resolve_owner
from .work_items import WorkService

__all__ = ["CtaService"]


class CtaService(WorkService[Cta]):
    """``kit.ctas``: calls to action in a company's or relationship's cockpit."""

    record_class = Cta
    allow_person_owner = False

    def create(
        self,
        name: str,
        *,
        company: Company | str | None = None,
        relationship: Relationship | str | None = None,
        type: str,
        reason: str | None = None,
        priority: str | None = None,
        status: str | None = None,
        owner: User | str | None = None,
        due_date: date | None = None,
        start_date: date | None = None,
        source: str = "manual",
        comments: str | None = None,
        playbook: Playbook | str | None = None,
        associated_persons: Sequence[Person | str] = (),
        fields: Mapping[str, Any] | None = None,
    ) -> Outcome[Cta]:
        """A CTA for a company, or for a relationship (its company is implied).

        The owner defaults to the CSM of the relationship or company, else the
        acting user.  An objective CTA cannot be created here: objectives live
        only in success plans (OBJ_01).
        """
        values = check_attributes(
            self.kind,
            {"due_date": due_date, "start_date": start_date, "comments": comments, "source": source},
            {"due_date": date, "start_date": date, "comments": str, "source": str},
        )
        with self.kit.transaction():
            if relationship is not None:
                rel = self.kit.relationships.get(relationship)
                if company is not None and self.kit.companies.id_of(company) != rel.company_id:
                    raise ValidationError("the relationship belongs to another company", value=rel.name)
                company_id, rel_id, csm = rel.company_id, rel.id, rel.csm_id
            elif company is not None:
                target = self.kit.companies.get(company)
                company_id, rel_id, csm = target.id, None, target.csm_id
            else:
                raise ValidationError("a CTA belongs to a company or a relationship", value=name)
            who = owner if owner is not None else (csm or self.kit.actor_id)
            if who is None:
                raise ValidationError("a CTA needs an owner: pass owner= or act as a user", value=name)
            given = as_list(self.kind, "associated_persons", associated_persons)
            persons = self.kit.people.get_many([self.kit.people.id_of(p) for p in given])
            cta = new_cta(
                self.kit,
                name=name,
                company_id=company_id,
                relationship_id=rel_id,
                type=type,
                reason=reason,
                owner_id=resolve_owner(self.kit, who, what="CTA", allow_person=False)[0],
                priority=priority,
                status=status,
                start_date=values["start_date"] or self.kit.today(),
                due_date=values["due_date"],
                source=values["source"],
                comments=values["comments"],
                associated_person_ids=tuple(p.id for p in persons),
                fields=fields,
            )
            self.kit.access.check_actor("change", cta)
            self.kit.store.insert(cta)
            created: tuple[Any, ...] = ()
            if playbook is not None:
                outcome = self.apply_playbook(cta, playbook, on=cta.start_date)
                cta, created = outcome.record, outcome.created
            self._assigned(None, cta)
        return Outcome(cta, created=created)

    def cockpit(
        self,
        user: User | str | None = None,
        *,
        where: Any = None,
        logic: str | None = None,
        sort: Any = None,
        limit: int | None = None,
        include_snoozed: bool = False,
    ) -> RecordList[Cta | Objective]:
        """A user's cockpit: their open CTAs and the open objectives of their
        *active* plans (PLAN_04), snoozed ones left out (OBJ_08), filtered and
        sorted with the query language over the fields CTAs and objectives
        share.  The database filters, sorts and cuts each kind to ``limit``:
        three storage calls, and two more for each further page of objectives
        only when objectives of inactive plans fill the first."""
        include_snoozed = flag(self.kind, "include_snoozed", include_snoozed)
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
            raise ValidationError("limit must be a whole number >= 0", value=limit)
        who = self.kit.users.id_of(user) if user is not None else self.kit.actor_id
        if who is None:
            raise ValidationError("the cockpit belongs to a user: pass user= or act as a user", value=user)
        order = sort or ["due_date", "name"]
        merged = self.kit.bind(self.kind, Query(sort=order))  # checks the sort once, for both kinds
        if limit == 0:
            return RecordList([], record_class=(Cta, Objective))
        found: list[Cta | Objective] = []
        for kind in ("cta", "objective"):
            extra: list[tuple[Any, ...]] = [
                ("owner_id", "=", who),
                ("status", "in", self.kit.statuses.in_category(kind, "open")),
            ]
            snoozed = [] if include_snoozed else [("snoozed_until", ">", self.kit.today())]
            query = combine(extra, where, logic, negated=snoozed)
            query = attrs.evolve(query, sort=order, limit=limit)  # each kind's first `limit`, sorted by the database
            if kind == "cta":
                found.extend(self.kit.store.query(self.kit.bind("cta", query)))
            else:
                found.extend(self._objective_pages(query, limit))
        ordered = sort_records(found, merged)
        return RecordList(ordered[:limit] if limit is not None else ordered, record_class=(Cta, Objective))

    def _objective_pages(self, query: Query, limit: int | None) -> list[Objective]:
        """The user's open objectives in active plans (PLAN_04), in order: page by page
        until ``limit`` are found, two storage calls a page."""
        active = set(self.kit.statuses.in_category("plan", "active"))
        extra = self.kit.custom_field_types("cta")  # the sort was checked against CTAs' fields
        found: list[Objective] = []
        offset = 0
        while True:
            page = list(
                self.kit.store.query(self.kit.bind("objective", attrs.evolve(query, offset=offset), extra=extra))
            )
            plans = self.kit.plans.get_many(sorted({i.plan_id for i in page})) if page else []
            live = {p.id for p in plans if p.status in active}
            found.extend(i for i in page if i.plan_id in live)
            if limit is None or len(page) < limit or len(found) >= limit:
                return found[:limit] if limit is not None else found
            offset += limit
