"""Does the audit writer of this tree store exactly what another checkout's stores?

    python scripts/audit_writer_equivalence.py                 # this tree vs af88c2e
    python scripts/audit_writer_equivalence.py --base REV --limit N

Issue 24 moved the writer's encoding to the moment a record is queued and stopped
scanning a call's prompt a second time: the ``[user] `` label is now added outside the
user's text, redacted as the Guardian's check already redacted it. Nothing stored may
move by a byte, so this script checks, over the Guardian's equivalence texts
(``scripts/guardian_equivalence.py`` builds them: ~15k, personal data and key-shaped
values included):

1. ``redact("[user] " + text)`` against ``"[user] " + redact(text)`` under three
   Guardians (the defaults; ``pii_operator="mask"``; ``"hash"`` with a fixed key), in
   this tree; and, for prompts of several parts, that a text of parts in which the
   Guardian finds nothing reads the same labelled (the rule ``LabelledText`` follows).
2. Each checkout (the base's ``orchestration_kernel`` unpacked with ``git archive``, and
   this tree) writes the same records — a ``call`` row per text and prompt shape (one
   user message; a system prompt and a message; three messages), with the text as
   response, request and in ``detail``, under each Guardian, with content logging on and
   off, fixed timestamps and one key — after the Guardian's request check, as a call
   does. The two databases must hold the same rows byte for byte, hashes included.
3. Each checkout verifies the trails the other wrote (``verify()`` ok, mark included).

Exit status 1 when anything differs (the first differences are printed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GUARDIANS = ("replace", "mask", "hash")
SESSION_KEY = b"k" * 32
AUDIT_KEY = bytes(range(32))
LABEL = "[user] "


def _texts(dev: Path | None, limit: int | None) -> list[str]:
    sys.path.insert(0, str(ROOT / "scripts"))
    from guardian_equivalence import build_texts

    return build_texts(dev, limit)


def _guardian(operator: str) -> Any:
    from orchestration_kernel.guardian import Guardian

    return Guardian(pii_operator=operator, session_key=SESSION_KEY)


# -- 1. the label, in this tree -----------------------------------------------------------


def compare_labels(texts: list[str]) -> list[str]:
    """Every text whose labelled redaction differs, with the Guardian that differed."""
    differing: list[str] = []
    for operator in GUARDIANS:
        guardian = _guardian(operator)
        for text in texts:
            whole, apart = guardian.redact(LABEL + text), LABEL + guardian.redact(text)
            if whole != apart:
                differing.append(f"{operator}: {text[:200]!r}\n  whole {whole[:200]!r}")
        for system, text in zip(texts, texts[1:] + texts[:1], strict=True):
            labelled = f"[system] {system}\n{LABEL}{text}"
            joined = f"{system}\n{text}"
            if guardian.redact(joined) == joined and guardian.redact(labelled) != labelled:
                differing.append(f"{operator}, clean parts: {labelled[:200]!r}")
    return differing


# -- 2. one side: write the trails ---------------------------------------------------------


def _shapes(text: str, other: str) -> list[tuple[str | None, list[tuple[str, str]]]]:
    """The prompt shapes a call records: (system, [(role, content), ...])."""
    return [
        (None, [("user", text)]),
        (other, [("user", text)]),
        (None, [("user", other), ("assistant", text[: len(text) // 2]), ("user", text)]),
    ]


def write_trails(texts_file: Path, out: Path) -> None:
    """Write one trail per Guardian and content-logging setting into ``out``, with the
    ``orchestration_kernel`` first on ``sys.path``."""
    from orchestration_kernel.audit import AuditTrail
    from orchestration_kernel.calls import CallSpec
    from orchestration_kernel.guardian import GuardContext
    from orchestration_kernel.models import ChatRequest, Message
    from orchestration_kernel.recorder import _prompt_text

    texts = json.loads(texts_file.read_text(encoding="utf-8"))
    ctx = GuardContext(model="openai:gpt-4o-mini", provider="openai", session_id="eq")
    key_file = out / "audit.key"

    async def write(operator: str, logging: bool) -> None:
        guardian = _guardian(operator)
        trail = AuditTrail(
            out / f"{operator}-{'on' if logging else 'off'}.sqlite",
            key_path=key_file,
            content_logging=logging,
            redactor=guardian.redact,
            identity="eq",
            session_id="eq",
        )
        moment = 1_765_000_000.0
        for i, text in enumerate(texts):
            other = texts[(i * 7 + 3) % len(texts)]
            for system, parts in _shapes(text, other):
                messages = [Message(role=r, content=c) for r, c in parts]  # type: ignore[arg-type]
                request = ChatRequest(model="gpt-4o-mini", messages=messages, system=system)
                await guardian.check_request(request, ctx)  # as a call does: the memo fills
                await guardian.check_output(text, ctx)
                spec = CallSpec(model="openai:gpt-4o-mini", messages=messages, system=system)
                moment += 0.001
                trail.record(
                    "call", run_id=f"r{i}", step="s", provider="openai", model="gpt-4o-mini",
                    status="ok", attempt=1, latency_ms=1.5, timestamp=moment,
                    prompt=_prompt_text(spec), response=text, request_material=text,
                    detail={"error": text[:300], "when_values": {"a": text[:100]}},
                )  # fmt: skip
        trail.close()

    async def run() -> None:
        for operator in GUARDIANS:
            for logging in (True, False):
                await write(operator, logging)

    asyncio.run(run())


def verify_trails(folder: Path) -> None:
    """Print one JSON line: each trail in ``folder`` and whether it verifies."""
    from orchestration_kernel.audit import AuditTrail

    report = {}
    for db in sorted(folder.glob("*.sqlite")):
        trail = AuditTrail(db, key_path=folder / "audit.key", identity="eq", session_id="eq")
        result = trail.verify()
        report[db.name] = [bool(result.ok), result.rows, str(result)[:300]]
        trail.close()
    print(json.dumps(report))


def _run_side(root: Path, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(root), "PYTHONHASHSEED": "0"}
    env.update(ORCHESTRATION_NO_DOTENV="1", ORCHESTRATION_NO_KEYRING="1")
    done = subprocess.run(
        [sys.executable, __file__, *args, str(root)],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
    )
    if done.returncode:
        raise SystemExit(f"{' '.join(args)} with {root} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def _rows(db: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT * FROM audit_events ORDER BY seq").fetchall()


def main() -> int:
    """Compare the label rule in this tree, then both checkouts' trails."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="af88c2e")
    parser.add_argument("--dev", type=Path, default=ROOT.parent / "shared" / "guardian-dev")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--write", nargs=2, metavar=("TEXTS", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--verify", metavar="FOLDER", help=argparse.SUPPRESS)
    parser.add_argument("root", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write or args.verify:
        sys.path.insert(0, args.root)
        if args.write:
            write_trails(Path(args.write[0]), Path(args.write[1]))
        else:
            verify_trails(Path(args.verify))
        return 0
    texts = _texts(args.dev if args.dev.exists() else None, args.limit)
    failures = compare_labels(texts)
    print(f"1. label apart vs whole: {len(texts)} texts x {len(GUARDIANS)} Guardians, "
          f"{len(failures)} differing")  # fmt: skip
    for line in failures[:5]:
        print("  ", line)
    with tempfile.TemporaryDirectory(prefix="audit-eq-") as tmp:
        work = Path(tmp)
        base = work / "base"
        sys.path.insert(0, str(ROOT))
        from bench.compare import _extract  # its orchestration_kernel/, from git

        _extract(args.base, base)
        texts_file = work / "texts.json"
        texts_file.write_text(json.dumps(texts), encoding="utf-8")
        sides = {"base": base, "head": ROOT}
        for name, root in sides.items():
            folder = work / f"{name}-trails"
            folder.mkdir()
            (folder / "audit.key").write_text(AUDIT_KEY.hex())
            (folder / "audit.key").chmod(0o600)
            _run_side(root, "--write", str(texts_file), str(folder))
        dbs = sorted(p.name for p in (work / "base-trails").glob("*.sqlite"))
        rows, unequal = 0, []
        for name in dbs:
            old, new = _rows(work / "base-trails" / name), _rows(work / "head-trails" / name)
            rows += len(old)
            if old != new:
                at = next(
                    (i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), None
                )
                unequal.append(f"{name}: {len(old)} vs {len(new)} rows, first differing {at}")
        print(f"2. rows written by {args.base} and by this tree: {len(dbs)} trails, {rows} "
              f"rows, {len(unequal)} trails differing")  # fmt: skip
        failures += unequal
        for writer, reader in (("base", "head"), ("head", "base")):
            copy = work / f"{writer}-read-by-{reader}"
            shutil.copytree(work / f"{writer}-trails", copy)
            report = json.loads(_run_side(sides[reader], "--verify", str(copy)))
            bad = {db: r for db, r in report.items() if not r[0]}
            print(f"3. trails written by {writer}, verified by {reader}: "
                  f"{len(report) - len(bad)}/{len(report)} verify")  # fmt: skip
            failures += [f"{writer} read by {reader}: {db}: {r[2]}" for db, r in bad.items()]
    for line in failures[:10]:
        print("DIFFERENCE", line)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
