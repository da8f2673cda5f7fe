"""``python -m bench``: run the benchmarks and write the report (see :mod:`bench.cli`)."""

from bench.cli import main

raise SystemExit(main())
