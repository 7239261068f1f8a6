"""Plugins and backends by URL: PLUG_01, STORE_01."""

from __future__ import annotations

import importlib.metadata
import inspect
from collections.abc import Iterable
from typing import Any

import pytest

import successkit as sk
from successkit.plugins import hookimpl, hookspecs, make_plugin_manager
from successkit.plugins import manager as manager_module
from successkit.storage.memory import MemoryStore


class OnHoldPlugin:
    """A plugin adding a plan status "On hold" in the active category."""

    @hookimpl
    def successkit_register_statuses(self, register: Any) -> None:
        register("plan", "on_hold", "On hold", "active")


class SecondMemoryScheme:
    """A plugin adding a storage scheme."""

    def __init__(self) -> None:
        self.opened: list[str] = []

    @hookimpl
    def successkit_register_storage(self, register: Any) -> None:
        def factory(url: str, classes: Iterable[type[Any]]) -> sk.Store:
            self.opened.append(url)
            return MemoryStore(classes)

        register("scratch", factory)


def test_every_hook_has_a_docstring__PLUG_01() -> None:
    hooks = [f for name, f in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("successkit_")]
    assert len(hooks) >= 3
    for hook in hooks:
        assert hook.__doc__ and len(hook.__doc__.strip()) > 40, hook.__name__


def test_every_hook_is_documented_for_plugin_authors__PLUG_01() -> None:
    from pathlib import Path

    guide = (Path(__file__).parent.parent / "docs" / "plugins.md").read_text(encoding="utf-8")
    for name, _ in inspect.getmembers(hookspecs, inspect.isfunction):
        if name.startswith("successkit_"):
            assert f"## `{name}`" in guide, f"{name} is missing from docs/plugins.md"


def test_custom_plan_status_from_a_plugin__PLUG_01() -> None:
    kit = sk.open(plugins=[OnHoldPlugin()], entry_points=False)
    status = kit.statuses.get("plan", "on_hold")
    assert (status.label, status.category) == ("On hold", "active")
    assert "on_hold" in kit.statuses.in_category("plan", "active")
    assert kit.statuses.default("plan").key == "draft"
    plain = sk.open(entry_points=False)  # registered for that kit only
    with pytest.raises(sk.ValidationError, match="unknown plan status"):
        plain.statuses.get("plan", "on_hold")


def test_status_in_a_wrong_category_is_refused__PLUG_01() -> None:
    class Bad:
        @hookimpl
        def successkit_register_statuses(self, register: Any) -> None:
            register("plan", "won", "Won", "closed_success")  # plans have draft/active/closed

    with pytest.raises(sk.ValidationError, match="category"):
        sk.open(plugins=[Bad()], entry_points=False)


def test_plugins_found_through_entry_points__PLUG_01(monkeypatch: pytest.MonkeyPatch) -> None:
    class FakeEntryPoint:
        name = "on-hold"

        def load(self) -> Any:
            return OnHoldPlugin()

    def fake_entry_points(group: str) -> list[FakeEntryPoint]:
        assert group == "successkit"
        return [FakeEntryPoint()]

    monkeypatch.setattr(importlib.metadata, "entry_points", fake_entry_points)
    manager_module._installed_plugins.cache_clear()
    try:
        pm = make_plugin_manager()
        assert pm.get_plugin("on-hold") is not None
        kit = sk.open()
        assert kit.statuses.get("plan", "on_hold").category == "active"
        assert sk.open(entry_points=False).statuses.in_category("plan", "active") == ["active"]
    finally:
        manager_module._installed_plugins.cache_clear()


def test_builtins_are_ordinary_plugins__PLUG_01() -> None:
    pm = make_plugin_manager(entry_points=False)
    names = {pm.get_name(p) for p in pm.get_plugins()}
    assert {"successkit.plugins.builtin_storage", "successkit.plugins.builtin_statuses"} <= names


def test_unknown_scheme_lists_the_known_ones__STORE_01() -> None:
    with pytest.raises(sk.StorageError) as e:
        sk.open("mongodb://localhost/cs", entry_points=False)
    assert "memory://" in str(e.value) and "sqlite://" in str(e.value)
    assert e.value.value == "mongodb://localhost/cs"


def test_plugin_adds_a_scheme__STORE_01() -> None:
    plugin = SecondMemoryScheme()
    kit = sk.open("scratch://team", plugins=[plugin], entry_points=False)
    kit.companies.create("Acme")
    assert plugin.opened == ["scratch://team"]
    assert [c.name for c in kit.companies.list()] == ["Acme"]


def test_scheme_registered_twice_is_refused__STORE_01() -> None:
    class Clash:
        @hookimpl
        def successkit_register_storage(self, register: Any) -> None:
            register("sqlite", lambda url, classes: MemoryStore(classes))

    with pytest.raises(sk.ValidationError, match="registered twice"):
        sk.open(plugins=[Clash()], entry_points=False)


def test_default_url_is_memory__STORE_01() -> None:
    kit = sk.open(entry_points=False)
    assert isinstance(kit.store, MemoryStore)
