"""Execute the notebooks: `python notebooks/run.py` re-runs them all in place (outputs saved), as committed.

The test suite calls `execute(path, save=False)` on each, so a notebook that stops working fails CI.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TIMEOUT = 600  # seconds per cell


def notebooks() -> list[Path]:
    return sorted(HERE.glob("[0-9][0-9]-*.ipynb"))


def execute(path: Path, *, save: bool) -> None:
    """Run every cell of the notebook with the working directory set to notebooks/; raise on the first error."""
    import nbformat
    from nbclient import NotebookClient

    book = nbformat.read(path, as_version=4)
    NotebookClient(book, timeout=TIMEOUT, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}).execute()
    if save:
        nbformat.write(book, path)


def main(argv: list[str]) -> int:
    for path in [Path(a) for a in argv] or notebooks():
        print(f"executing {path.name} ...", flush=True)
        execute(path, save=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
