"""``make browser-check``: the four notebooks in JupyterLab, in headless Chromium.

Starts JupyterLab on a copy of ``notebooks/`` (offline: every model simulated, a throwaway
``ORCHESTRATION_HOME``), opens each notebook with Playwright driving Debian's
``chromium``, runs all cells, waits for the kernel to go idle, and fails when

- any cell shows an error or writes to stderr,
- a view is missing: a run (``.orchestration-run``), a comparison
  (``.orchestration-compare``) or a matrix (``.orchestration-matrix``) that the notebook
  should show,
- a view needs horizontal scrolling at 1,400 px.

Screenshots of the run, compare and matrix views go to ``docs/`` (``--shots DIR``).
This is outside ``make test``: it needs Chromium, JupyterLab and Playwright.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ("quickstart", "compare_models", "guardian", "audit_analysis")
#: The views each notebook must show, and the screenshot to take of the first one.
VIEWS = {
    "quickstart": {".orchestration-run": "browser_run_view.png"},
    "compare_models": {
        ".orchestration-compare": "browser_compare_view.png",
        ".orchestration-matrix": "browser_matrix_view.png",
    },
    "guardian": {".orchestration-run": None},
    "audit_analysis": {},
}
WIDTH = 1400


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_lab(workdir: Path, home: Path, token: str, port: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    for name in list(env):
        if name.endswith(("_API_KEY", "_BASE_URL")):
            del env[name]
    env.update(
        ORCHESTRATION_OFFLINE="on", ORCHESTRATION_HOME=str(home),
        ORCHESTRATION_NO_DOTENV="1", ORCHESTRATION_NO_KEYRING="1",
        JUPYTER_PATH=str(ROOT / ".venv" / "share" / "jupyter"),
    )  # fmt: skip
    cmd = [
        sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
        "--ip=127.0.0.1", f"--ServerApp.token={token}", f"--ServerApp.root_dir={workdir}",
        "--LabApp.expose_app_in_browser=True", "--ServerApp.disable_check_xsrf=True",
        *(["--allow-root"] if os.geteuid() == 0 else []),
    ]  # fmt: skip
    log = open(home / "lab.log", "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api?token={token}", timeout=2)
            return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit(f"JupyterLab did not start; see {home / 'lab.log'}")


RUN_ALL = """async () => {
  const app = window.jupyterapp;
  await app.commands.execute('notebook:run-all-cells');
}"""

IDLE = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.content || !panel.sessionContext.session) return false;
  const kernel = panel.sessionContext.session.kernel;
  const cells = panel.content.widgets.filter(c => c.model.type === 'code');
  const ran = cells.every(c => c.model.executionCount != null);
  return kernel && kernel.status === 'idle' && ran;
}"""


def check_notebook(page, base: str, name: str, shots: Path) -> list[str]:
    """Run ``name`` in the page; the problems found (empty when all is well)."""
    page.goto(f"{base}/lab/tree/{name}.ipynb?reset", wait_until="domcontentloaded")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget",
                           timeout=90_000)  # fmt: skip
    page.wait_for_function(
        "() => { const w = window.jupyterapp.shell.currentWidget;"
        " return w && w.sessionContext && w.sessionContext.isReady; }",
        timeout=90_000,
    )
    page.evaluate(RUN_ALL)
    page.wait_for_function(IDLE, timeout=240_000, polling=500)
    page.wait_for_timeout(1500)  # the last display updates
    problems = []
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    for i in range(errors.count()):
        problems.append(f"{name}: stderr output: {errors.nth(i).inner_text()[:200]!r}")
    tracebacks = page.locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.error']")
    if tracebacks.count():
        problems.append(f"{name}: {tracebacks.count()} cell error(s)")
    for selector, shot in VIEWS.get(name, {}).items():
        views = page.locator(selector)
        if views.count() == 0:
            problems.append(f"{name}: no {selector} view rendered")
            continue
        first = views.last  # the magic's own view, after any built in Python
        first.scroll_into_view_if_needed()
        wide = first.evaluate("e => e.scrollWidth > e.clientWidth + 1")
        if wide:
            problems.append(f"{name}: {selector} scrolls horizontally at {WIDTH} px")
        if shot:
            first.screenshot(path=str(shots / shot))
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=Path, default=ROOT / "docs")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    parser.add_argument(
        "--notebooks", type=Path, default=ROOT / "notebooks", help="a directory of notebooks"
    )
    parser.add_argument("names", nargs="*", default=list(NOTEBOOKS))
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    token, port = secrets.token_hex(16), free_port()
    with tempfile.TemporaryDirectory(prefix="browser-check-") as tmp:
        workdir, home = Path(tmp) / "notebooks", Path(tmp) / "home"
        home.mkdir()
        shutil.copytree(args.notebooks, workdir)
        lab = start_lab(workdir, home, token, port)
        problems: list[str] = []
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=args.chromium, headless=True)
                context = browser.new_context(viewport={"width": WIDTH, "height": 1000})
                context.add_cookies([{"name": "_xsrf", "value": "x",
                                      "url": f"http://127.0.0.1:{port}"}])  # fmt: skip
                page = context.new_page()
                page.on("dialog", lambda dialog: dialog.accept())  # "leave with unsaved changes?"
                page.goto(f"http://127.0.0.1:{port}/lab?token={token}")
                for name in args.names:
                    found = check_notebook(page, f"http://127.0.0.1:{port}", name, args.shots)
                    print(f"{name}: {'ok' if not found else 'FAILED'}")
                    problems.extend(found)
                browser.close()
        finally:
            lab.terminate()
            lab.wait(timeout=30)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
