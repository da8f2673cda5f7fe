"""Where mypy's ``disallow_any_explicit`` does not hold yet: explicit ``Any`` per core module.

    .venv/bin/python scripts/any_explicit.py            # per module, most first, then total
    .venv/bin/python scripts/any_explicit.py --clean    # the modules already at zero

Runs mypy with the project's own ``[tool.mypy]`` settings plus ``disallow_any_explicit``
everywhere, and counts the ``explicit-any`` errors by module. Unlike
``scripts/count_any.py`` (parameters and returns only) this counts every written ``Any``:
aliases, attributes, variables and base classes too. A module at zero belongs in the
``disallow_any_explicit`` override in pyproject.toml, which ``make test`` then holds.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_ERROR = re.compile(r"^(orchestration_kernel/\S+\.py):\d+: error: .*\[explicit-any\]$")


def _module(path: str) -> str:
    return path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def _core_modules(exclude: str) -> list[str]:
    paths = sorted(
        p.relative_to(ROOT).as_posix() for p in ROOT.glob("orchestration_kernel/**/*.py")
    )
    return [_module(p) for p in paths if not (exclude and re.search(exclude, p))]


def counts() -> tuple[Counter[str], list[str]]:
    """``(explicit Any per module, every core module)``."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    settings = dict(config["tool"]["mypy"])
    settings["disallow_any_explicit"] = True
    exclude = "|".join(settings.pop("exclude", []))
    lines = ["[mypy]", f"exclude = {exclude}"]
    for key, value in settings.items():
        if key == "overrides":
            continue
        shown = ",".join(value) if isinstance(value, list) else str(value).lower()
        lines.append(f"{key} = {shown}")
    for block in settings.get("overrides", []):
        modules = block["module"] if isinstance(block["module"], list) else [block["module"]]
        lines.append(f"[mypy-{','.join(modules)}]")
        lines += [f"{k} = {str(v).lower()}" for k, v in block.items() if k != "module"]
    with tempfile.NamedTemporaryFile("w", suffix=".ini", delete=False) as ini:
        ini.write("\n".join(lines) + "\n")
    mypy = Path(sys.executable).with_name("mypy")
    run = subprocess.run(
        [str(mypy), "--config-file", ini.name], cwd=ROOT, capture_output=True, text=True
    )
    Path(ini.name).unlink()
    found: Counter[str] = Counter()
    for line in run.stdout.splitlines():
        if match := _ERROR.match(line):
            found[_module(match[1])] += 1
    return found, _core_modules(exclude)


def main(argv: list[str]) -> int:
    found, modules = counts()
    if "--clean" in argv:
        print("\n".join(m for m in modules if not found[m]))
        return 0
    for module, n in found.most_common():
        print(f"{module:<52} {n:>4}")
    print(f"{'total':<52} {sum(found.values()):>4}  ({len(found)} of {len(modules)} modules)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
