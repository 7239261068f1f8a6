"""The API reference (docs/api.md) is generated from the docstrings and cannot rot."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

import successkit as sk

ROOT = Path(__file__).parent.parent
API = ROOT / "docs" / "api.md"


@pytest.fixture(scope="module")
def apidoc() -> ModuleType:
    spec = importlib.util.spec_from_file_location("apidoc", ROOT / "tools" / "apidoc.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def rendered(apidoc: ModuleType) -> str:
    text: str = apidoc.render()
    return text


def test_api_reference_is_up_to_date(rendered: str) -> None:
    assert API.exists(), "docs/api.md is missing: run `python tools/apidoc.py`"
    assert API.read_text(encoding="utf-8") == rendered, (
        "docs/api.md is out of date: run `python tools/apidoc.py` and commit the result"
    )


def test_check_mode_agrees(apidoc: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    assert apidoc.main(["--check"]) == 0, capsys.readouterr().err


def test_every_public_name_is_documented(rendered: str) -> None:
    for name in sk.__all__:
        assert f"### `{name}`" in rendered, f"{name} is missing from docs/api.md"


def test_every_kit_service_and_its_methods_are_documented(apidoc: ModuleType, rendered: str) -> None:
    services = apidoc.kit_services(sk.Kit)
    assert {"companies", "plans", "rules", "bundles", "c360"} <= {attr for attr, _ in services}
    for attr, service in services:
        assert f"### kit.{attr}\n" in rendered, f"kit.{attr} is missing from docs/api.md"
        for name, _, _, owner in apidoc.members(service):
            if owner is service or owner.__module__ != "successkit.service":
                assert f"`kit.{attr}.{name}`" in rendered, f"kit.{attr}.{name} is missing from docs/api.md"
            else:
                assert f"`kit.<service>.{name}`" in rendered


def test_output_is_deterministic(apidoc: ModuleType, rendered: str) -> None:
    assert apidoc.render() == rendered
    assert " at 0x" not in rendered and "object at" not in rendered
    assert "```python" not in rendered  # signatures are not runnable examples


def test_signatures_are_readable(apidoc: ModuleType) -> None:
    def sample(a: int, *, b: object = object(), c: tuple[str, ...] = ("x",)) -> None:
        """First paragraph
        on two lines.

        Second paragraph."""

    expected = "sample(a: int, *, b: object = ..., c: tuple[str, ...] = ('x',)) -> None"
    assert apidoc.signature(sample, name="sample") == expected
    assert apidoc.first_paragraph(sample.__doc__) == "First paragraph on two lines."
    assert apidoc.first_paragraph("See :meth:`list` and ``x``::") == "See `list` and `x`:"
