"""The solution bundles shipped with the library (VAULT_04), offered like any plugin's."""

from __future__ import annotations

from typing import Any

from successkit.automation.bundles import shipped

from .hookspecs import hookimpl


@hookimpl
def successkit_register_bundles(register: Any) -> None:
    for bundle in shipped():
        register(bundle)
