"""Batch benchmark: end-to-end `analyser batch` throughput against spaCy's blank English tokenizer alone.

Generates a feedback CSV with realistic, varied vocabulary (sentences from the labelled data with names, employers,
roles, numbers and rare words swapped in, so spaCy's tokenizer cache does not flatter the figures), then measures in the
same run: tokenizer-only rows/s, and for each worker count the end-to-end rows/s, peak memory and the time split
(reading, cleaning, model, writing).

Usage: python benchmarks/batch_benchmark.py [--rows N] [--workers 1 2] [--json results.json] [--input file.csv]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ren",
    "tor",
    "vel",
    "sha",
    "din",
    "qua",
    "bro",
    "ell",
    "ix",
    "man",
    "dor",
    "fen",
    "ga",
    "hal",
    "jin",
    "kor",
    "lun",
    "mer",
    "nol",
    "pra",
    "ris",
    "sol",
    "tam",
    "ul",
    "var",
    "wen",
    "zed",
]


def pseudo_word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))


def make_texts(n: int, seed: int = 0) -> list[str]:
    """n distinct feedback texts built from labelled sentences, with varied names, places, numbers and rare words."""
    from analyser.datasheet import load_all

    rng = random.Random(seed)
    sentences = [
        s.strip()
        for docs in load_all().values()
        for d in docs
        for s in d.text.replace("\n", " ").split(". ")
        if len(s) > 20
    ]
    rare = [pseudo_word(rng) for _ in range(50_000)]
    texts = []
    for _ in range(n):
        name, company = (
            pseudo_word(rng).title(),
            pseudo_word(rng).title() + rng.choice([" Ltd", " Inc", " Group", " LLP", ""]),
        )
        body = []
        for s in rng.sample(sentences, rng.randint(2, 7)):
            words = s.split()
            for k in range(len(words)):
                if rng.random() < 0.08:
                    words[k] = rng.choice(rare)
                elif rng.random() < 0.03:
                    words[k] = str(rng.randint(1, 2030))
            body.append(" ".join(words).rstrip(".") + ".")
        texts.append(
            f"Dear {name},\n\nThank you for applying to {company}. "
            + " ".join(body)
            + f"\n\nBest wishes,\n{pseudo_word(rng).title()}"
        )
    return texts


def tokenizer_rows_per_second(texts: list[str]) -> float:
    import spacy

    nlp = spacy.blank("en")
    start = time.perf_counter()
    for _ in nlp.tokenizer.pipe(texts, batch_size=256):
        pass
    return len(texts) / (time.perf_counter() - start)


def run_one(csv_path: Path, workers: int) -> dict:
    """Run the batch in a fresh process so that peak memory is this run's alone."""
    code = (
        "import json, resource, sys\n"
        "from analyser.batch import run_batch, summary_dict\n"
        f"s = run_batch({str(csv_path)!r}, {str(csv_path.with_suffix(f'.out{workers}.csv'))!r}, text_column='feedback', workers={workers})\n"
        "d = summary_dict(s)\n"
        # VmHWM, not ru_maxrss: ru_maxrss keeps the high-water mark of the (large) benchmark process it was forked from
        "d['peak_rss_mb'] = int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1]) / 1024\n"
        "d['peak_rss_children_mb'] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "print(json.dumps(d))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, os.cpu_count() or 1])
    parser.add_argument("--input", type=Path, help="use this CSV (column 'feedback') instead of generating one")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.input:
            import pandas as pd

            csv_path = Path(tmp) / "input.csv"
            texts = pd.read_csv(args.input, dtype=str, keep_default_na=False)["feedback"].tolist()
        else:
            texts = make_texts(args.rows)
        import pandas as pd

        csv_path = Path(tmp) / "input.csv"
        pd.DataFrame({"id": range(len(texts)), "feedback": texts}).to_csv(csv_path, index=False)
        size_mb = csv_path.stat().st_size / 1e6
        tok = tokenizer_rows_per_second(texts)
        results = {
            "rows": len(texts),
            "mean_chars": sum(map(len, texts)) / len(texts),
            "file_mb": size_mb,
            "cores": os.cpu_count(),
            "tokenizer_rows_per_second": tok,
            "runs": [],
        }
        for w in args.workers:
            r = run_one(csv_path, w)
            r["workers"] = w
            r["share_of_tokenizer"] = r["rows_per_second"] / tok
            results["runs"].append(r)
    print(
        f"{results['rows']:,} rows, mean {results['mean_chars']:.0f} characters, {size_mb:.1f} MB, {results['cores']} cores"
    )
    print(f"spaCy blank English tokenizer alone: {tok:,.0f} rows/s")
    for r in results["runs"]:
        t = r["timings"]
        print(
            f"workers={r['workers']}: {r['rows_per_second']:,.0f} rows/s ({r['share_of_tokenizer']:.0%} of tokenizer-only), "
            f"peak memory {r['peak_rss_mb']:.0f} MB main + {r['peak_rss_children_mb']:.0f} MB largest worker; "
            f"time: reading {t['reading']:.1f}s, cleaning {t['cleaning']:.1f}s, model {t['model']:.1f}s, writing {t['writing']:.1f}s"
            + (" (cleaning and model summed over workers)" if r["workers"] > 1 else "")
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
