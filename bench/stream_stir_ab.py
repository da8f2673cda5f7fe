"""What keeping a waiting main-thread loop stirred costs a stream's reader, interleaved:
``python -m bench.stream_stir_ab [--rounds 12] [--streams 20]``.

``BridgedIterator.__anext__`` schedules a no-op every 0.1 s on a main-thread loop while
it waits for the next delta (``orchestration_kernel.interrupt_wake.stir``), so Ctrl-C on
``async for delta in engine.stream(...)`` in a notebook lands at once rather than when the
reply ends. Loops in other threads never stir. This reads ``--streams`` simulated streams
(Guardian and audit off: the bridge is the thing measured) from ``asyncio.run`` in the
main thread, with the stirrer as shipped (B) and replaced by a no-op (A), A/B/A/B, and
prints the median process CPU time per round for each (``time.process_time``: every
thread of the process, so the runtime's producing thread too).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--streams", type=int, default=20)
    args = parser.parse_args()
    os.environ.setdefault("ORCHESTRATION_OFFLINE_MODEL", "sim")
    import orchestration_kernel.runtime as runtime
    from orchestration_kernel import OrchestrationEngine

    engine = OrchestrationEngine(offline="on", audit=False, guardian=False)
    shipped = runtime.stir
    prompt = " ".join(f"w{i}" for i in range(400))

    async def read(n: int) -> int:
        deltas = 0
        for _ in range(n):
            async for _delta in engine.stream("gpt-4o-mini", prompt, max_tokens=2000):
                deltas += 1
        return deltas

    def one(stirred: bool) -> float:
        runtime.stir = shipped if stirred else (lambda loop: None)  # type: ignore[assignment]
        start = time.process_time()
        asyncio.run(read(args.streams))
        return time.process_time() - start

    one(True), one(False)  # warm both
    a, b = [], []
    for _ in range(args.rounds):
        a.append(one(False))
        b.append(one(True))
    runtime.stir = shipped
    deltas = asyncio.run(read(1))
    ma, mb = statistics.median(a), statistics.median(b)
    print(f"{args.streams} streams of {deltas} deltas per round, {args.rounds} rounds, CPU s")
    print(f"A (no stirrer) median {ma:.4f}   B (stirrer) median {mb:.4f}   B/A {mb / ma:.3f}")
    print(f"B - A per stream: {(mb - ma) / args.streams * 1e6:.1f} µs")
    engine.close()


if __name__ == "__main__":
    main()
