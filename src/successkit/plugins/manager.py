"""Building the plugin manager.

The host can build its own manager (``make_plugin_manager(entry_points=False)``
and register plugins by hand); :func:`successkit.open` builds one per kit, with
the built-ins, the installed entry points (scanned once per process) and any
plugins passed to it.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from functools import cache
from typing import Any

import pluggy

from . import hookspecs

__all__ = ["BUILTIN_PLUGINS", "ENTRY_POINT_GROUP", "make_plugin_manager"]

ENTRY_POINT_GROUP = "successkit"

#: Built-in behaviour, registered like any third-party plugin.
BUILTIN_PLUGINS = (
    "successkit.plugins.builtin_storage",
    "successkit.plugins.builtin_statuses",
    "successkit.plugins.builtin_config",
    "successkit.plugins.builtin_activity_types",
    "successkit.plugins.builtin_logging_notifier",
    "successkit.plugins.builtin_bundles",
)


@cache
def _installed_plugins() -> tuple[tuple[str, Any], ...]:
    """Plugins advertised by installed distributions, loaded once per process."""
    from importlib import metadata  # only when a kit opens: it costs a third of a bare import

    return tuple((ep.name, ep.load()) for ep in metadata.entry_points(group=ENTRY_POINT_GROUP))


def make_plugin_manager(plugins: Iterable[Any] = (), *, entry_points: bool = True) -> pluggy.PluginManager:
    """A fresh plugin manager with the built-ins, installed plugins and ``plugins``."""
    pm = pluggy.PluginManager("successkit")
    pm.add_hookspecs(hookspecs)
    for name in BUILTIN_PLUGINS:
        pm.register(importlib.import_module(name), name=name)
    if entry_points:
        for name, plugin in _installed_plugins():
            if pm.get_plugin(name) is None:
                pm.register(plugin, name=name)
    for plugin in plugins:
        pm.register(plugin)
    return pm
