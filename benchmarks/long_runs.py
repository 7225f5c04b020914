"""Time of `analyse` on long runs without spaces, against ordinary prose of the same length in the same run.

    python benchmarks/long_runs.py [--sizes 2000,4000,8000,16000,32000] [--out benchmarks/results/long-runs.json]

For each length it times `analyse` on an emoji run, an HTML page of emoji entities and a letter run, and on English
prose of the same length (the reference); and spaCy's tokenizer alone on the same emoji run uncut (what the analysis
paid before runs were cut; only up to 8,000 characters, it is quadratic). Time linear in length shows as a flat ratio
to the reference and a doubling per doubling of length. Medians of 3.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

PROSE = (
    "Thank you for your interest in the analyst role. Unfortunately we have decided to progress with candidates whose "
    "experience of SQL and stakeholder management more closely matches what the team needs at this stage. "
)


def inputs(n: int) -> dict[str, str]:
    return {
        "emoji run": "😀" * n,
        "HTML entities": "<p>" + "&#128512;" * (n // 9) + "</p>",
        "letter run": "a" * n,
        "prose (reference)": (PROSE * (n // len(PROSE) + 1))[:n],
    }


def median_seconds(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,4000,8000,16000,32000")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "long-runs.json")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    from analyser import analyse
    from analyser.pipeline import load_pipeline

    tokenizer = load_pipeline().tokenizer
    analyse(PROSE + " 😀")  # load the model, language identifier and caches before timing
    rows = []
    print(f"{'characters':>10}  {'input':<18} {'seconds':>8}  {'x prose':>7}")
    for n in sizes:
        texts = inputs(n)
        ref = median_seconds(lambda t=texts["prose (reference)"]: analyse(t))
        for name, text in texts.items():
            s = ref if name == "prose (reference)" else median_seconds(lambda t=text: analyse(t))
            rows.append({"characters": n, "input": name, "seconds": round(s, 4), "ratio_to_prose": round(s / ref, 2)})
            print(f"{n:>10,}  {name:<18} {s:>8.3f}  {s / ref:>7.2f}")
        if n <= 8000:
            s = median_seconds(lambda t=texts["emoji run"]: tokenizer(t), repeat=1)
            rows.append({"characters": n, "input": "uncut emoji run, tokenizer only", "seconds": round(s, 4)})
            print(f"{n:>10,}  {'uncut, tokenizer':<18} {s:>8.3f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=1) + "\n")
    print(f"results: {args.out}")


if __name__ == "__main__":
    main()
