"""Hardening of sharing, access, notifications, threads and email addresses:
SEC_02, SEC_03, SEC_08, SEC_09 and SHARE_02 for malformed tokens, on every backend."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import attrs
import pytest

import successkit as sk
from successkit.engagement.sharing import hash_token
from successkit.plugins.smtp_notifier import SmtpNotifier
from successkit.query.schema import FieldType

from .helpers import World, snapshot
from .test_notifications import Recorder


class SecWorld(World):
    """A shared onboarding plan with a visible objective, its task and a plan activity;
    Olga (full) owns plans and hears of them in real time."""

    def __init__(self, kit: sk.Kit, rec: Recorder) -> None:
        super().__init__(kit)
        self.rec = rec
        self.olga = kit.users.create("Olga", email="olga@example.com")
        self.sp = self.plan("Onboarding")
        self.obj = kit.objectives.create(self.sp, "Go live").record
        self.task = kit.tasks.create(self.obj, "Configure SSO").record
        self.note = kit.timeline.log("note", "Kickoff held", plan=self.sp)
        kit.notifications.subscribe(self.olga)
        kit.notifications.subscribe(self.bob, delivery="daily")
        kit.notifications.subscribe(self.ian, delivery="daily")

    def records(self) -> list[Any]:
        return [
            self.kit.plans.get(self.sp.id),
            self.kit.objectives.get(self.obj.id),
            self.kit.tasks.get(self.task.id),
            self.note,
        ]


@pytest.fixture
def w(open_kit: Callable[..., sk.Kit]) -> SecWorld:
    rec = Recorder()
    return SecWorld(open_kit(plugins=[rec]), rec)


# ----------------------------------------------------------------------- SEC_03
def _end(w: SecWorld, how: str, share: sk.Share, clock: sk.FixedClock) -> None:
    if how == "revoke":
        w.kit.sharing.revoke(share)
    elif how == "expire":
        clock.advance(days=8)
    else:
        w.kit.config.update_plan_type("onboarding", sharing_enabled=False)


@pytest.mark.parametrize("how", ["revoke", "expire", "sharing_off"])
def test_an_ended_share_opens_nothing_on_any_read_path__SEC_03(w: SecWorld, clock: sk.FixedClock, how: str) -> None:
    """After revoke, expiry or sharing turned off for the type: open, timeline, the
    access function and the batch visibility of every record all say no."""
    grant = w.kit.sharing.share_with_user(w.sp, w.bob, expires_on=w.kit.today() + timedelta(days=7))
    principal = w.kit.sharing.access(grant.token)
    assert w.kit.sharing.open(grant.token).objectives and w.kit.sharing.timeline(grant.token).items
    assert all(w.kit.access.can(principal, "view", r) for r in w.records())
    _end(w, how, grant.share, clock)
    for read in (w.kit.sharing.open, w.kit.sharing.timeline, w.kit.sharing.access):
        with pytest.raises(sk.AccessDenied) as e:
            read(grant.token)
        assert e.value.rule == "SHARE_02"
    assert not any(w.kit.access.can(principal, "view", r) for r in w.records())
    assert w.kit.access.visible(principal, w.records()) == []
    assert w.kit.access.share_refusal(grant.share) is not None


@pytest.mark.parametrize("how", ["revoke", "expire", "sharing_off"])
def test_an_ended_share_to_a_contact_opens_nothing__SEC_03(w: SecWorld, clock: sk.FixedClock, how: str) -> None:
    w.kit.sharing.set_plan_external(w.sp)
    grant = w.kit.sharing.share_with_person(w.sp, w.pat, expires_on=w.kit.today() + timedelta(days=7))
    assert w.kit.access.can(w.pat, "view", w.sp) and w.kit.sharing.open(grant.token).objectives
    _end(w, how, grant.share, clock)
    with pytest.raises(sk.AccessDenied):
        w.kit.sharing.open(grant.token)
    assert not any(w.kit.access.can(w.pat, "view", r) for r in w.records())


# ----------------------------------------------------------------------- SHARE_02
@pytest.mark.parametrize("token", ["\ud800" * 20, "a" * 15 + "\udfff", "é" * 43, "a" * 20 + "\x00", "a b" * 10])
def test_a_malformed_token_opens_nothing__SHARE_02(w: SecWorld, token: str) -> None:
    """A lone surrogate or any text that is no token of ours is the same refusal, never a UnicodeEncodeError."""
    w.kit.sharing.share_with_user(w.sp, w.bob)
    for read in (w.kit.sharing.open, w.kit.sharing.timeline, w.kit.sharing.access):
        with pytest.raises(sk.AccessDenied) as e:
            read(token)
        assert e.value.rule == "SHARE_02"
    assert len(hash_token("\ud800")) == 64


# ----------------------------------------------------------------------- SEC_02
@pytest.mark.parametrize("who", ["bob", "ian", "gone"])
def test_a_user_changes_only_their_own_subscriptions__SEC_02(w: SecWorld, who: str) -> None:
    actor = w.kit.as_user(getattr(w, who))
    w.kit.as_user(w.alice).plans.create("Q", company=w.acme, plan_type="onboarding", owner=w.olga)
    w.kit.as_user(w.olga).objectives.create(w.sp, "Kickoff", owner=w.alice)
    before = snapshot(w.kit)
    for attempt in (
        lambda: actor.notifications.unsubscribe(w.olga),
        lambda: actor.notifications.subscribe(w.alice, delivery="weekly"),
    ):
        with pytest.raises(sk.AccessDenied) as e:
            attempt()
        assert e.value.rule == "SEC_02"
    assert snapshot(w.kit) == before
    actor.notifications.unsubscribe(getattr(w, who))  # their own: fine
    assert actor.notifications.subscriptions(getattr(w, who)) == []


@pytest.mark.parametrize("who", ["bob", "ian", "gone"])
def test_only_the_host_or_a_full_user_emits__SEC_02(w: SecWorld, who: str) -> None:
    before = snapshot(w.kit)
    with pytest.raises(sk.AccessDenied) as e:
        w.kit.as_user(getattr(w, who)).notifications.emit("plan_assigned", w.olga.id, w.sp, "Spoofed: click here")
    assert e.value.rule == "SEC_02" and w.rec.got == [] and snapshot(w.kit) == before
    w.kit.as_user(w.alice).notifications.emit("plan_assigned", w.olga.id, w.sp, "From Alice")
    w.kit.notifications.emit("plan_assigned", w.olga.id, w.sp, "From the host")
    assert [n.title for n in w.rec.got] == ["From Alice", "From the host"]


def test_as_user_refuses_none_and_unknown_users__SEC_02(w: SecWorld, url: str, clock: sk.FixedClock) -> None:
    with pytest.raises(sk.ValidationError) as v:
        w.kit.as_user(None)  # type: ignore[arg-type]
    assert v.value.rule == "SEC_02"
    for made_up in ("nobody", "", 42):
        with pytest.raises((sk.AccessDenied, sk.ValidationError)) as e:
            w.kit.as_user(made_up)  # type: ignore[arg-type]
        assert e.value.rule == "SEC_02"
    with pytest.raises(sk.AccessDenied, match="SEC_02"):
        sk.open(url, clock=clock, actor="nobody", entry_points=False)
    assert w.kit.as_user(w.bob).actor_id == w.bob.id


def _copies(w: SecWorld) -> dict[str, Any]:
    """New records of every work kind, as an acting user might hand them to kit.store."""
    cta = w.kit.ctas.create("Risk review", company=w.acme, type="risk", owner=w.alice).record
    return {
        kind: attrs.evolve(rec, id=f"forged-{kind}")
        for kind, rec in [("plan", w.sp), ("objective", w.obj), ("task", w.task), ("cta", cta), ("activity", w.note)]
    }


@pytest.mark.parametrize("who", ["bob", "ian", "gone"])
def test_an_acting_users_store_checks_every_write__SEC_02(w: SecWorld, who: str) -> None:
    """A viewer, collaborator or inactive user writing straight to ``kit.store``:
    plans, objectives, tasks, CTAs, activities and shares are refused like any other kind."""
    store = w.kit.as_user(getattr(w, who)).store
    forged = _copies(w)
    host_share = w.kit.sharing.share_with_user(w.sp, w.bob).share
    token = "x" * 43
    forged["share"] = attrs.evolve(host_share, id="forged-share", token_hash=hash_token(token))
    before = snapshot(w.kit)
    attempts: list[Callable[[], Any]] = [functools.partial(store.insert, r) for r in forged.values()]
    attempts += [
        lambda: store.insert_many(list(forged.values())),
        lambda: store.update(attrs.evolve(w.sp, name="Mine", version=w.sp.version + 1), w.sp.version),
        lambda: store.update_many([(attrs.evolve(host_share, version=host_share.version + 1), host_share.version)]),
        lambda: store.delete("task", w.task.id),
        lambda: store.delete_many("activity", [w.note.id]),
        lambda: store.delete_many("share", [host_share.id]),
        lambda: store.delete_many("subscription", [s.id for s in w.kit.notifications.subscriptions(w.olga)]),
        lambda: store.index_custom_fields({"company": {"tier": FieldType.TEXT}}),  # DDL for everyone
    ]
    for attempt in attempts:
        with pytest.raises(sk.AccessDenied) as e:
            attempt()
        assert e.value.rule in ("SEC_02", "SHARE_04")
    assert snapshot(w.kit) == before
    with pytest.raises(sk.AccessDenied):
        w.kit.sharing.open(token)


def test_an_acting_users_store_allows_what_their_rights_allow__SEC_02(w: SecWorld) -> None:
    """The check is the license matrix, not a blanket refusal: a collaborator logs a
    company activity, a viewer drops their own subscription, a full user writes plans."""
    company_note = w.kit.timeline.log("note", "Call", company=w.acme)
    w.kit.as_user(w.ian).store.insert(attrs.evolve(company_note, id="ian-note", author_id=w.ian.id))
    mine = w.kit.notifications.subscriptions(w.bob)
    assert w.kit.as_user(w.bob).store.delete_many("subscription", [s.id for s in mine]) == len(mine)
    w.kit.as_user(w.alice).store.insert(attrs.evolve(w.task, id="alice-task", name="Alice's"))
    assert w.kit.tasks.get("alice-task").name == "Alice's"
    w.kit.as_user(w.alice).store.index_custom_fields({"company": {}})  # a full user may


def test_an_acting_users_store_hides_the_backend__SEC_02(w: SecWorld) -> None:
    store = w.kit.as_user(w.bob).store
    with pytest.raises(AttributeError):
        store._insert_many  # noqa: B018 - the backend's private writers are out of reach
    with pytest.raises(sk.AccessDenied) as e:
        store.fault = None
    assert e.value.rule == "SEC_02"
    assert store.get("plan", w.sp.id).id == w.sp.id  # reads pass


# ----------------------------------------------------------------------- SEC_08
def _olga_plan(w: SecWorld, name: str) -> sk.SuccessPlan:
    return w.kit.plans.create(name, company=w.acme, plan_type="onboarding", owner=w.olga, due_date=w.due)


def test_another_threads_rollback_does_not_lose_a_commits_notification__SEC_08(w: SecWorld) -> None:
    """Thread B holds a transaction that will roll back while thread A commits a plan
    for Olga: Olga hears of A's plan exactly once, and of B's never."""
    entered = threading.Event()
    errors: list[BaseException] = []
    heard: list[str] = []

    def rolled_back() -> None:
        try:
            with w.kit.transaction():
                _olga_plan(w, "B, rolled back")
                entered.set()
                time.sleep(0.3)  # A waits for the store meanwhile
                raise RuntimeError("B fails")
        except RuntimeError:
            pass

    def committed() -> None:
        try:
            entered.wait(10)
            with w.kit.transaction():
                _olga_plan(w, "A, committed")
            heard.extend(n.title for n in w.rec.got)  # as soon as A's commit returns
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=rolled_back), threading.Thread(target=committed)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == [] and heard == ["Success plan 'A, committed' was assigned to you"]
    w.kit.companies.create("A later commit")
    assert [n.title for n in w.rec.got] == heard  # once
    assert [p.name for p in w.kit.plans.list([("owner_id", "=", w.olga.id)])] == ["A, committed"]


def test_a_rollback_of_the_store_transaction_drops_its_notifications__SEC_08(w: SecWorld) -> None:
    """However the transaction was opened: kit.store.transaction() rolled back by the host
    sends nothing, now or with the next commit."""
    with pytest.raises(RuntimeError), w.kit.store.transaction():
        _olga_plan(w, "Gone")
        raise RuntimeError("host rolls back")
    w.kit.companies.create("Next commit")
    _olga_plan(w, "Kept")
    assert [n.title for n in w.rec.got] == ["Success plan 'Kept' was assigned to you"]
    with w.kit.store.transaction():
        _olga_plan(w, "Committed by the host")
        assert len(w.rec.got) == 1  # not before the commit
    assert len(w.rec.got) == 2


def test_a_rolled_back_savepoint_drops_only_its_own_notifications__SEC_08(w: SecWorld) -> None:
    with w.kit.transaction():
        _olga_plan(w, "Outer")
        with pytest.raises(RuntimeError), w.kit.store.transaction():
            _olga_plan(w, "Inner")
            raise RuntimeError
    assert [n.title for n in w.rec.got] == ["Success plan 'Outer' was assigned to you"]


def test_after_commit_outside_a_transaction_runs_now_even_while_another_thread_writes__SEC_08(w: SecWorld) -> None:
    inside, release, ran = threading.Event(), threading.Event(), []

    def holder() -> None:
        with w.kit.transaction():
            inside.set()
            release.wait(10)

    t = threading.Thread(target=holder)
    t.start()
    inside.wait(10)
    assert not w.kit.store.in_transaction  # the other thread's transaction is not this thread's
    w.kit.after_commit(lambda: ran.append("now"))
    assert ran == ["now"]
    release.set()
    t.join(10)
    assert ran == ["now"]


THREADS = 4
PER_THREAD = 6


def test_threads_sharing_a_kit_notify_each_commit_once_and_no_rollback__SEC_08(w: SecWorld) -> None:
    """4 threads, one kit, 6 plans each, every other one rolled back: every committed plan
    is stored and notified exactly once, no rolled-back one is either."""
    errors: list[BaseException] = []

    def work(n: int) -> None:
        for k in range(PER_THREAD):
            try:
                with w.kit.transaction():
                    _olga_plan(w, f"T{n}-{k}")
                    if k % 2:
                        raise RuntimeError("roll back")
            except RuntimeError:
                pass
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    expected = sorted(f"T{n}-{k}" for n in range(THREADS) for k in range(0, PER_THREAD, 2))
    stored = sorted(p.name for p in w.kit.plans.list([("owner_id", "=", w.olga.id)]))
    notified = sorted(n.title.split("'")[1] for n in w.rec.got)
    assert stored == expected and notified == expected


# ----------------------------------------------------------------------- SEC_09
BAD_EMAILS = [
    "victim@x.com, attacker@y.com",
    "victim@x.com,attacker@y.com",
    "a@x.com;b@y.com",
    "Bob <bob@x.com>",
    "bob@x.com\r\nBcc: all@y.com",
    "bob@x.com\n",
    "bob@x.com (comment)",
    '"a,b"@x.com',
    "not an address",
    "bob@",
    "@x.com",
    "a@b@c.com",
    "",
    " bob@x.com",
    "bob\ud800@x.com",
    "x" * 250 + "@x.com",
]


@pytest.mark.parametrize("bad", BAD_EMAILS)
def test_an_email_is_one_valid_address_everywhere__SEC_09(w: SecWorld, bad: str) -> None:
    before = snapshot(w.kit)
    attempts: list[Callable[[], Any]] = [
        lambda: w.kit.users.create("Eve", email=bad),
        lambda: w.kit.users.update(w.bob, email=bad),
        lambda: w.kit.people.create("Eve", company=w.acme, email=bad),
        lambda: w.kit.people.update(w.pat, email=bad),
        lambda: w.kit.objectives.send_email(w.obj, subject="Hi", to=["ok@x.com", bad]),
        lambda: SmtpNotifier(host="localhost", sender=bad),
    ]
    for attempt in attempts:
        with pytest.raises(sk.ValidationError) as e:
            attempt()
        assert e.value.rule == ("SEC_09" if bad else e.value.rule) and e.value.value == bad  # '': no text at all
    assert snapshot(w.kit) == before


def test_addresses_stored_before_the_check_are_refused_when_used__SEC_09(w: SecWorld) -> None:
    """A share by email and the SMTP notifier check the address again: one written
    before this check (or by a host straight into the store) never reaches a To: header."""
    bad = "pat@acme.example, attacker@evil.example"
    pat = w.kit.people.get(w.pat.id)
    w.kit.store.update(attrs.evolve(pat, email=bad, version=pat.version + 1), pat.version)
    with pytest.raises(sk.ValidationError) as e:
        w.kit.sharing.share_with_person(w.sp, w.pat)
    assert e.value.rule == "SEC_09"
    note = sk.Notification("plan_assigned", attrs.evolve(w.olga, email=bad), "Hello")
    assert SmtpNotifier(host="localhost").message(note) is None
    ok = SmtpNotifier(host="localhost").message(sk.Notification("plan_assigned", w.olga, "Hello"))
    assert ok is not None and ok["To"] == "olga@example.com"


@pytest.mark.parametrize(
    "good", ["a@b.co", "Carol@Example.com", "first.last+tag@sub.example.co.uk", "successkit@localhost"]
)
def test_valid_addresses_are_kept_exactly__SEC_09(w: SecWorld, good: str) -> None:
    assert w.kit.users.create("Val", email=good).email == good
    assert w.kit.people.create("Val", email=good).email == good
    assert SmtpNotifier(host="localhost", sender=good).sender == good
