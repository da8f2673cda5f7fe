"""Issue 24's rule, as the bench applies it: per-round paired overheads, the median over
rounds with its order-statistic interval, and a target met only when the interval's upper
bound is under it. Known samples give the known interval and verdict; no timing here."""

from __future__ import annotations

from typing import Any

import pytest

from bench.common import ROOT
from bench.machine import describe
from bench.report import GOALS, INTERVAL, evaluate_goals, render_markdown
from bench.stats import interval_label, median_ci, paired_overheads, summarize, verdict
from bench.wire import RAW, _latency_table

COMPLETE = "engine.complete"
OFF = "engine.complete (Guardian, audit off)"
PIPE = "one-step pipeline"
LITE = "litellm.acompletion"


def _rounds(over: dict[str, list[float]], floor: float = 20_000.0) -> list[dict[str, Any]]:
    """Rounds whose medians differ from the raw SDK's by exactly ``over[name][r]`` µs; the
    raw SDK's own level drifts from round to round, as on a busy machine."""
    n = len(next(iter(over.values())))
    rounds = []
    for r in range(n):
        base = floor + 1_000 * r  # drift between rounds: pairing must cancel it
        got = {RAW: [base - 50, base, base + 70]}
        for name, values in over.items():
            got[name] = [base + values[r] - 40, base + values[r], base + values[r] + 90]
        rounds.append(got)
    return rounds


def test_paired_overheads_cancel_drift_between_rounds() -> None:
    rounds = _rounds({COMPLETE: [100, 120, 90, 110, 105]})
    over = paired_overheads(rounds, RAW)
    assert over[RAW] == [0, 0, 0, 0, 0]
    assert over[COMPLETE] == [100, 120, 90, 110, 105]  # the drift of 1 ms a round is gone


def test_ten_rounds_give_the_second_lowest_to_the_second_highest_at_97_9_percent() -> None:
    values = [250, 180, 310, 205, 220, 240, 195, 260, 230, 215]
    low, high, level = median_ci(values)
    assert (low, high) == (195, 260) and level == pytest.approx(1 - 2 * 11 / 1024)
    s = summarize(values)
    assert s["p50"] == 225 and interval_label(s) == "95% CI"
    assert verdict(s, 300) is True  # 260 ≤ 300
    assert verdict(s, 250) is False  # median 225 is under 250, the interval is not
    assert verdict(s, 190, at_most=False) is True and verdict(s, 200, at_most=False) is False


def test_five_rounds_use_their_range_and_say_93_7_percent() -> None:
    s = summarize([140, 120, 151, 130, 125])
    assert (s["ci_low"], s["ci_high"], s["ci_level"]) == (120, 151, 0.9375)
    assert interval_label(s) == "93.7% CI"
    assert verdict(s, 150) is False  # one round over the line is enough to miss
    assert verdict(s, 151) is True


def test_fewer_than_five_runs_give_no_verdict() -> None:
    assert verdict(summarize([10, 11, 12, 13]), 1_000) is None
    assert verdict({"n": 0}, 1_000) is None


def _http(over: dict[str, list[float]]) -> dict[str, Any]:
    table = _latency_table(_rounds(over))
    extra = summarize([0.31, 0.44, 0.52, 0.38, 0.41])
    held = {PIPE: [{"wall_s": 3.5, "ratio": 1.17, "errors": 0}] * 5,
            RAW: [{"wall_s": 3.1, "ratio": 1.03, "errors": 0}] * 5}  # fmt: skip
    return {
        "status": "ok", "latency": table, "rps": {}, "held": held, "held_pipelines": 1000,
        "hold_s": 3.0, "concurrency": 50, "rounds": 5, "batch": 3, "prompt_bytes": 1024,
        "reply_chars": 500, "server_latency_s": 0.02, "litellm": {"reason": "skipped (test)"},
        "held_over_raw_s": {**extra, "repeats": [0.31, 0.44, 0.52, 0.38, 0.41]},
    }  # fmt: skip


def test_the_http_goals_follow_the_interval_rule() -> None:
    http = _http({
        COMPLETE: [280, 260, 290, 270, 275],  # all under 300: met
        OFF: [100, 120, 160, 110, 105],  # median 110, but one round at 160 > 150: not met
        PIPE: [400, 420, 410, 380, 390],  # under 500: met
    })  # fmt: skip
    goals = {g["measure"]: g for g in evaluate_goals({"http": http})}
    complete = goals["`complete` over the raw SDK, HTTP, defaults (Guardian + audit on)"]
    assert complete["status"] == "met" and complete["value"] == 290
    assert complete["rule"] == INTERVAL
    assert "+275 µs (93.7% CI +260 µs–+290 µs, 5 rounds)" in complete["shown"]
    off = goals["`complete` over the raw SDK, HTTP, Guardian + audit off"]
    assert off["status"] == "MISSED" and off["value"] == 160
    assert goals["One-step pipeline over the raw SDK (HTTP, Guardian + audit on)"]["status"] == (
        "met"
    )
    held = goals["1,000 held one-step pipelines: wall minus the raw SDK's wall, same repeat"]
    assert held["status"] == "MISSED" and held["value"] == 0.52  # median 0.41, high 0.52


def test_the_report_states_the_rule_and_marks_single_figure_rows() -> None:
    http = _http({COMPLETE: [50] * 5, OFF: [40] * 5, PIPE: [60] * 5, LITE: [2_000] * 5})
    results = {"http": http}
    report = {"command": "python -m bench", "generated_at": "now", "size": "full",
              "elapsed_s": 1.0, "json_name": "benchmarks.json", "sections": results,
              "goals": evaluate_goals(results), "machine": describe(ROOT)}  # fmt: skip
    markdown = render_markdown(report)
    assert "only when the whole interval is on the target's side" in markdown
    assert "| judged on |" in markdown and "| p95 of the runs |" in markdown
    assert "| engine.complete | " in markdown and "≤ +300 µs | **met** |" in markdown
    # LiteLLM stands beside ours with its interval, and has no target of its own.
    assert "+2,000 µs (93.7% CI +2,000 µs–+2,000 µs, 5 rounds) | (comparison) | – |" in markdown
    assert {g.rule for g in GOALS} >= {INTERVAL, "p95 of the runs"}
