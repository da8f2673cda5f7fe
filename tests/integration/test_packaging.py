"""The project is a real package: its wheel installs into a clean venv and works there.

The wheel is built from this checkout with uv (setuptools as the pyproject declares it),
installed into a new venv with the locked versions as constraints, and then used the way a
user would: ``%load_ext orchestration_kernel`` in an IPython shell, and the package data the
code reads at run time (the model catalogue, ``py.typed``) present in site-packages.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UV = shutil.which("uv") or str(Path.home() / ".local" / "bin" / "uv")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(UV).exists(), reason="uv is not installed (make installs it)"),
]

LOAD_EXT = """
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
shell.run_line_magic("load_ext", "orchestration_kernel")
assert "orchestrate" in shell.magics_manager.magics["cell"], "no %%orchestrate cell magic"
assert "orchestrate" in shell.magics_manager.magics["line"], "no %orchestrate line magic"
import orchestration_kernel, pathlib
package = pathlib.Path(orchestration_kernel.__file__).parent
assert (package / "py.typed").exists(), "py.typed missing"
assert (package / "data" / "models.json").stat().st_size > 1000, "catalogue missing"
assert "site-packages" in str(package), package
print("ok", package)
"""


def _run(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


@pytest.mark.timeout(900)
def test_wheel_installs_into_a_clean_venv_and_loads(tmp_path: Path) -> None:
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    env.pop("VIRTUAL_ENV", None)
    env.pop("UV_PROJECT_ENVIRONMENT", None)
    dist = tmp_path / "dist"
    # sdist first, then the wheel from the sdist: both are checked, and nothing is built
    # inside the checkout.
    output = _run(UV, "build", "--out-dir", str(dist), str(ROOT), env=env)
    assert "Deprecat" not in output, output  # e.g. setuptools' licence deprecations
    (wheel,) = dist.glob("orchestration_kernel-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "orchestration_kernel/py.typed" in names
    assert "orchestration_kernel/data/models.json" in names
    assert not any(name.startswith("tests/") for name in names), "tests leaked into the wheel"

    constraints = tmp_path / "constraints.txt"
    _run(UV, "export", "--frozen", "--no-hashes", "--no-emit-project", "--all-extras",
         "-o", str(constraints), env=env)  # fmt: skip
    venv = tmp_path / "venv"
    _run(UV, "venv", "--quiet", str(venv), env=env)
    python = venv / "bin" / "python"
    _run(UV, "pip", "install", "--quiet", "--python", str(python), "-c", str(constraints),
         str(wheel), env=env)  # fmt: skip
    # Run from an empty folder so the checkout itself cannot be imported by accident.
    assert "ok" in _run(str(python), "-c", LOAD_EXT, cwd=tmp_path, env=env)
