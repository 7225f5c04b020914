"""Every notebook runs from start to end on the committed data (they must never go stale)."""

import importlib.util
from pathlib import Path

import pytest

RUNNER = Path(__file__).parents[1] / "notebooks" / "run.py"
spec = importlib.util.spec_from_file_location("notebook_runner", RUNNER)
runner = importlib.util.module_from_spec(spec)
spec.loader.exec_module(runner)


@pytest.mark.slow
@pytest.mark.parametrize("path", runner.notebooks(), ids=lambda p: p.name)
def test_notebook_runs(path):
    runner.execute(path, save=False)


def test_all_three_notebooks_exist():
    assert [p.name for p in runner.notebooks()] == ["01-data.ipynb", "02-evaluation.ipynb", "03-speed.ipynb"]
