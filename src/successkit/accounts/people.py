"""Internal users (USER_01, USER_02) and external people (PERSON_01)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from email.errors import MessageError
from email.headerregistry import Address
from typing import Any

import attrs

from successkit.errors import RuleViolation, ValidationError, named
from successkit.query.language import Query
from successkit.query.schema import FieldType
from successkit.records import LICENSES, OWNER_LICENSES, PERSON_ROLES, Company, Person, Relationship, User
from successkit.records.checks import as_list, check_attributes, check_options, require_text, require_type
from successkit.service import Service, evolve

__all__ = [
    "MAX_GROUPS",
    "ErasureReport",
    "PersonService",
    "Reference",
    "UserService",
    "check_email",
    "check_groups",
    "owner_refusal",
]

#: At most this many user groups on one user or one layout (SEC_07).
MAX_GROUPS = 50
_GROUP = re.compile(r"[a-z][a-z0-9_]{0,62}")


def check_groups(value: Any, *, what: str = "a user's groups") -> tuple[str, ...]:
    """User group names (C360_03): a list of keys (lowercase letters, digits and ``_``,
    starting with a letter), each once, at most :data:`MAX_GROUPS`."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
        raise RuleViolation("C360_03", f"{what} are a list of group names", value=value)
    if len(value) > MAX_GROUPS:
        raise RuleViolation("C360_03", f"{what}: at most {MAX_GROUPS} groups", value=len(value))
    seen: set[str] = set()
    for group in value:
        if not isinstance(group, str) or not _GROUP.fullmatch(group):
            raise RuleViolation(
                "C360_03",
                f"{what}: a group name is lowercase letters, digits and _, starting with a letter",
                value=group,
            )
        if group in seen:
            raise RuleViolation("C360_03", f"{what}: group {group!r} is named twice", value=group)
        seen.add(group)
    return tuple(value)


#: The longest address SMTP carries (RFC 5321: a 256-octet path less its angle brackets).
MAX_EMAIL = 254


def check_email(value: Any, *, param: str = "email") -> str:
    """``value`` if it is exactly one valid address (``name@domain``), else a
    :class:`ValidationError` naming SEC_09 and ``param``.

    Every place the library takes an address calls this, so a list
    ("a@x, b@y"), a display name ("Bob <b@x>"), a comment, quoting or
    header-like text (CR, LF, any control or space) never reaches a
    notifier's ``To:``.  The standard library parses it; what it parsed must
    be the whole text.
    """
    if not isinstance(value, str):
        raise ValidationError(f"{param} must be text: one email address", rule="SEC_09", value=value)
    if not 3 <= len(value) <= MAX_EMAIL or any(c.isspace() or not c.isprintable() or c in '"\\' for c in value):
        raise ValidationError(
            f"{param} must be one email address of at most {MAX_EMAIL} characters, without "
            "spaces, quotes or control characters",
            rule="SEC_09",
            value=value,
        )
    try:
        parsed = Address(addr_spec=value)
        whole = parsed.addr_spec == value and bool(parsed.username) and bool(parsed.domain)
    except (ValueError, IndexError, MessageError):  # what the parser raises for what it cannot read
        whole = False
    if not whole:
        raise ValidationError(
            f"{param} must be exactly one email address (name@domain), not a list, a display name or a comment",
            rule="SEC_09",
            value=value,
        )
    return value


def _emails(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with its ``email`` (when given and not None) checked (SEC_09)."""
    if values.get("email") is not None:
        check_email(values["email"])
    return values


class UserService(Service[User]):
    """``kit.users``: the customer-success team, with license types."""

    record_class = User

    def create(
        self,
        name: str,
        *,
        email: str | None = None,
        license: str = "full",
        active: bool = True,
        licensed: bool = True,
        groups: Sequence[str] = (),
        fields: Mapping[str, Any] | None = None,
    ) -> User:
        """An internal user with a license (USER_01); ``groups`` name the user groups
        the user belongs to, which choose the 360 layouts the user sees (C360_03)."""
        self._check_license(license)
        checked_groups = check_groups(groups)
        values = _emails(
            check_attributes(
                self.kind,
                {"email": email, "active": active, "licensed": licensed},
                {"email": str, "active": bool, "licensed": bool},
            )
        )
        user = self._new(
            name=require_text(self.kind, "name", name),
            license=license,
            groups=checked_groups,
            **values,
            fields=self.kit.custom_fields.check(self.kind, fields),
        )
        with self.kit.transaction():  # the check and the insert together: no second user between them
            self._check_email_free(user.email)
            self.kit.store.insert(user)
        return user

    def ensure(self, name: str, *, email: str, **attributes: Any) -> User:
        """The user with this email (ignoring case), created with ``name`` and
        ``attributes`` (those of :meth:`create`) when there is none.  An existing one
        is returned unchanged if ``name`` and the attributes given match it, and
        refused, naming the field, if one differs: ensure never updates."""
        key = check_email(email)
        check_options("user ensure", self.create, attributes, given=("name", "email"))  # not a TypeError
        given = {"name": name, **attributes}
        with self.kit.transaction():
            return self._ensured(self.by_email(key), "email", given, lambda: self._create_or_found(key, given))

    def _create_or_found(self, email: str, given: Mapping[str, Any]) -> User:
        """Create the user, unless another writer committed one with this email since
        it was looked up (USER_03's check sees it): then that one, as ensure returns it."""
        try:
            return self.create(given["name"], email=email, **{k: v for k, v in given.items() if k != "name"})
        except RuleViolation as e:
            found = self.by_email(email) if e.rule == "USER_03" else None
            if found is None:
                raise
            return self._ensured(found, "email", given, lambda: found)

    def _check_email_free(self, email: str | None, user_id: str | None = None) -> None:
        """Refuse an email another user holds, ignoring case (USER_03)."""
        if email is None:
            return
        taken = self.by_email(email)
        if taken is not None and taken.id != user_id:
            raise RuleViolation(
                "USER_03",
                f"the email {email} belongs to {named(taken)} already; a user's email is unique, "
                "ignoring case (kit.users.ensure(name, email=...) returns that user)",
                value=email,
            )

    def update(self, user: User | str, **attributes: Any) -> User:
        """Change name, email, license, active, licensed or groups."""
        allowed = {"name": str, "email": str, "license": str, "active": bool, "licensed": bool, "groups": object}
        changes = _emails(check_attributes(self.kind, attributes, allowed))
        if "groups" in changes:
            changes["groups"] = check_groups(changes["groups"])
        if "license" in changes:
            self._check_license(changes["license"])
        if "name" in changes:
            changes["name"] = require_text(self.kind, "name", changes["name"])
        with self.kit.transaction():
            current = self._current(user)
            if changes.get("email") is not None:
                self._check_email_free(changes["email"], current.id)
            if changes.get("license") not in (None, *OWNER_LICENSES) and current.license in OWNER_LICENSES:
                owned = self._owned(current.id)
                if owned:
                    raise RuleViolation(
                        "USER_01",
                        f"{current.name} still owns {owned}; an internal collaborator can "
                        "never own work, so reassign it first",
                        value=current.name,
                    )
            return self._save(current, changes)

    def _owned(self, user_id: str) -> str:
        """What the user owns, in words ("2 plans, 1 task"), or ''."""
        counts = [
            (kind, self.kit.store.count(self.kit.bind(kind, Query(conditions=[("owner_id", "=", user_id)]))))
            for kind in ("plan", "objective", "task")
        ]
        return ", ".join(f"{n} {kind}{'s' if n > 1 else ''}" for kind, n in counts if n)

    def deactivate(self, user: User | str) -> User:
        """Mark a user inactive: they keep what they own but get nothing new (USER_02)."""
        return self.update(user, active=False)

    def can_own(self, user: User) -> bool:
        """Whether the user may be given new ownership (USER_01 and USER_02)."""
        require_type("can_own", "user", user, User, "a user record")
        return owner_refusal(user) is None

    def check_owner(self, user: User | str, *, what: str = "record") -> User:
        """The user, if they may be given ownership of a plan, objective or task.

        Refused with USER_01 for an internal collaborator and USER_02 for an
        inactive or unlicensed user.
        """
        u = self.get(user)
        refusal = owner_refusal(u, what)
        if refusal is not None:
            raise refusal
        return u

    def by_email(self, email: str) -> User | None:
        """The user with this email, ignoring case (emails are unique: USER_03), or None."""
        if not isinstance(email, str) or not email:
            raise ValidationError("an email is non-empty text", value=email)
        wanted = email.lower()
        found = [u for u in self.list([("email", "starts with", email)]) if (u.email or "").lower() == wanted]
        return min(found, key=lambda u: u.id) if found else None

    @staticmethod
    def _check_license(license: Any) -> None:
        if license not in LICENSES:
            raise ValidationError(f"license must be one of {', '.join(LICENSES)}", value=license)


@attrs.frozen
class Reference:
    """One place a record points at a person: which record, which field."""

    kind: str
    id: str
    field: str


@attrs.frozen
class ErasureReport:
    """What an erasure changed (PERSON_01)."""

    person_id: str
    references: tuple[Reference, ...]


class PersonService(Service[Person]):
    """``kit.people``: external contacts at customers."""

    record_class = Person

    def create(
        self,
        name: str,
        *,
        company: Company | str | None = None,
        email: str | None = None,
        title: str | None = None,
        phone: str | None = None,
        sponsor: bool = False,
        role: str | None = None,
        reports_to: Person | str | None = None,
        relationships: Sequence[Relationship | str] = (),
        fields: Mapping[str, Any] | None = None,
    ) -> Person:
        """An external person, optionally a contact of a company (a sponsor with ``sponsor=True``),
        with a ``role``, the person they report to and the relationships of their company
        they work on (PEOPLE_02)."""
        company_id = None if company is None else self.kit.companies.get(company).id
        values = _emails(
            check_attributes(
                self.kind,
                {"email": email, "title": title, "phone": phone, "sponsor": sponsor},
                {"email": str, "title": str, "phone": str, "sponsor": bool},
            )
        )
        person = self._new(
            name=require_text(self.kind, "name", name),
            company_id=company_id,
            fields=self.kit.custom_fields.check(self.kind, fields),
            **values,
        )
        with self.kit.transaction():
            person = attrs.evolve(
                person, **self._links(person, role=role, reports_to=reports_to, relationships=relationships)
            )
            self.kit.store.insert(person)
        return person

    def update(self, person: Person | str, **attributes: Any) -> Person:
        """Change a person's fields, role, manager (``reports_to``) or relationships (PEOPLE_02);
        :meth:`move` them to another company."""
        links = {k: attributes.pop(k) for k in ("role", "reports_to", "relationships") if k in attributes}
        if "company" in attributes or "company_id" in attributes:
            raise ValidationError(
                "move a person to another company with people.move", rule="PEOPLE_02", value="company"
            )
        changes = _emails(
            check_attributes(
                self.kind, attributes, {"name": str, "email": str, "title": str, "phone": str, "sponsor": bool}
            )
        )
        with self.kit.transaction():
            current = self._current(person)
            return self._save(current, {**changes, **self._links(current, **links)})

    def move(self, person: Person | str, company: Company | str) -> Person:
        """Move a person to another company (PEOPLE_02): what they did and answered stays
        with the company it was about; their relationships, their manager and the links of
        those who reported to them end; after the commit, plugins hear of it
        (``successkit_person_moved``) — the sponsor-moved play starts there."""
        with self.kit.transaction():
            current = self._current(person)
            target = self.kit.companies.get(company)
            if current.company_id == target.id:
                raise ValidationError("the person is already at this company", rule="PEOPLE_02", value=target.name)
            moved = self._save(current, {"company_id": target.id, "relationship_ids": (), "reports_to_id": None})
            reports = self.list([("reports_to_id", "=", current.id)])
            self.kit.store.update_many([(evolve(self.kit, r, reports_to_id=None), r.version) for r in reports])
            old_company = current.company_id
            hook = self.kit.plugins.hook.successkit_person_moved
            self.kit.after_commit(
                lambda: hook(kit=self.kit, person=moved, from_company_id=old_company, to_company_id=target.id)
            )
        return moved

    def of_relationship(self, relationship: Relationship | str) -> list[Person]:
        """The people who work on a relationship, by name (PEOPLE_02; the R360 shows them)."""
        rel_id = self.kit.relationships.id_of(relationship)
        return self.list([("relationship_ids", "contains", rel_id)], sort=["name"])

    def reports(self, person: Person | str) -> list[Person]:
        """The people who report to a person, by name (PEOPLE_02)."""
        return self.list([("reports_to_id", "=", self.id_of(person))], sort=["name"])

    def _links(self, person: Person, **links: Any) -> dict[str, Any]:
        """Role, manager and relationships checked (PEOPLE_02): the manager is a person of the
        same company and not one of their own reports; the relationships are their company's."""
        out: dict[str, Any] = {}
        if links.get("role") is not None or "role" in links:
            role = links.get("role")
            if role is not None and role not in PERSON_ROLES:
                raise ValidationError(f"a role is one of {', '.join(PERSON_ROLES)}", rule="PEOPLE_02", value=role)
            out["role"] = role
        if links.get("reports_to") is not None:
            boss = self.get(links["reports_to"])
            if boss.company_id is None or boss.company_id != person.company_id or boss.id == person.id:
                raise ValidationError(
                    "a person reports to another person of their company", rule="PEOPLE_02", value=boss.name
                )
            chain = {p.id: p.reports_to_id for p in self.of_company(boss.company_id)}
            seen: set[str] = set()
            at: str | None = boss.id
            while at is not None and at not in seen:
                if at == person.id:
                    raise ValidationError(
                        "reporting lines cannot go round in a circle", rule="PEOPLE_02", value=boss.name
                    )
                seen.add(at)
                at = chain.get(at)
            out["reports_to_id"] = boss.id
        elif "reports_to" in links:
            out["reports_to_id"] = None
        if "relationships" in links:
            given = [
                self.kit.relationships.id_of(r) for r in as_list(self.kind, "relationships", links["relationships"])
            ]
            found = self.kit.store.get_many("relationship", sorted(set(given)))
            if len(found) != len(set(given)) or any(r.company_id != person.company_id for r in found):
                raise ValidationError(
                    "a person works on relationships of their own company", rule="PEOPLE_02", value=given
                )
            out["relationship_ids"] = tuple(dict.fromkeys(given))
        return out

    def of_company(self, company: Company | str) -> list[Person]:
        """The contacts of a company, by name."""
        return self.list([("company_id", "=", self.kit.companies.id_of(company))], sort=["name"])

    def references(self, person: Person | str) -> list[Reference]:
        """Every record field that points at the person (PERSON_01): owners,
        associated persons, shares, timeline participants...

        Found generically from the ``ref`` metadata of the record classes, so a
        new kind of reference is covered without a hand-kept list.  One query
        per referencing field of the schema, whatever the data size.
        """
        pid = self.id_of(person)
        refs: list[Reference] = []
        for spec in self._reference_fields():
            conditions: list[tuple[str, str, str]] = [(spec.field, "contains" if spec.is_list else "=", pid)]
            if spec.kind_field is not None:
                conditions.append((spec.kind_field, "=", self.kind))
            for record in self.kit.store.query(self.kit.bind(spec.kind, Query(conditions=conditions))):
                refs.append(Reference(spec.kind, record.id, spec.field))
        found = self.get_many([pid]) if isinstance(person, str) else [person]
        email = found[0].email if found else None
        if email:  # recipients of emails recorded on tasks hold the address itself
            query = Query(conditions=[("email_to", "contains", email)])
            refs.extend(Reference("task", t.id, "email_to") for t in self.kit.store.query(self.kit.bind("task", query)))
        return refs

    def erase(self, person: Person | str) -> ErasureReport:
        """Erase a person: clear every reference, then delete the record (PERSON_01).

        A single reference becomes empty (and its ``kind_field`` returns to its
        default), a list loses the id, and a record whose reference says
        ``on_erase="delete"`` (a share) is deleted.  All in one transaction:
        either every trace is gone or nothing changed.
        """
        with self.kit.transaction():
            target = self.get(person)
            refs = self.references(target)
            specs = {(s.kind, s.field): s for s in self._reference_fields()}
            specs[("task", "email_to")] = _RefField("task", "email_to", True, "clear", None, None)
            by_record: dict[tuple[str, str], list[_RefField]] = {}
            for r in refs:
                by_record.setdefault((r.kind, r.id), []).append(specs[(r.kind, r.field)])
            updates = []
            deletes: dict[str, list[str]] = {}
            for (kind, rid), fields in by_record.items():
                if any(f.on_erase == "delete" for f in fields):
                    deletes.setdefault(kind, []).append(rid)
                    continue
                record = self.kit.store.get(kind, rid)
                changes: dict[str, Any] = {}
                for f in fields:
                    value = getattr(record, f.field)
                    gone = target.email if f.field == "email_to" else target.id
                    changes[f.field] = tuple(v for v in value if v != gone) if isinstance(value, tuple) else None
                    if f.kind_field is not None:
                        changes[f.kind_field] = f.kind_default
                new = attrs.evolve(record, **changes, version=record.version + 1, updated_at=self.kit.now())
                updates.append((new, record.version))
            self.kit.store.update_many(updates)
            for kind, ids in deletes.items():
                self.kit.store.delete_many(kind, ids)
            self.kit.store.delete(self.kind, target.id)
        return ErasureReport(target.id, tuple(refs))

    def _reference_fields(self) -> list[_RefField]:
        out = []
        for schema in self.kit.store.schemas.values():
            defaults = {f.name: f.default for f in attrs.fields(schema.cls)}
            for f in attrs.fields(schema.cls):
                targets = f.metadata.get("ref")
                if targets == self.kind or (isinstance(targets, tuple) and self.kind in targets):
                    kind_field = f.metadata.get("kind_field")
                    out.append(
                        _RefField(
                            schema.kind,
                            f.name,
                            schema.by_name[f.name].type is FieldType.LIST,
                            f.metadata.get("on_erase", "clear"),
                            kind_field,
                            defaults.get(kind_field) if kind_field else None,
                        )
                    )
        return out


@attrs.frozen
class _RefField:
    """A field that may refer to a person, with what erasure does to it."""

    kind: str
    field: str
    is_list: bool
    on_erase: str
    kind_field: str | None
    kind_default: Any


def owner_refusal(user: User, what: str = "record") -> RuleViolation | None:
    """Why ``user`` may not be given a new ``what`` to own, or None when they may:
    USER_01 for an internal collaborator, USER_02 for an inactive or unlicensed user.
    Every path that hands out ownership asks here, alone or in bulk."""
    if user.license not in OWNER_LICENSES:
        return RuleViolation(
            "USER_01", f"a user with the {user.license} license can never own a {what}", value=user.name
        )
    if not user.active or not user.licensed:
        state = "inactive" if not user.active else "unlicensed"
        return RuleViolation("USER_02", f"an {state} user cannot be given a {what}", value=user.name)
    return None
