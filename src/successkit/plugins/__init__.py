"""Plugins: the hook specifications and the plugin manager."""

from .hookspecs import hookimpl, hookspec
from .manager import BUILTIN_PLUGINS, make_plugin_manager

__all__ = ["BUILTIN_PLUGINS", "hookimpl", "hookspec", "make_plugin_manager"]
