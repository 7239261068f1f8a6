"""Every hook a successkit plugin can implement.

Registration hooks receive a ``register`` callable, so the host decides how
registrations are checked and stored.  Plugins are found through the
``successkit`` entry-point group or registered by hand; the built-in storage
backends and default statuses are themselves plugins (``builtin_*.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from successkit.admin.statuses import StatusRegistrar
    from successkit.storage.registry import StorageRegistrar

#: ``register(key, label=None)``: adds one activity type.
ActivityTypeRegistrar = Any

__all__ = ["hookimpl", "hookspec"]

hookspec = pluggy.HookspecMarker("successkit")
hookimpl = pluggy.HookimplMarker("successkit")


@hookspec
def successkit_register_storage(register: StorageRegistrar) -> None:
    """Register storage backends by URL scheme.

    Call ``register(scheme, factory)`` once per scheme; ``factory(url, classes)``
    returns a :class:`successkit.storage.Store` holding records of ``classes``.
    A scheme registered twice is an error.
    """


@hookspec
def successkit_register_statuses(register: StatusRegistrar) -> None:
    """Register statuses for plans, objectives, CTAs, tasks or goals.

    Call ``register(kind, key, label, category)``; the category decides the
    behaviour (PLAN_04, CTA_01): ``draft``/``active``/``closed`` for plans,
    ``open``/``closed_success``/``closed_lost`` for the other kinds.
    """


@hookspec
def successkit_register_defaults(register: Any) -> None:
    """Register default configuration seeded into a new store.

    Call ``register(kind, key, **values)`` with ``kind`` one of ``plan_type``,
    ``config_item`` (give ``category``: cta_type, priority, reason or
    objective_category) or ``setting``.  A kit seeds every default that its
    store does not hold yet when it opens; administrators may then change or
    deactivate them like any configuration record.
    """


@hookspec
def successkit_register_activity_types(register: ActivityTypeRegistrar) -> None:
    """Register timeline activity types beside the built-in ones.

    Call ``register(key, label)``; a key is lowercase letters, digits and
    ``_``.  The built-ins (call, meeting, email, update, note, ebr, renewal) are
    registered the same way; a key registered twice is an error when the kit
    opens.
    """


@hookspec
def successkit_deliver(notification: Any, kit: Any) -> None:
    """Deliver one notification (email, chat, webhook...).

    ``notification`` is a :class:`successkit.engagement.notifications.Notification`: one
    event, or a digest whose ``items`` are the events.  Called only after the
    change that caused it was committed (NOTIF_03), once per notifier: an
    exception raised here is logged and does not stop the other notifiers.
    """


@hookspec(firstresult=True)
def successkit_send_email(email: Any, kit: Any) -> Any:
    """Send one email of an email task (MAIL_02).

    ``email`` is a :class:`successkit.OutgoingEmail`: the task's id, its
    recipients and its rendered subject and plain-text body (MAIL_01).  Called
    only after the transaction that sent the task committed.  Return a value
    that is not None (``True``, or the message's id) once the email was accepted
    for delivery; raise (or return False) to say it was not (the error's text is
    recorded on the task, which stays in ``verify``); return None for an email
    you do not send.
    The first sender to answer wins (the last registered is asked first); with
    none, the task stays in ``verify``.  :class:`successkit.SmtpSender` is the
    built-in sender.  A rule's ``send_email`` action (AUTO_03) sends through this
    hook too: its email's ``rule`` names the rule, and a refusal is logged.
    """


@hookspec
def successkit_register_bundles(register: Any) -> None:
    """Offer solution bundles (VAULT_01) through ``kit.bundles.available()``.

    Call ``register(bundle)`` with a :class:`successkit.Bundle`, a bundle
    document (mapping) or the path of a ``.json``/``.toml`` bundle file.  The
    library's own bundles (onboarding, renewal, ebr) are registered the same
    way; two bundles with one name are an error.
    """


@hookspec
def successkit_person_moved(kit: Any, person: Any, from_company_id: str | None, to_company_id: str) -> None:
    """A person moved to another company (PEOPLE_02), after the move committed.

    ``person`` is the :class:`successkit.Person` as it is now; their activities,
    survey answers and usage stay with the company they were about.  The
    sponsor-moved play starts here: a plugin can raise a CTA at the old company
    and welcome the person at the new one.  An exception raised here is the
    plugin's: the move stays committed.
    """


@hookspec(firstresult=True)
def successkit_measure_values(kit: Any, measure: Any, records: Any) -> Any:
    """Give the raw values of a plugin measure (SCORE_02) for many records at once.

    ``measure`` is a :class:`successkit.Measure` whose source is ``{"type":
    "plugin", "name": ...}``; ``records`` the companies or relationships being
    scored (empty when the measure is being saved: answer ``{}`` to say you
    serve it).  Return a mapping of record id to a number (a record left out,
    or None, has no value: NA), or None for a measure you do not serve; the
    first plugin to answer is used.  The measure's ``map`` turns the numbers
    into scores; without one they must be scores of 0-100.  Called once per
    plugin measure per recompute, inside its transaction.
    """
