"""The set-up promises in the README: its test command is .ci/run's, and nothing is skipped or deprecated silently."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_readme_test_command_is_what_ci_runs_and_says_chromium_comes_first():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    command = re.search(r"```bash\n(python3 -m venv .venv && .venv/bin/pip install -q -e '\.\[test\]'.*)\n```", readme)
    assert command and command.group(1) in ci
    assert "installs Debian's Chromium first" in readme and "apt-get install" in ci


def test_a_missing_chromium_is_announced_in_the_test_summary(monkeypatch):
    import shutil

    import conftest

    lines = []

    class Reporter:
        def write_line(self, line, **_):
            lines.append(line)

    monkeypatch.setattr(shutil, "which", lambda _name: None)
    conftest.pytest_terminal_summary(Reporter())
    assert len(lines) == 1 and "browser tests were skipped" in lines[0]
    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    conftest.pytest_terminal_summary(Reporter())
    assert len(lines) == 1


def test_the_test_client_raises_no_deprecation_warning():
    # httpx2 (the test extra) is what starlette's TestClient wants; with plain httpx it warns on import
    run = subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning", "-c", "import starlette.testclient"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr.splitlines()[-1:]
