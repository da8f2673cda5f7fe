"""Tab completion on the package (``dir()``) offers its public face: every export, its
submodules, and none of the typing names its own imports leave behind."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize("package", ["orchestration_kernel", "orchestration_kernel.widgets"])
def test_dir_shows_the_exports_and_no_import_leftovers(package: str) -> None:
    module = importlib.import_module(package)
    names = dir(module)
    assert set(module.__all__) <= set(names)
    assert not {"Any", "TYPE_CHECKING", "annotations", "_lazy"} & set(names)
    assert "__name__" in names


def test_a_loaded_submodule_is_offered() -> None:
    import orchestration_kernel
    import orchestration_kernel.formatting  # loaded: now an attribute of the package

    assert "formatting" in dir(orchestration_kernel)
