"""Regenerate the README screenshots: `python docs/screenshots/make.py` (needs Debian's chromium and playwright).

Serves the app on a free local port, pastes examples/rejection.txt, uploads data/demo/feedback.csv, and renders the
trends report made from the demo file.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent


def main() -> int:
    import uvicorn
    from playwright.sync_api import sync_playwright

    from analyser.web.app import create_app

    chromium = shutil.which("chromium")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.1)
    report = OUT / "demo-report.html"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "analyser",
            "trends",
            str(ROOT / "data/demo/feedback.csv"),
            "-o",
            str(report),
            "--freq",
            "Q",
        ],
        check=True,
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.goto(f"http://127.0.0.1:{port}/")
        page.get_by_label("Feedback text").fill((ROOT / "examples/rejection.txt").read_text())
        page.get_by_role("button", name="Analyse").click()
        page.wait_for_selector("mark")
        page.screenshot(path=str(OUT / "paste.png"), full_page=True)
        page.goto(f"http://127.0.0.1:{port}/spreadsheet")
        page.get_by_label("Spreadsheet file").set_input_files(str(ROOT / "data/demo/feedback.csv"))
        page.get_by_role("button", name="Upload").click()
        page.screenshot(path=str(OUT / "columns.png"), full_page=True)
        page.get_by_role("button", name="Analyse").click()
        page.wait_for_selector("text=Done", timeout=300_000)
        page.screenshot(path=str(OUT / "spreadsheet.png"))
        page.goto(report.as_uri())
        page.screenshot(path=str(OUT / "trends.png"))
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"http://127.0.0.1:{port}/")
        page.screenshot(path=str(OUT / "phone.png"))
        browser.close()
    report.unlink()
    server.should_exit = True
    return 0


if __name__ == "__main__":
    sys.exit(main())
