"""Run every notebook in JupyterLab in a real (headless) Chromium, as a user would:
Kernel → Restart Kernel and Run All Cells, then report cells still busy, error outputs
and a screenshot per notebook. Not part of ``make test`` (CI has no browser); run by hand:

    python3 -m uv venv /tmp/bvenv
    python3 -m uv pip install --python /tmp/bvenv/bin/python -e '.[lab]' playwright
    /tmp/bvenv/bin/python -m ipykernel install --prefix /tmp/bvenv --name python3
    cp notebooks/*.ipynb /tmp/bnb/ && cd /tmp/bnb
    export ORCHESTRATION_OFFLINE=auto ORCHESTRATION_OFFLINE_MODEL=sim
    export JUPYTER_PATH=/tmp/bvenv/share/jupyter
    /tmp/bvenv/bin/jupyter-lab --no-browser --port 8899 --ServerApp.token='' &
    /tmp/bvenv/bin/python scripts/notebooks_in_browser.py quickstart.ipynb guardian.ipynb ...

It drives the system Chromium (``/usr/bin/chromium``, Debian's package), so Playwright
needs no browser download. Counts are over the whole Lab page (every open tab).
"""

import sys
import time

from playwright.sync_api import sync_playwright

names = sys.argv[1:]
with sync_playwright() as p:
    b = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
    page = b.new_page(viewport={"width": 1400, "height": 1000})
    for name in names:
        page.goto(f"http://127.0.0.1:8899/lab/tree/{name}", wait_until="networkidle")
        page.wait_for_selector(".jp-Notebook", timeout=60000, state="attached")
        time.sleep(3)
        # Kernel menu -> Restart Kernel and Run All Cells
        page.click("text=Kernel", timeout=10000)
        page.click("text=Restart Kernel and Run All Cells…", timeout=10000)
        try:
            page.click(".jp-Dialog button.jp-mod-accept", timeout=10000)
        except Exception as e:
            print("no dialog", e)
        t0 = time.time()
        time.sleep(5)
        while time.time() - t0 < 240:
            prompts = page.eval_on_selector_all(
                ".jp-InputPrompt", "els => els.map(e => e.textContent)"
            )
            busy = [x for x in prompts if "*" in x]
            if not busy:
                break
            time.sleep(2)
        time.sleep(3)
        prompts = page.eval_on_selector_all(
            ".jp-InputPrompt", "els => els.map(e => e.textContent.trim())"
        )
        errors = page.eval_on_selector_all(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
            "els => els.map(e => e.innerText.slice(0, 300))",
        )
        widgets = page.eval_on_selector_all(
            ".jupyter-widgets, .widget-box, .widget-html, .widget-label", "els => els.length"
        )
        still = [x for x in prompts if "*" in x]
        print(
            f"== {name}: {len(prompts)} cells, busy left {len(still)}, "
            f"error outputs {len(errors)}, widget elements {widgets}"
        )
        for e in errors:
            print("   ERR:", e.replace("\n", " | ")[:300])
        page.screenshot(path=f"/tmp/bnb/{name}.png", full_page=False)
    b.close()
