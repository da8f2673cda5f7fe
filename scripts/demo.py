"""``make demo``: run the quickstart notebook headless in a real kernel and summarise it.

Offline unless provider keys are set (``ORCHESTRATION_OFFLINE=auto``): models without a
key are answered by the local model (the ``[local]`` extra), or by the simulator with
``ORCHESTRATION_OFFLINE_MODEL=sim``. ``--out DIR`` puts the executed notebook, the audit
export and the audit database somewhere other than ``out/``.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    from notebook_demo import main  # type: ignore[import-not-found]

    raise SystemExit(main(sys.argv[1:]))
