"""The benchmark instrument: ``make bench`` (``python -m bench``).

It writes ``docs/benchmarks.md`` (the table, what each number means, how to reproduce
it) and ``docs/benchmarks.json`` (every raw figure and a description of the machine).

Each section runs in a fresh child process (``python -m bench.child SECTION``), so its
timings, peak memory and imports are its own. Modules, one idea each:

- :mod:`.stats` (percentiles), :mod:`.machine` (what we ran on), :mod:`.sizes` (full and
  smoke sizes), :mod:`.common` (engines, pipelines, memory probes), :mod:`.child` (the
  child process entry point), :mod:`.runner` (running sections), :mod:`.report`
  (the goals, the Markdown and the JSON), :mod:`.cli` (the command line);
- the sections: :mod:`.handoff`, :mod:`.overhead`, :mod:`.throughput`, :mod:`.wire` (HTTP),
  :mod:`.memory`, :mod:`.imports`, :mod:`.audit`;
- LiteLLM, compared against in its own pinned, hashed environment: :mod:`.litellm_env`
  (creates ``.venv-bench``) and :mod:`.litellm_driver` (runs inside it).

Benchmarks assert nothing about speed; a smoke run (``--smoke``) is in the test suite so
the instrument cannot rot.
"""
