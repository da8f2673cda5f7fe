"""A batch job in a process of its own, for the kill-and-resume tests.

``python -m tests.integration.batch_child '<json>'``: ``mode`` ``submit`` creates the job
and waits for it; ``resume`` picks it up from the manifest and waits. When the job is
done it prints ``DONE {...}`` (results and audit counts). The tests kill it part way.
"""

from __future__ import annotations

import json
import sys

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.batch import BatchJob, submit_sync


def main(spec: dict) -> None:
    engine = OrchestrationEngine(offline="off", keys=spec["keys"], base_urls=spec["urls"])
    if spec["mode"] == "submit":
        items = [f"item {i}" for i in range(spec["rows"])]
        job = submit_sync(
            engine, spec["models"], "Say {item}", items, name=spec["name"], confirm=True,
            chunk_size=spec["chunk_size"],
        )  # fmt: skip
    else:
        job = BatchJob.resume(spec["name"], engine)
    job.wait_sync(poll_interval=0.02)
    results = job.results()
    engine.audit.flush()
    calls = engine.audit.to_dataframe(run=job.run_id, event="call")
    ids = [d["custom_id"] for d in calls["detail"]]
    summary = {
        "results": len(results),
        "unique": int(results["custom_id"].nunique()),
        "audit": len(ids),
        "audit_unique": len(set(ids)),
        "states": sorted({c.state for c in job.manifest.chunks}),
    }
    print("DONE " + json.dumps(summary), flush=True)
    engine.close()


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
