"""Count the parameters and returns annotated with ``Any`` in the core (the issue-17 figure).

    python scripts/count_any.py            # the working tree
    python scripts/count_any.py 540279b    # a commit (read with git show)

The core is orchestration_kernel minus magics/ and widgets/. A parameter or return counts
when its annotation mentions ``Any`` anywhere (``Any``, ``dict[str, Any]``, ``Any | None``);
``*args``/``**kwargs`` count like any parameter. Printed per package, then the total.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXCLUDED = ("orchestration_kernel/magics/", "orchestration_kernel/widgets/")


def _mentions_any(node: ast.expr | None) -> bool:
    if node is None:
        return False
    if isinstance(node, ast.Constant) and isinstance(node.value, str):  # "quoted" annotation
        return "Any" in node.value
    return any(
        (isinstance(n, ast.Name) and n.id == "Any")
        or (isinstance(n, ast.Attribute) and n.attr == "Any")
        for n in ast.walk(node)
    )


def count(source: str) -> int:
    """Parameters and returns whose annotation mentions Any, in one module's source."""
    total = 0
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = node.args
            params = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
            total += sum(_mentions_any(p.annotation) for p in params if p is not None)
            total += _mentions_any(node.returns)
    return total


def _files(commit: str | None) -> dict[str, str]:
    if commit is None:
        paths = sorted(
            p.relative_to(ROOT).as_posix() for p in ROOT.glob("orchestration_kernel/**/*.py")
        )
        return {
            p: (ROOT / p).read_text(encoding="utf-8") for p in paths if not p.startswith(EXCLUDED)
        }
    listing = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", commit, "orchestration_kernel"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    paths = [p for p in listing if p.endswith(".py") and not p.startswith(EXCLUDED)]
    return {
        p: subprocess.run(
            ["git", "show", f"{commit}:{p}"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
        for p in paths
    }


def main() -> None:
    commit = sys.argv[1] if len(sys.argv) > 1 else None
    by_package: Counter[str] = Counter()
    for path, source in _files(commit).items():
        parts = path.split("/")
        package = parts[1] if len(parts) > 2 else parts[1].removesuffix(".py")
        by_package[package] += count(source)
    for package, n in sorted(by_package.items()):
        print(f"{package:16} {n}")
    print(f"{'total':16} {sum(by_package.values())}")


if __name__ == "__main__":
    main()
