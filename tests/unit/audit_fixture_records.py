"""The records behind ``audit_rows_af88c2e.json``: what the audit writer at af88c2e stored
for them (with this key, redactor and these timestamps) is kept there, and
``test_audit_writer_rows.py`` checks that today's writer stores exactly the same rows.

The redactor is a plain function (emails and key-shaped tokens), so the rows depend on
the writer alone, not on the Guardian's rules; it declares that a role label changes
nothing it finds, as the Guardian's redact does, so labelled prompts take the same path
as in a call.
"""

from __future__ import annotations

import re
from typing import Any

try:
    from orchestration_kernel.prompt_text import LABELS_APART
except ImportError:  # af88c2e, which wrote the rows kept in the JSON file
    LABELS_APART = "redacts_labels_apart"

KEY_HEX = "00112233445566778899aabbccddeeff" * 2

_SECRETS = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+|sk-[A-Za-z0-9]{8,}")


def redact(text: str) -> str:
    """Emails and ``sk-`` tokens become ``<REDACTED>``."""
    return _SECRETS.sub("<REDACTED>", text)


setattr(redact, LABELS_APART, True)

_T0 = 1_765_000_000.25

_TEXTS = [
    "plain ascii prompt",
    "mail alice@example.com about the key sk-abcdefgh12345678",
    "ünïcödé and emoji 😀 and a lone surrogate \ud800 here",
    "two\nlines with bob@example.org on the second",
    "",
    "x" * 700,
]

#: (event, columns, prompt parts or None): parts are (system, [(role, content), ...]).
RECORDS: list[tuple[str, dict[str, Any], tuple[str | None, list[tuple[str, str]]] | None]] = []
for _i, _text in enumerate(_TEXTS):
    _other = _TEXTS[(_i + 1) % len(_TEXTS)]
    for _j, _parts in enumerate(
        [
            (None, [("user", _text)]),
            (_other, [("user", _text)]),
            (None, [("user", _other), ("assistant", _text[:20]), ("user", _text)]),
        ]
    ):
        RECORDS.append(
            (
                "call",
                {
                    "timestamp": _T0 + _i + _j / 10,
                    "run_id": f"run-{_i}",
                    "step": "s",
                    "provider": "openai",
                    "model": "gpt-4o-mini",
                    "attempt": _j + 1,
                    "status": "ok",
                    "latency_ms": 12.5 * _j,
                    "input_tokens": 10 * _i,
                    "output_tokens": 2**40 if _j == 2 else _j,
                    "cost_usd": -0.0 if _j == 1 else 0.125,
                    "response": _text[::-1],
                    "request_material": f"material {_text}",
                    "detail": {"deployment": "openai:gpt-4o-mini", "error": _text[:50]},
                },
                _parts,
            )
        )
RECORDS += [
    ("run_start", {"timestamp": _T0 + 10, "run_id": "r", "detail": {"steps": ["a", "b"]}}, None),
    (
        "guardian",
        {
            "timestamp": _T0 + 11,
            "run_id": "r",
            "stage": "input",
            "guardian_action": "redact",
            "guardian_policy": "pii",
            "guardian_reasons": ["pii: EMAIL carol@example.net"],
            "detail": {"policies": ["pii", "secrets"], "spans": [{"start": 0, "end": 5}]},
        },
        None,
    ),
    (
        "step",
        {
            "timestamp": _T0 + 12,
            "run_id": "r",
            "step": "a",
            "latency_ms": float("nan"),
            "ttft_ms": float("inf"),
            "detail": {"when_values": {"a": "dave@example.com wrote"}, "reason": "é"},
        },
        None,
    ),
    ("handoff", {"timestamp": _T0 + 13, "run_id": "r", "step": "b", "latency_ms": 0.5}, None),
    ("run_end", {"timestamp": _T0 + 14, "run_id": "r", "status": "done", "cost_usd": 1}, None),
]
