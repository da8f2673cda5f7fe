"""Reading the trail: typed frames, filters, exports, summaries, search, replay, pruning."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from orchestration_kernel.audit import AuditTrail, canonical_request, read_back
from orchestration_kernel.errors import AuditIntegrityError, ConfigurationError
from orchestration_kernel.models import Message

GUARDIAN = [
    ("allow", "pii", None, "input"),
    ("redact", "pii", ["email"], "output"),
    ("block", "secrets", ["api key"], "input"),
]
LATENCIES = {"gpt-4o": [100.0, 200.0, 300.0, 400.0], "claude-sonnet-4-5": [50.0, 70.0]}


@pytest.fixture
def trail(tmp_path: Path):
    t = AuditTrail(tmp_path / "audit.sqlite", session_id="sess", identity="me")
    yield t
    t.close()


def record_run(trail: AuditTrail, run: str = "run-1") -> None:
    """What a pipeline run with a retry and a fallback records, by event kind."""
    trail.record("run_start", run_id=run, pipeline="demo")
    trail.record("route", run_id=run, step="a", model="gpt-4o", detail={"why": "cheapest"})
    for i, latency in enumerate(LATENCIES["gpt-4o"]):
        failed = i == 0
        trail.record(
            "call",
            run_id=run,
            step="a",
            provider="openai",
            model="gpt-4o",
            response_model=None if failed else "gpt-4o-2024-08-06",
            attempt=i + 1,
            status="error" if failed else "ok",
            error_type="RateLimitError" if failed else None,
            latency_ms=latency,
            ttft_ms=latency / 4,
            input_tokens=None if failed else 10,
            output_tokens=None if failed else 20,
            cost_usd=None if failed else 0.01,
            prompt="Analyse the quarterly refund policy",
            response=None if failed else f"answer {i}",
            request_material="req-a",
        )
    for i, latency in enumerate(LATENCIES["claude-sonnet-4-5"]):
        trail.record(
            "call",
            run_id=run,
            step="b",
            provider="anthropic",
            model="claude-sonnet-4-5",
            attempt=i + 1,
            status="ok",
            latency_ms=latency,
            input_tokens=5,
            output_tokens=6,
            prompt="Synthesise",
            response="Une synthèse détaillée",
        )
    for action, policy, reasons, stage in GUARDIAN:
        trail.record(
            "guardian",
            run_id=run,
            guardian_action=action,
            guardian_policy=policy,
            guardian_reasons=reasons,
            detail={"stage": stage},
        )
    trail.record("step", run_id=run, step="a", status="ok")
    trail.record("run_end", run_id=run, status="ok")


def test_typed_columns(trail: AuditTrail):
    record_run(trail)
    frame = trail.to_dataframe()
    assert str(frame["timestamp"].dtype) == "datetime64[us, UTC]"
    assert str(frame["attempt"].dtype) == "Int64"
    assert frame["latency_ms"].dtype == "float64"
    assert str(frame["replayed"].dtype) == "boolean"
    assert isinstance(frame.loc[frame["event"] == "route", "detail"].iloc[0], dict)
    assert frame["seq"].is_monotonic_increasing


def test_filters(trail: AuditTrail):
    record_run(trail, "run-1")
    record_run(trail, "run-2")
    trail.record("call", run_id="run-3", session_id="other", model="gpt-4o", provider="openai")
    assert set(trail.to_dataframe(run="run-2")["run_id"]) == {"run-2"}
    assert set(trail.to_dataframe(session="other")["run_id"]) == {"run-3"}
    by_model = trail.to_dataframe(model="claude-sonnet-4-5")
    assert set(by_model["model"]) == {"claude-sonnet-4-5"}
    qualified = trail.to_dataframe(model="openai:gpt-4o")
    assert set(zip(qualified["provider"], qualified["model"], strict=True)) == {
        ("openai", "gpt-4o")
    }
    assert len(trail.to_dataframe(model="gpt-4o-2024-08-06")) == 6  # the responding model
    assert set(trail.to_dataframe(event=["run_start", "run_end"])["event"]) == {
        "run_start",
        "run_end",
    }
    last = trail.to_dataframe(limit=3)
    assert list(last["seq"]) == list(trail.to_dataframe()["seq"].iloc[-3:])


def test_since_accepts_datetimes_text_and_timedeltas(trail: AuditTrail):
    old = datetime.now(UTC) - timedelta(days=3)
    trail.record("run_start", run_id="old", timestamp=old)
    trail.record("run_start", run_id="new")
    for since in (timedelta(days=1), datetime.now(UTC) - timedelta(days=1),
                  (datetime.now(UTC) - timedelta(days=1)).isoformat(),
                  (datetime.now(UTC) - timedelta(days=1)).replace(tzinfo=None),
                  (datetime.now(UTC) - timedelta(days=1)).timestamp()):  # fmt: skip
        assert list(trail.to_dataframe(since=since)["run_id"]) == ["new"], since
    with pytest.raises(ConfigurationError, match="ISO"):
        trail.to_dataframe(since="yesterday")


def test_an_event_kind_the_trail_never_records_is_named_not_an_empty_frame(trail: AuditTrail):
    record_run(trail)
    for event in ("cal", ["step", "calls"]):
        with pytest.raises(ConfigurationError, match="Did you mean 'call'"):
            trail.to_dataframe(event=event)
    with pytest.raises(ConfigurationError, match="Did you mean 'call'"):
        trail.export("unused.csv", event="cal")
    assert len(trail.to_dataframe(event=["call", "step"])) > 0


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
def test_export_round_trips(trail: AuditTrail, tmp_path: Path, suffix: str):
    record_run(trail)
    frame = trail.to_dataframe()
    path = trail.export(tmp_path / "out" / f"runs{suffix}")
    assert path.exists()
    back = read_back(path)
    pd.testing.assert_frame_equal(back, frame, check_dtype=True)


def test_export_with_filters_and_bad_suffix(trail: AuditTrail, tmp_path: Path):
    record_run(trail, "a")
    record_run(trail, "b")
    back = read_back(trail.export(tmp_path / "b.jsonl", run="b"))
    assert set(back["run_id"]) == {"b"}
    with pytest.raises(ConfigurationError, match=r"runs\.xlsx.*\.parquet.*\.csv.*\.jsonl"):
        trail.export(tmp_path / "runs.xlsx")


def test_summary_by_model(trail: AuditTrail):
    record_run(trail)
    summary = trail.summary_by_model().set_index("model")
    gpt = summary.loc["gpt-4o"]
    latencies = pd.Series(LATENCIES["gpt-4o"])
    assert gpt["calls"] == len(latencies)
    assert gpt["errors"] == 1
    assert gpt["latency_p50_ms"] == latencies.quantile(0.5)
    assert gpt["latency_p95_ms"] == latencies.quantile(0.95)
    assert gpt["input_tokens"] == 10 * (len(latencies) - 1)
    assert gpt["cost_usd"] == pytest.approx(0.01 * (len(latencies) - 1))
    assert summary.loc["claude-sonnet-4-5", "cost_unknown"] == len(LATENCIES["claude-sonnet-4-5"])
    assert summary.index[0] == "gpt-4o"  # most calls first


def test_decisions_by_policy(trail: AuditTrail):
    record_run(trail)
    table = trail.decisions_by_policy()
    pii_output = table[(table["policy"] == "pii") & (table["stage"] == "output")].iloc[0]
    assert (pii_output["redact"], pii_output["total"]) == (1, 1)
    assert table["total"].sum() == 3
    assert table[table["policy"] == "secrets"]["block"].sum() == 1


def test_errors_by_provider(trail: AuditTrail):
    record_run(trail)
    errors = trail.errors_by_provider()
    assert list(errors["provider"]) == ["openai"]
    assert errors["errors"].iloc[0] == 1
    assert errors["share_of_calls"].iloc[0] == 1 / len(LATENCIES["gpt-4o"])


def test_summaries_of_an_empty_trail(trail: AuditTrail):
    for table in (trail.summary_by_model(), trail.decisions_by_policy(),
                  trail.errors_by_provider()):  # fmt: skip
        assert table.empty and len(table.columns) > 2


def test_search(trail: AuditTrail):
    record_run(trail)
    hits = trail.search("refund quarterly")
    assert len(hits) == len(LATENCIES["gpt-4o"])
    assert set(hits["model"]) == {"gpt-4o"}
    assert len(trail.search("synthese")) == 2  # accents ignored
    assert trail.search("refund", limit=1).shape[0] == 1
    assert len(trail.search('"refund policy" OR synthèse', syntax=True)) == 6
    with pytest.raises(ConfigurationError, match="at least one word"):
        trail.search("  !! ")
    with pytest.raises(ConfigurationError, match="Invalid search"):
        trail.search('"unclosed', syntax=True)


def test_find_replay_returns_the_latest_successful_call(trail: AuditTrail):
    record_run(trail)
    found = trail.find_replay(trail.request_hash("req-a"))
    assert found is not None
    assert found["response"] == f"answer {len(LATENCIES['gpt-4o']) - 1}"
    assert (found["input_tokens"], found["output_tokens"]) == (10, 20)
    assert found["replayed"] is False
    assert trail.find_replay(trail.request_hash("never sent")) is None


def test_replay_needs_content_logging(trail: AuditTrail):
    trail.content_logging = False
    trail.record("call", status="ok", response="r", request_material="x")
    assert trail.find_replay(trail.request_hash("x")) is None


def test_canonical_request_is_deterministic():
    a = canonical_request(
        "gpt-4o",
        [Message(role="user", content="hi")],
        {"temperature": 0.2, "max_tokens": None, "stop": ("x",)},
    )
    b = canonical_request("gpt-4o", [{"role": "user", "content": "hi"}],
                          {"stop": ["x"], "temperature": 0.2})  # fmt: skip
    assert a == b
    assert json.loads(a)["params"] == {"stop": ["x"], "temperature": 0.2}
    assert a != canonical_request("gpt-4o", [{"role": "user", "content": "hi"}], {})


def test_prune_removes_the_old_prefix_and_the_chain_still_verifies(
    trail: AuditTrail, tmp_path: Path
):
    old = datetime.now(UTC) - timedelta(days=40)
    for i in range(5):
        trail.record("call", run_id="old", timestamp=old, prompt=f"ancient {i}")
    record_run(trail, "new")
    total = len(trail.to_dataframe())
    assert trail.prune(timedelta(days=30)) == 5
    frame = trail.to_dataframe()
    assert "old" not in set(frame["run_id"])
    prune_row = frame[frame["event"] == "prune"].iloc[0]
    assert prune_row["detail"]["rows_removed"] == 5
    assert len(frame) == total - 5 + 1
    report = trail.verify()
    assert report.ok and report.pruned_through == 5
    assert trail.search("ancient").empty
    assert trail.prune(timedelta(days=30)) == 0
    # Everything may go; the prune event itself starts the remaining chain.
    assert trail.prune(timedelta(0)) == len(frame)
    assert trail.verify().ok
    assert list(trail.to_dataframe()["event"]) == ["prune"]
    with pytest.raises(ConfigurationError):
        trail.prune(timedelta(days=-1))


def test_a_forged_checkpoint_is_caught(trail: AuditTrail, tmp_path: Path):
    old = datetime.now(UTC) - timedelta(days=40)
    for _ in range(3):
        trail.record("call", timestamp=old)
    trail.record("run_end")
    trail.prune(timedelta(days=1))
    trail.close()
    conn = sqlite3.connect(tmp_path / "audit.sqlite")
    conn.execute("UPDATE audit_checkpoint SET pruned = 1")
    conn.commit()
    conn.close()
    with AuditTrail(tmp_path / "audit.sqlite", session_id="s") as again:
        report = again.verify()
        assert not report.ok and "checkpoint" in report.reason
        with pytest.raises(AuditIntegrityError, match="checkpoint"):
            report.raise_if_broken()
