"""Named durable consumers and other processes: every durable message exactly once, in
commit order, whichever process published it, live and after a restart (issue 14,
item 7)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from orchestration_kernel.bus import ContextBus

pytestmark = pytest.mark.timeout(180)

PUBLISH = textwrap.dedent(
    """
    import sys
    from orchestration_kernel.bus import ContextBus
    bus = ContextBus(sys.argv[1], session_id="b")
    for i in range(int(sys.argv[2])):
        bus.publish_sync("jobs.b", {"i": i}, durable=True)
    bus.close_sync()
    """
)


def publisher(path: Path, n: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", PUBLISH, str(path), str(n)])


def committed_seqs(path: Path) -> list[int]:
    conn = sqlite3.connect(path)
    seqs = [r[0] for r in conn.execute("SELECT seq FROM messages WHERE topic LIKE 'jobs.%'")]
    conn.close()
    return sorted(seqs)


async def test_a_named_consumer_gets_every_message_of_every_process(tmp_path: Path) -> None:
    path = tmp_path / "bus.sqlite"
    bus = ContextBus(path, session_id="a")
    sub = bus.subscribe("jobs.#", consumer="indexer")
    proc = publisher(path, 300)
    got = []
    for i in range(100):  # this process publishes too, interleaved with the other one
        await bus.publish("jobs.a", {"i": i}, durable=True)
    while len(got) < 400:
        msg = await sub.get(timeout=30)
        assert msg is not None
        got.append(msg)
    assert proc.wait(timeout=60) == 0
    seqs = [m.seq for m in got]
    assert seqs == committed_seqs(path)  # all, once each, in commit order
    assert sum(m.topic == "jobs.b" for m in got) == 300

    # Acknowledge part way, restart, and let the other process publish meanwhile.
    await got[149].ack()
    await sub.aclose()
    await bus.close()
    assert publisher(path, 50).wait(timeout=60) == 0
    bus = ContextBus(path, session_id="a")
    sub = bus.subscribe("jobs.#", consumer="indexer")
    resumed = []
    while len(resumed) < 250 + 50:
        msg = await sub.get(timeout=30)
        assert msg is not None
        resumed.append(msg.seq)
    assert resumed == committed_seqs(path)[150:]
    await sub.aclose()
    await bus.close()
