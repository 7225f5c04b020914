"""Start-up benchmark: `analyser analyse --json TEXT` against `python -c "import spacy"`, measured together.

Runs the two commands alternately (so both see the same machine state) and reports the median wall time of each.
Usage: python benchmarks/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

EMAIL = (
    "While we were impressed by your experience, we have decided to move forward with candidates whose skills more "
    "closely match our needs. We will keep your CV on file."
)


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    bindir = Path(sys.executable).parent
    analyser = [str(bindir / "analyser"), "analyse", "--json", EMAIL]
    spacy_import = [sys.executable, "-c", "import spacy"]
    timed(analyser)  # warm the file cache once for both
    a, s = [], []
    for _ in range(args.runs):
        s.append(timed(spacy_import))
        a.append(timed(analyser))
    ma, ms = statistics.median(a), statistics.median(s)
    print(f"cores: {os.cpu_count()}  runs: {args.runs}")
    print(f"python -c 'import spacy'        median {ms:.3f} s")
    print(f"analyser analyse --json TEXT    median {ma:.3f} s")
    print(f"ratio {ma / ms:.2f} (target < 2)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
