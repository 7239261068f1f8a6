"""Playbooks and email templates (OBJ_03, OBJ_04, OBJ_09)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from successkit.errors import NotFound, ValidationError
from successkit.query.language import Query
from successkit.records import EmailTemplate, Playbook, PlaybookTask
from successkit.records.checks import as_list, check_options, flag, require_text, text_list
from successkit.service import Service

from .emails import check_placeholders

__all__ = ["PlaybookContent", "PlaybookService"]


@attrs.frozen
class PlaybookContent:
    """A playbook with its steps and their email templates, read once and
    applied to any number of work items without another storage call."""

    playbook: Playbook
    steps: tuple[PlaybookTask, ...]
    emails: Mapping[str, EmailTemplate]


class PlaybookService(Service[Playbook]):
    """``kit.playbooks``: named lists of task templates, and email templates."""

    record_class = Playbook
    named = True

    def create(
        self,
        name: str,
        steps: Sequence[Mapping[str, Any]],
        *,
        all_cta_types: bool | None = None,
        cta_types: Sequence[str] = (),
        description: str | None = None,
    ) -> Playbook:
        """A playbook with its steps.

        Each step is a mapping with ``name`` and optionally ``key`` (default:
        its position), ``due_days``, ``start_days``, ``business_days``,
        ``priority``, ``description``, ``depends_on`` (keys of earlier steps)
        and ``email_template`` (an email template or its id).  A playbook not
        configured for all CTA types cannot be used on objectives (OBJ_04).
        """
        name = require_text(self.kind, "name", name)
        cta_types = text_list(self.kind, "cta_types", cta_types)
        if all_cta_types is None:
            all_cta_types = not cta_types  # listing types means only those types
        elif flag(self.kind, "all_cta_types", all_cta_types) and cta_types:
            raise ValidationError("a playbook is for all CTA types or for listed ones, not both", value=cta_types)
        for t in cta_types:
            self.kit.config.check("cta_type", t, what="CTA type")
        if not all_cta_types and not cta_types:
            raise ValidationError("a playbook is for all CTA types or for listed ones", value=name)
        with self.kit.transaction():
            self._check_new_name(name)
            book = self._new(
                name=name, description=description, all_cta_types=all_cta_types, cta_types=tuple(cta_types)
            )
            records = self._steps(book, steps)
            self.kit.store.insert_many([book, *records])
        return book

    def ensure(self, name: str, steps: Sequence[Mapping[str, Any]], **options: Any) -> Playbook:
        """The playbook of this name, created as :meth:`create` would when there is
        none.  An existing one is returned unchanged (its steps are not compared)
        unless an option given (``description``, ``cta_types``...) differs: refused."""
        name = require_text(self.kind, "name", name)
        check_options("playbook ensure", self.create, options, given=("name", "steps"))  # not a TypeError
        with self.kit.transaction():
            found = self.list([("name", "=", name)], limit=1)
            return self._ensured(
                found[0] if found else None, "name", options, lambda: self.create(name, steps, **options)
            )

    def _steps(self, book: Playbook, steps: Sequence[Mapping[str, Any]]) -> list[PlaybookTask]:
        stamp = self._stamp()
        out: list[PlaybookTask] = []
        keys: set[str] = set()
        for i, raw in enumerate(as_list("playbook", "steps", steps)):
            if not isinstance(raw, Mapping):
                raise ValidationError("a playbook step is a mapping with at least a name", value=raw)
            step = dict(raw)
            for offset in ("start_days", "due_days"):
                days = step.get(offset, 0)
                if isinstance(days, bool) or not isinstance(days, int) or days < 0:
                    raise ValidationError(f"playbook step {offset} is a whole number of days >= 0", value=days)
            key = str(step.pop("key", i + 1))
            if key in keys:
                raise ValidationError(f"playbook step key {key!r} is used twice", value=key)
            deps = tuple(str(d) for d in step.pop("depends_on", ()))
            for d in deps:
                if d not in keys:
                    raise ValidationError(f"step {key!r} depends on {d!r}, which is not an earlier step", value=d)
            keys.add(key)
            template = step.pop("email_template", None)
            template_id = None if template is None else self.email_template(template).id
            if "priority" in step:
                self.kit.config.check("priority", step["priority"])
            try:
                out.append(
                    PlaybookTask(
                        **stamp,
                        playbook_id=book.id,
                        key=key,
                        position=i,
                        depends_on=deps,
                        email_template_id=template_id,
                        name=require_text("playbook step", "name", step.pop("name", None)),
                        **step,
                    )
                )
            except TypeError as e:
                raise ValidationError(f"bad playbook step {key!r}: {e}", value=sorted(raw)) from None
        return out

    def steps(self, playbook: Playbook | str) -> list[PlaybookTask]:
        """A playbook's steps in order."""
        query = Query(conditions=[("playbook_id", "=", self.ref_id(playbook))], sort=["position", "key"])
        return list(self.kit.store.query(self.kit.bind("playbook_task", query)))

    def contents(self, playbooks: Iterable[Playbook | str]) -> dict[str, PlaybookContent]:
        """Playbooks by id with their steps and email templates: three storage
        calls however many playbooks and steps."""
        ids = list(dict.fromkeys(self.id_of(p) for p in self._refs(playbooks)))
        if not ids:
            return {}
        books = self.kit.store.get_many(self.kind, ids)
        names = [i for i in ids if i not in {b.id for b in books}]
        if names:  # a playbook may be named by its (unique) name
            books += self.list([("name", "in", names)])
            ids = [b.id for b in books]
        query = Query(conditions=[("playbook_id", "in", ids)], sort=["position", "key"])
        steps: dict[str, list[PlaybookTask]] = {}
        for step in self.kit.store.query(self.kit.bind("playbook_task", query)):
            steps.setdefault(step.playbook_id, []).append(step)
        email_ids = list(dict.fromkeys(s.email_template_id for ss in steps.values() for s in ss if s.email_template_id))
        emails = {e.id: e for e in self.kit.store.get_many("email_template", email_ids)} if email_ids else {}
        return {b.id: PlaybookContent(b, tuple(steps.get(b.id, ())), emails) for b in books}

    def content(self, playbook: Playbook | str) -> PlaybookContent:
        """One playbook with its steps and email templates."""
        found = list(self.contents([playbook]).values())
        if not found:
            raise NotFound(self.kind, self.id_of(playbook))
        return found[0]

    # -------------------------------------------------------------- email
    def create_email_template(self, name: str, subject: str, body: str = "") -> EmailTemplate:
        """An email template that playbook and template steps can turn into email tasks; names are unique.

        ``subject`` and ``body`` may use ``{{object.field}}`` placeholders
        (:data:`successkit.EMAIL_PLACEHOLDERS`), filled when the email is sent;
        an unknown placeholder is refused (MAIL_01)."""
        name = require_text("email template", "name", name)
        check_placeholders(subject, what=f"email template {name!r} subject")
        check_placeholders(body, what=f"email template {name!r} body")
        found = self.kit.store.count(self.kit.bind("email_template", Query(conditions=[("name", "=", name)])))
        if found:
            raise ValidationError("an email template with this name exists", value=name)
        if not isinstance(body, str):
            raise ValidationError("an email template body is text", value=body)
        template = EmailTemplate(
            name=name, subject=require_text("email template", "subject", subject), body=body, **self._stamp()
        )
        self.kit.store.insert(template)
        return template

    def email_template(self, ref: EmailTemplate | str | None) -> EmailTemplate:
        """An email template by record or id."""
        if isinstance(ref, EmailTemplate):
            ref = ref.id
        if not isinstance(ref, str):
            raise ValidationError("expected an email template or its id", value=ref)
        template: EmailTemplate = self.kit.store.get("email_template", ref)
        return template
