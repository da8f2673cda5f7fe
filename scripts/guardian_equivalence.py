"""Do two checkouts of the Guardian reach the same verdicts? A speed change must not
move one byte of what the Guardian decides.

    python scripts/guardian_equivalence.py                      # this tree vs 24c63e2
    python scripts/guardian_equivalence.py --base REV --dev DIR --limit N

The base revision's ``orchestration_kernel`` is unpacked with ``git archive`` into a
temporary folder; each side runs in its own subprocess (``--dump ROOT``) over the same
texts and prints one JSON line per check. Compared byte for byte, per text: for
``check_input``, ``check_output`` and ``check_sync`` under three Guardians (the
defaults; ``pii_operator="mask"``; ``"hash"`` with a fixed session key), the action, the
text that may be sent, and every decision's policy, action, reasons, spans, score,
threshold and failure flag (not its timing); ``redact(text)`` before and after a check
(the memo path); and ``check_request`` on the text split into messages. Then the
credential floor (``redact_secrets`` and the secrets detector alone) on ``--short``
short strings: windows cut from the texts, the detectors' literals in altered settings,
random strings.

The texts: the development set (``--dev``, loaded with its ``cases.py``), the labelled
prompts of ``tests/guardian_eval``, the speed bench's texts, personal data in many
national formats and key-shaped values generated here at run time (nothing key-shaped
is stored), and seeded random slices, concatenations and mutations of all of them.
Exit status 1 when anything differs (the first differences are printed).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import string
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
#: The development set beside the checkout (issue 20: ``../shared/guardian-dev``).
DEFAULT_DEV = ROOT.parent / "shared" / "guardian-dev"


# -- texts -----------------------------------------------------------------------------


def _luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    total = 0
    for i, ch in enumerate(reversed(body + "0")):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return body + str((10 - total % 10) % 10)


def _iban(country: str, length: int, rng: random.Random) -> str:
    bban = "".join(rng.choice(string.digits + string.ascii_uppercase) for _ in range(length - 4))
    moved = bban + country + "00"
    check = 98 - int("".join(str(int(c, 36)) for c in moved)) % 97
    return f"{country}{check:02d}{bban}"


def _group(value: str, size: int, sep: str) -> str:
    return sep.join(value[i : i + size] for i in range(0, len(value), size))


def _pii_texts(rng: random.Random) -> list[str]:
    """Personal data in many shapes, valid and not, with and without context words."""
    out: list[str] = []
    d = lambda n: "".join(rng.choice(string.digits) for _ in range(n))  # noqa: E731
    phones = [
        f"0{d(1)} {d(2)} {d(2)} {d(2)} {d(2)}",  # FR
        f"0{d(1)}.{d(2)}.{d(2)}.{d(2)}.{d(2)}",
        f"06-{d(8)}",  # NL
        f"020 {d(3)} {d(4)}",
        f"04{d(2)} {d(3)} {d(3)}",  # AU
        f"(02) {d(4)} {d(4)}",
        f"090-{d(4)}-{d(4)}",  # JP
        f"03-{d(4)}-{d(4)}",
        f"1{rng.choice('3589')}{d(9)}",  # CN mobile
        f"05{d(1)}-{d(3)}-{d(4)}",  # IL
        f"07{d(3)} {d(6)}",  # GB
        f"+44 20 {d(4)} {d(4)}",
        f"+1 ({rng.randint(200, 999)}) {d(3)}-{d(4)}",
        f"({rng.randint(200, 999)}) {d(3)}-{d(4)}",
        f"{rng.randint(200, 999)}.{d(3)}.{d(4)}",
        f"+49 30 {d(8)}",
        f"030 {d(8)}",
        f"+33 (0)1 {d(2)} {d(2)} {d(2)} {d(2)}",
        f"+91 {d(5)} {d(5)}",
        f"0{d(2)} {d(3)} {d(4)}",  # ZA, IE
        f"(0{d(2)}) {d(4)}-{d(4)}",  # BR
        f"{d(3)}-{d(2)}-{d(4)}",
        f"{d(10)}",
        f"{d(11)}",
        f"+{d(12)}",
    ]
    words = ["", "call me at ", "phone: ", "my number is ", "tel ", "ref ", "order #", "fax "]
    for p in phones:
        for w in rng.sample(words, 3):
            out.append(f"{w}{p}")
            out.append(f"Contact: {w}{p}, thanks.")
    cards = []
    for prefix, length in [
        ("4", 16),
        ("4", 13),
        ("51", 16),
        ("2221", 16),
        ("2720", 16),
        ("34", 15),
        ("37", 15),
        ("300", 14),
        ("36", 14),
        ("6011", 16),
        ("65", 16),
        ("3528", 16),
        ("62", 19),
        ("1800", 15),
        ("9", 16),
    ]:
        c = _luhn_complete(prefix, length, rng)
        cards += [c, _group(c, 4, " "), _group(c, 4, "-"), c[:-1] + str((int(c[-1]) + 1) % 10)]
    for c in cards:
        out += [c, f"card {c} exp 12/27", f"id_{c}", f"{c}99", f"visa: {c}."]
    for country, length in [("DE", 22), ("FR", 27), ("GB", 22), ("NL", 18), ("ES", 24)]:
        iban = _iban(country, length, rng)
        out += [
            iban,
            iban.lower(),
            _group(iban, 4, " "),
            _group(iban, 4, "-"),
            f"IBAN: {_group(iban, 4, ' ')} BIC X",
            iban[:-1] + ("0" if iban[-1] != "0" else "1"),
        ]
    for _ in range(12):
        a, g, s = f"{rng.randint(1, 899):03d}", f"{rng.randint(1, 99):02d}", d(4)
        out += [
            f"SSN {a}-{g}-{s}",
            f"ssn: {a}{g}{s}",
            f"{a}.{g}.{s}",
            f"Social Security No. {a} {g} {s}",
            f"{a}-{g}-{s}-1",
        ]
    out += ["SSN 666-12-3456", "ssn 078-05-1120", "SſN 123456789", "SOCİAL SECURITY 123-45-6789"]
    for name in ["john", "j.doe+tag", "A_B", "git", "x"]:
        for dom in ["gmail.com", "example.org", "xn--bcher-kva.ch", "sub.mail.co.uk", "host:repo"]:
            out += [
                f"{name}@{dom}",
                f"mail {name} at {dom.split(':')[0]}",
                f"{name} [at] {dom.replace('.', ' [dot] ')}",
                f"ssh://{name}@{dom}/x",
            ]
    for ip in ["10.0.0.1", "192.168.1.17/24", "10.0.0.0/8", "1.2.3.4-beta", "256.1.1.1"]:
        out += [ip, f"version {ip}", f"host {ip}:8080", f"section {ip}"]
    for ip in ["2001:db8::1", "fe80::1ff:fe23:4567:890a", "::1", "2001:db8::/32", "::ffff:1.2.3.4"]:
        out += [ip, f"addr {ip} up", f"a::b {ip}"]
    return out


def _secret_texts(rng: random.Random, dev: Path | None) -> list[str]:
    """Key-shaped values generated from each vendor format, in many settings."""
    sys.path.insert(0, str(ROOT))
    from orchestration_kernel.guardian.secret_formats import TOKEN_FORMATS

    gen = None
    if dev is not None and (dev / "cases.py").exists():
        sys.path.insert(0, str(dev))
        import cases  # the dev set's own generator of strings matching a regex

        gen = cases._gen
    out: list[str] = []
    alnum = string.ascii_letters + string.digits
    for fmt in TOKEN_FORMATS:
        for prefix in fmt.prefixes:
            values = []
            if gen is not None:
                with contextlib.suppress(Exception):  # a construct it does not know
                    values += [prefix + gen(fmt.body, rng) for _ in range(2)]
            values += [
                prefix + "".join(rng.choice(alnum) for _ in range(rng.choice([16, 24, 32, 40]))),
                prefix + "x" * 32,
                prefix + "EXAMPLE" + "a1" * 12,
            ]
            for v in values:
                out += [v, f"token = '{v}'", f"export KEY={v}\n", f"see {v}.", f"a{v}"]
    body = lambda n: "".join(rng.choice(alnum) for _ in range(n))  # noqa: E731
    for key in ["api_key", "apiKey", "adobeToken", "SECRET", "password", "pw", "pass", "db_pass"]:
        for value in [body(24), body(8), "changeme", "your-key-here", "abcdef123456", "x" * 20]:
            out += [
                f"{key} = '{value}'",
                f'{key}: "{value}"',
                f"<{key}>{value}</{key}>",
                f'setProperty("{key.upper()}", "{value}")',
                f"{key} ::= {value}",
                f"--{key} {value}",
                f"{key}_path = {value}",
            ]
    out += [
        f"curl -u admin:{body(12)} https://x",
        f"https://user:{body(10)}@host.example/db",
        f"Authorization: Bearer {body(40)}",
        f"authorization: token {body(32)}",
        f"sk-{body(48)}",
        f"sk-ant-api03-{body(90)}",
        f"AKIA{body(16).upper()}",
        f"ghp_{body(36)}",
        "-----BEGIN RSA PRIVATE KEY-----\n" + body(64) + "\n-----END RSA PRIVATE KEY-----",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0." + body(20),
    ]
    return out


def _mutate(text: str, rng: random.Random) -> str:
    ops = [
        lambda t: t.upper(),
        lambda t: t.lower(),
        lambda t: t.replace(" ", "\n"),
        lambda t: t.replace("-", ""),
        lambda t: t.replace("s", "ſ").replace("i", "İ"),
        lambda t: "é" + t + "\u212a",
        lambda t: t.replace(" ", "  "),
        lambda t: t.replace(".", " dot "),
    ]
    return rng.choice(ops)(text)


def build_texts(dev: Path | None, limit: int | None, seed: int = 20) -> list[str]:
    """Every text both sides check (deterministic for a seed)."""
    sys.path.insert(0, str(ROOT))
    rng = random.Random(seed)
    base: list[str] = []
    if dev is not None and (dev / "cases.py").exists():
        sys.path.insert(0, str(dev))
        import cases

        base += [c["text"] for c in cases.load()]
    from bench.guardian_speed import _ordinary_texts
    from tests.guardian_eval.generator import build_cases

    base += [c.text for c in build_cases()]
    base += _pii_texts(rng)
    base += _secret_texts(rng, dev)
    texts = list(base) + _ordinary_texts()
    for _ in range(len(base)):
        a = rng.choice(base)
        i, j = sorted(rng.randrange(len(a) + 1) for _ in range(2))
        texts.append(a[i:j])
    for _ in range(len(base) // 2):
        texts.append(rng.choice(["\n", " ", "", ". ", "\t"]).join(rng.sample(base, 3)))
    for _ in range(len(base) // 2):
        texts.append(_mutate(rng.choice(base), rng))
    for _ in range(40):
        texts.append(" ".join(rng.sample(base, min(40, len(base))))[:70000])  # the offload path
    texts += ["", " ", "a", "@", "0" * 30, "é" * 50]
    return texts[:limit] if limit else texts


def build_short_strings(texts: list[str], seed: int = 20, n: int = 40_000) -> list[str]:
    """Short strings for the credential floor (``redact_secrets`` and the secrets
    detector alone): windows of up to 80 characters cut from the texts, the detectors'
    own literals in altered settings (case, what stands around them, look-alike letters),
    and random strings over an alphabet rich in the characters credentials use."""
    sys.path.insert(0, str(ROOT))
    rng = random.Random(seed)
    from orchestration_kernel.guardian import assignments, secrets

    literals = sorted(
        {t for r in secrets._RULES for t in r.anchor.triggers} | set(assignments._KEYWORDS)
    )
    literals += ["-----BEGIN ", ":AA", "-us", "://", "-u ", "--user ", "BUNDLE_", "."]
    alphabet = string.ascii_letters + string.digits + "-_.:/=@ '\"\t\n" + "ſİı\u212aé"
    out: list[str] = []
    sources = [t for t in texts if t]
    while len(out) < n // 2:
        t = rng.choice(sources)
        i = rng.randrange(len(t))
        out.append(t[i : i + rng.randint(1, 80)])
    for lit in literals:
        for _ in range(8):
            around = lambda k: "".join(rng.choice(alphabet) for _ in range(k))  # noqa: E731
            v = around(rng.randint(0, 6)) + lit + around(rng.randint(0, 70))
            out += [v, v.upper(), v.lower(), v.swapcase(), lit, lit.upper()]
    while len(out) < n:
        out.append("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 90))))
    return out


# -- one side -------------------------------------------------------------------------


def _decision(d: Any) -> dict[str, Any]:
    return {
        "action": d.action,
        "policy": d.policy,
        "stage": d.stage,
        "reasons": list(d.reasons),
        "spans": [[s.entity, s.start, s.end, s.score] for s in d.spans],
        "score": d.score,
        "threshold": d.threshold,
        "failure": d.guardian_failure,
    }


def _verdict(v: Any) -> dict[str, Any]:
    return {
        "action": v.action,
        "stage": v.stage,
        "text": v.text,
        "decisions": [_decision(d) for d in v.decisions],
    }


def dump(texts_file: Path) -> None:
    """Check every text with the ``orchestration_kernel`` first on ``sys.path``; print
    one JSON line per text."""
    from orchestration_kernel.guardian import GuardContext, Guardian
    from orchestration_kernel.models import ChatRequest, Message

    texts = json.loads(texts_file.read_text(encoding="utf-8"))
    key = b"k" * 32
    guardians = {
        "default": Guardian(session_key=key),
        "mask": Guardian(pii_operator="mask", session_key=key),
        "hash": Guardian(pii_operator="hash", session_key=key),
    }
    ctx = GuardContext(model="openai:gpt-4o-mini", provider="openai", session_id="eq")

    async def run() -> None:
        for text in texts:
            row: dict[str, Any] = {}
            for name, g in guardians.items():
                fresh = Guardian(pii_operator=g.config.pii_operator, session_key=key)
                row[f"{name}.redact_first"] = fresh.redact(text)
                row[f"{name}.in"] = _verdict(await g.check_input(text, ctx))
                row[f"{name}.redact"] = g.redact(text)
                row[f"{name}.out"] = _verdict(await g.check_output(text, ctx))
                row[f"{name}.sync"] = _verdict(g.check_sync(text, ctx, "output"))
            parts = text.split("\n")
            request = ChatRequest(
                model="openai:gpt-4o-mini",
                system=parts[0] or None,
                messages=[Message(role="user", content=p) for p in parts[1:] or [""]],
            )
            verdict, redacted = await guardians["default"].check_request(request, ctx)
            row["request"] = [
                _verdict(verdict),
                redacted.system,
                [m.content for m in redacted.messages],
            ]
            print(json.dumps(row, sort_keys=True))

    asyncio.run(run())
    _dump_floor(texts_file.with_name("short.json"))


def _dump_floor(short_file: Path) -> None:
    """The credential floor on short strings: ``redact_secrets`` (when the checkout has
    it) and the secrets detector's findings, one JSON line per string."""
    if not short_file.exists():
        return
    from orchestration_kernel.guardian.secrets import SecretDetector

    floor: Any = None
    with contextlib.suppress(ImportError):  # a checkout before the floor has none
        from orchestration_kernel.guardian.secrets_only import redact_secrets as floor
    detector = SecretDetector()
    for text in json.loads(short_file.read_text(encoding="utf-8")):
        found = [[f.entity, f.start, f.end, f.score] for f in detector.find(text)]
        row = {"floor": None if floor is None else floor(text), "find": found}
        print(json.dumps(row, sort_keys=True))


# -- both sides -----------------------------------------------------------------------


def _say_prefilters() -> None:
    """Whether the Hyperscan prefilters were in use (``ORCHESTRATION_GUARDIAN_PREFILTER``:
    ``wait`` for them, ``off`` for the pure-Python path), on stderr."""
    try:
        from orchestration_kernel.guardian.injection_prefilter import _MADE
    except ImportError:
        return  # a library without them
    ready = sum(p.ready for p in _MADE)
    print(f"[dump] prefilter databases loaded: {ready} of {len(_MADE)}", file=sys.stderr)


def _side(root: Path, texts_file: Path, out: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(root), "PYTHONHASHSEED": "0"}
    with out.open("w", encoding="utf-8") as fh:
        subprocess.run(
            [sys.executable, __file__, "--dump", str(root), str(texts_file)],
            check=True,
            stdout=fh,
            env=env,
            cwd=root,
        )


def _print_action_moves(
    texts: list[str], old: list[str], new: list[str], differing: list[int], shown: int
) -> None:
    """How the default Guardian's ``check_input`` action moved, and the texts it moved on."""
    moves: dict[str, list[int]] = {}
    for i in differing:
        a, b = json.loads(old[i]), json.loads(new[i])
        if "default.in" not in a:  # a short string: the credential floor
            continue
        before, after = a["default.in"]["action"], b["default.in"]["action"]
        if before != after:
            moves.setdefault(f"{before} -> {after}", []).append(i)
    for move, ids in sorted(moves.items()):
        print(f"{move}: {len(ids)}")
    for move, ids in sorted(moves.items()):
        for i in ids[:shown]:
            print(f"  [{move}] {i}: {texts[i][:160]!r}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="24c63e2")
    parser.add_argument("--dev", type=Path, default=DEFAULT_DEV)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument(
        "--short", type=int, default=40_000, help="short strings for the credential floor"
    )
    parser.add_argument(
        "--actions",
        type=int,
        metavar="N",
        default=0,
        help="for a change meant to move verdicts: count the default check_input's action "
        "moves (base -> head) and print the first N texts whose action moved",
    )
    parser.add_argument("--dump", nargs=2, metavar=("ROOT", "TEXTS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.dump:
        sys.path.insert(0, args.dump[0])
        dump(Path(args.dump[1]))
        _say_prefilters()
        return 0
    dev = args.dev if args.dev.exists() else None
    with tempfile.TemporaryDirectory(prefix="guardian-eq-") as tmp:
        work = Path(tmp)
        base = work / "base"
        base.mkdir()
        archive = subprocess.run(
            ["git", "archive", args.base, "orchestration_kernel"],
            cwd=ROOT,
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
        texts = build_texts(dev, args.limit, args.seed)
        texts_file = work / "texts.json"
        texts_file.write_text(json.dumps(texts), encoding="utf-8")
        short = build_short_strings(texts, args.seed, args.short) if args.short else []
        (work / "short.json").write_text(json.dumps(short), encoding="utf-8")
        _side(base, texts_file, work / "base.jsonl")
        _side(ROOT, texts_file, work / "head.jsonl")
        old = (work / "base.jsonl").read_text(encoding="utf-8").splitlines()
        new = (work / "head.jsonl").read_text(encoding="utf-8").splitlines()
    differing = [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
    print(
        f"{len(texts)} texts and {len(short)} short strings (the credential floor), "
        f"{len(differing)} differing (base {args.base} vs this tree)"
    )
    texts = texts + short
    if args.actions:
        _print_action_moves(texts, old, new, differing, args.actions)
        return 1 if differing else 0
    for i in differing[:5]:
        a, b = json.loads(old[i]), json.loads(new[i])
        keys = [k for k in a if a[k] != b[k]]
        print(f"--- text {i} ({len(texts[i])} chars): {texts[i][:120]!r}")
        for k in keys[:3]:
            print(f"  {k}:\n    base {json.dumps(a[k])[:600]}\n    head {json.dumps(b[k])[:600]}")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
