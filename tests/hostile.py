"""The hostile inputs of issue 15, built at run time: shared by the tests (which assert
what each one raises, under a hang guard) and by ``make bench`` (which times each)."""

from __future__ import annotations


def spec(when: str) -> str:
    """A one-step YAML spec whose ``when:`` is ``when`` (single-quoted)."""
    return f"steps:\n- prompt: hi\n  model: m\n  when: '{when}'\n"


def alias_bomb(depth: int = 6, fanout: int = 9) -> str:
    """The "billion laughs": each level repeats the one below ``fanout`` times (under 1 KB)."""
    lines = [f"a0: &a0 [{', '.join(['x'] * fanout)}]"]
    for i in range(1, depth + 1):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * fanout)}]")
    return "\n".join([*lines, "steps: [{prompt: hi, model: m}]"]) + "\n"


def deep_yaml(depth: int = 10_000) -> str:
    """``steps:`` nested ``depth`` block sequences deep."""
    return "steps:\n" + "".join(" " * i + "-\n" for i in range(depth))


#: name -> (YAML spec text, what the error must mention)
SPECS: dict[str, tuple[str, str]] = {
    "alias bomb (depth 6)": (alias_bomb(6), "alias"),
    "alias bomb (depth 8)": (alias_bomb(8), "alias"),
    "self-referencing alias": ("steps: &a [*a]\n", "inside the node it names"),
    "10,000-deep YAML": (deep_yaml(), "deeper than"),
    "10,000-deep flow YAML": ("steps: " + "[" * 10_000 + "]" * 10_000 + "\n", "depth"),
    "steps: 5": ("steps: 5\n", "valid list"),
    "5,000 nested parentheses in when:": (spec("(" * 5000 + "1" + ")" * 5000), "nests"),
    "100,000 nots in when:": (spec("not " * 100_000 + "true"), "characters long"),
    "10,000 nots in when:": (spec("not " * 10_000 + "true"), "nests"),
    "100,000-digit integer in when:": (spec("9" * 100_000 + " == 1"), "characters long"),
    "10,000-digit integer in when:": (spec("9" * 10_000 + " == 1"), "too long"),
    "20 MB string in when:": (spec('"' + "x" * 20_000_000 + '" == a'), "characters long"),
    "1,000,000-item list in when:": (spec("1 in [" + ",".join("1" * 1_000_000) + "]"), "long"),
    "1,000,000-item YAML list": ("x: [" + ",".join("1" * 1_000_000) + "]\nsteps: []\n", "values"),
}

#: A string that is not text: a lone surrogate.
LONE_SURROGATE = "before \ud800 after"


def search_words(n: int = 100_000) -> str:
    """``n`` distinct words for ``search()``."""
    return " ".join(f"w{i}" for i in range(n))
