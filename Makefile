# orchestration-kernel — every target creates .venv on first use, from the committed uv.lock.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# uv lives outside the project's venvs: on PATH, or installed once for the user with pip
# and run as `python3 -m uv` (found wherever pip put it, whatever PATH says).
UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := $(PY) -m uv
endif
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Extras every test needs: the embedded model, Redis and Dask clients, keyring, OTel.
TEST_EXTRAS := --extra dev --extra local --extra redis --extra cluster --extra keyring --extra otel

# make test is hermetic: no provider key or base URL leaks in, no .env or keyring is read,
# and the audit and bus databases live in a throwaway ORCHESTRATION_HOME.
HERMETIC := env -u OPENAI_API_KEY -u OPENAI_BASE_URL -u ANTHROPIC_API_KEY -u ANTHROPIC_BASE_URL \
	-u GEMINI_API_KEY -u GOOGLE_API_KEY -u GOOGLE_GEMINI_BASE_URL -u GOOGLE_GENAI_API_VERSION \
	-u PERPLEXITY_API_KEY -u PERPLEXITY_BASE_URL -u ORCHESTRATION_OFFLINE -u AZURE_OPENAI_API_KEY \
	-u AZURE_OPENAI_ENDPOINT -u OPENAI_API_VERSION -u OTEL_EXPORTER_OTLP_ENDPOINT \
	-u OPENAI_ORG_ID -u OPENAI_PROJECT_ID -u JPY_SESSION_NAME \
	ORCHESTRATION_OFFLINE_MODEL=sim ORCHESTRATION_NO_DOTENV=1 ORCHESTRATION_NO_KEYRING=1 PYTHON_KEYRING_BACKEND=keyring.backends.null.Keyring

# The suite starts hundreds of Python processes (kernels, children, notebooks, servers):
# they share one bytecode cache out of the source tree, even where the environment says
# PYTHONDONTWRITEBYTECODE, instead of compiling every module they import again. So do the
# kernels of make lab and make demo: without it, under PYTHONDONTWRITEBYTECODE every kernel
# compiled IPython, pydantic and this package again: about 0.9 s more CPU to start a
# kernel and 0.55 s more in its first %%orchestrate cell on the 2026-12-07 machine
# (python -m bench.loadext_ab BASE --host kernel: nopyc against cached).
BYTECODE := env -u PYTHONDONTWRITEBYTECODE PYTHONPYCACHEPREFIX=$(CURDIR)/$(VENV)/pycache

CORE_COVERAGE := 90

.PHONY: uv-installed venv redis-server test check test-latest lock demo lab bench lint format clean browser-check

uv-installed:
	@$(UV) --version >/dev/null 2>&1 || \
	  $(PY) -m pip install --quiet --user --disable-pip-version-check uv

$(STAMP): uv.lock pyproject.toml | uv-installed
	$(UV) sync --quiet --locked $(TEST_EXTRAS)
	$(BIN)/python -m ipykernel install --prefix $(VENV) --name python3 >/dev/null
	touch $(STAMP)

venv: $(STAMP)

# Under CI (CI set, running as root) the Redis tests' server is installed when missing;
# elsewhere those tests skip with the reason, and a skip of them fails a CI run.
redis-server:
	@command -v redis-server >/dev/null || { [ -n "$$CI" ] && [ "$$(id -u)" = 0 ] && \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server \
	  >/dev/null; } || true

# mypy runs beside pytest (niced: most of the suite waits on kernels, servers and
# subprocesses); its report is shown after pytest's only when it finds errors, so that
# pytest's summary stays the last line of a passing run. Either failing fails the target.
# Two pytest-xdist workers, one test file at a time each (a module's shared kernels,
# cluster or bench run start once; coverage is combined): most of the suite waits on
# kernels, servers and subprocesses, so two workers take about half the wall time of one
# (4 min 37 s against 10 min 18 s for 3,289 tests, fresh clones, 2026-12-07). The Redis
# team's restart-window race that once kept this off was a bug of ours, fixed.
# The workers take the longest files first (tests/schedule.py; --no-loadscope-reorder keeps
# that order: xdist's own puts the files of one long test, the demo's, last).
# `make test PARALLEL=` runs one process.
PARALLEL ?= -n 2 --dist loadfile --no-loadscope-reorder
test: $(STAMP) redis-server
	$(UV) lock --check --quiet
	$(BIN)/lint-imports
	@home=$$(mktemp -d); types=$$(mktemp); \
	nice -n 10 $(BIN)/mypy >$$types 2>&1 & mypy=$$!; \
	$(BYTECODE) $(HERMETIC) ORCHESTRATION_HOME=$$home JUPYTER_PATH=$(CURDIR)/$(VENV)/share/jupyter \
	  $(BIN)/python -m pytest -p no:cacheprovider \
	    --cov=orchestration_kernel --cov-report=term:skip-covered \
	    --cov-fail-under=$(CORE_COVERAGE) --durations=25 $(PARALLEL) tests; \
	status=$$?; wait $$mypy; typed=$$?; [ $$typed -eq 0 ] || cat $$types; rm -rf $$home $$types; \
	[ $$status -ne 0 ] && exit $$status; exit $$typed

# Part of the suite, hermetic like make test, without coverage: make check T='tests/unit/test_bus.py -x'
check: $(STAMP)
	@home=$$(mktemp -d); \
	$(BYTECODE) $(HERMETIC) ORCHESTRATION_HOME=$$home JUPYTER_PATH=$(CURDIR)/$(VENV)/share/jupyter \
	  $(BIN)/python -m pytest -p no:cacheprovider -q $(T); \
	status=$$?; rm -rf $$home; exit $$status

# The newest versions pyproject.toml allows, in a venv of their own: drift shows up here as a
# choice, never as a surprise on a fresh machine.
test-latest: | uv-installed
	test -x .venv-latest/bin/python || $(UV) venv --quiet .venv-latest
	$(UV) pip install --quiet --python .venv-latest/bin/python --upgrade \
	  -e '.[dev,local,redis,cluster,keyring,otel]' \
	  --override requirements/overrides.txt
	.venv-latest/bin/python -m ipykernel install --prefix .venv-latest --name python3 >/dev/null
	@home=$$(mktemp -d); \
	$(HERMETIC) ORCHESTRATION_HOME=$$home JUPYTER_PATH=$(CURDIR)/.venv-latest/share/jupyter \
	  .venv-latest/bin/python -m pytest -p no:cacheprovider tests; \
	status=$$?; rm -rf $$home; exit $$status

# Refresh uv.lock on purpose (newest allowed versions), then run make test.
lock: | uv-installed
	$(UV) lock --upgrade

demo: $(STAMP)
	$(BYTECODE) ORCHESTRATION_OFFLINE=$${ORCHESTRATION_OFFLINE:-auto} \
	  JUPYTER_PATH=$(CURDIR)/$(VENV)/share/jupyter $(BIN)/python scripts/demo.py

lab: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,lab]'
	$(BYTECODE) ORCHESTRATION_OFFLINE=$${ORCHESTRATION_OFFLINE:-auto} $(BIN)/jupyter lab notebooks/ \
	  $$([ "$$(id -u)" = 0 ] && echo --allow-root)

# The four notebooks in JupyterLab, driven by Playwright in Debian's headless chromium:
# fails on an error, stderr output, a missing view or a horizontal scroll at 1,400 px, and
# saves screenshots of the run, compare and matrix views into docs/. Not part of make test.
browser-check: $(STAMP)
	@command -v chromium >/dev/null || { echo "needs Debian's chromium (apt-get install chromium)"; exit 1; }
	@[ -x .venv-browser/bin/python ] || $(UV) venv -q .venv-browser --python $(BIN)/python
	$(UV) pip install -q --python .venv-browser/bin/python jupyterlab playwright
	.venv-browser/bin/python scripts/browser_check.py

# make bench ONLY=audit,http reruns some sections; docs/benchmarks.md keeps the others.
bench: $(STAMP)
	$(BYTECODE) $(BIN)/python -m bench $(if $(ONLY),--only $(ONLY))

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .venv-bench .venv-latest .venv-browser .pytest_cache .ruff_cache .coverage out
