"""Batch benchmark: end-to-end `analyser batch` throughput against spaCy's blank English tokenizer alone, on a noisy
machine.

Generates a feedback CSV with realistic, varied vocabulary (sentences from the labelled data with names, employers,
roles, numbers and rare words swapped in, so spaCy's tokenizer cache does not flatter the figures). The machine is
shared, so one tokenizer figure measured before the batch swings with load: each round measures, for every engine
setting, the tokenizer alone in as many processes as the setting uses (1 for one worker, N for N workers or N Dask
workers) right before that batch, and the report gives the median over rounds of the ratio batch / tokenizer, with
its range. Each batch runs in a fresh process; a sampler reads the peak memory (VmHWM) of it and of every process it
starts (pool workers, Dask nannies and workers), and the largest total of all their resident memory at one time, also
counted with each shared page once (the sum of their PSS: shared libraries and memory-mapped model files).

Usage: python benchmarks/batch_benchmark.py [--rows N] [--rounds 3] [--settings 1 2 dask2] [--tokenizer-rows 20000]
       [--json results.json] [--input file.csv]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
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


def _tokenize(texts, barrier, done) -> None:
    import spacy

    nlp = spacy.blank("en")
    barrier.wait()  # every process has loaded spaCy: the clock starts
    for _ in nlp.tokenizer.pipe(texts, batch_size=256):
        pass
    done.put(len(texts))


def tokenizer_rows_per_second(texts: list[str], processes: int = 1) -> float:
    """Rows/s of spaCy's blank English tokenizer alone over `texts`, split across `processes` processes at once."""
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    barrier, done = ctx.Barrier(processes + 1), ctx.Queue()
    share = -(-len(texts) // processes)
    procs = [
        ctx.Process(target=_tokenize, args=(texts[k * share : (k + 1) * share], barrier, done))
        for k in range(processes)
    ]
    for proc in procs:
        proc.start()
    barrier.wait()
    start = time.perf_counter()
    rows = sum(done.get() for _ in procs)
    seconds = time.perf_counter() - start
    for proc in procs:
        proc.join()
    return rows / seconds


def _tree(root: int) -> list[int]:
    """`root` and every process below it, from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += children.get(pid, [])
    return out


def _memory_kb(pid: int) -> tuple[int, int, str]:
    """(VmHWM, VmRSS) in kB and a short name for the process; zeros once it has gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return 0, 0, ""
    values = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    kb = {k: int(values.get(k, "0 kB").split()[0]) for k in ("VmHWM", "VmRSS")}
    return kb["VmHWM"], kb["VmRSS"], _role(cmd)


def _pss_kb(pid: int) -> int:
    """Proportional set size in kB (shared pages divided among the processes that map them); 0 once it has gone."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return 0
    return 0


def _role(cmd: str) -> str:
    if "resource_tracker" in cmd or "forkserver" in cmd:
        return "helper"
    if "spawn_main" in cmd or "multiprocessing" in cmd:
        return "worker"
    return "main" if "run_batch" in cmd else "other"


class MemorySampler:
    """Polls a process tree: the peak memory of each process, and the largest sum of their resident memory at once."""

    def __init__(self, root: int, every: float = 0.2):
        import threading

        self.root, self.every = root, every
        self.peaks: dict[int, tuple[int, str]] = {}
        self.total_peak_kb = 0
        self.total_pss_peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            total = pss = 0
            for pid in _tree(self.root):
                hwm, rss, role = _memory_kb(pid)
                if hwm:
                    role = "main" if pid == self.root else role
                    self.peaks[pid] = (max(hwm, self.peaks.get(pid, (0, ""))[0]), role)
                    total += rss
                    pss += _pss_kb(pid)
            self.total_peak_kb = max(self.total_peak_kb, total)
            self.total_pss_peak_kb = max(self.total_pss_peak_kb, pss)
            self._stop.wait(self.every)

    def stop(self) -> dict:
        self._stop.set()
        self._thread.join()
        by_role: dict[str, list[float]] = {}
        for hwm, role in self.peaks.values():
            by_role.setdefault(role, []).append(round(hwm / 1024, 1))
        return {
            "peak_mb_by_process": {k: sorted(v, reverse=True) for k, v in by_role.items()},
            "peak_total_mb": round(self.total_peak_kb / 1024, 1),
            # the same total counting each shared page once (shared libraries, memory-mapped model files)
            "peak_total_pss_mb": round(self.total_pss_peak_kb / 1024, 1),
        }


SETTINGS = {"1": ("local", 1), "2": ("local", 2), "dask2": ("dask", 2)}


def run_one(csv_path: Path, setting: str) -> dict:
    """One batch in a fresh process (its memory is its own); the summary, peak memory, and which processes it used."""
    engine, workers = SETTINGS[setting]
    out = csv_path.with_suffix(f".out-{setting}.csv")
    code = (
        "import json\n"
        "from analyser.batch import run_batch, summary_dict\n"
        f"s = run_batch({str(csv_path)!r}, {str(out)!r}, text_column='feedback', workers={workers}, engine={engine!r})\n"
        "print(json.dumps(summary_dict(s)))\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = MemorySampler(proc.pid)
    stdout, stderr = proc.communicate()
    memory = sampler.stop()
    if proc.returncode:
        raise RuntimeError(f"batch {setting} failed: {stderr.strip().splitlines()[-1:]}")
    out.unlink(missing_ok=True)
    result = json.loads(stdout.strip().splitlines()[-1])
    return {"setting": setting, "engine": engine, "workers": workers, **result, **memory}


def _commit() -> str:
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True).stdout
        dirty = subprocess.run(["git", "status", "--porcelain", "analyser"], cwd=root, capture_output=True, text=True)
    except OSError:
        return ""
    return head.strip() + (" (analyser/ modified)" if dirty.stdout.strip() else "")


def summarise(rounds: list[list[dict]], settings: list[str]) -> list[dict]:
    """Per setting: median rows/s and ratio to the tokenizer over rounds, the range of the ratio, the median round."""
    out = []
    for setting in settings:
        runs = [r for rnd in rounds for r in rnd if r["setting"] == setting]
        if not runs:
            continue
        ratios = sorted(r["rows_per_second"] / r["tokenizer_rows_per_second"] for r in runs)
        middle = sorted(runs, key=lambda r: r["rows_per_second"])[len(runs) // 2]
        out.append(
            {
                "setting": setting,
                "engine": middle["engine"],
                "workers": middle["workers"],
                "rounds": len(runs),
                "rows_per_second_median": statistics.median(r["rows_per_second"] for r in runs),
                "tokenizer_rows_per_second_median": statistics.median(r["tokenizer_rows_per_second"] for r in runs),
                "share_of_tokenizer_median": statistics.median(ratios),
                "share_of_tokenizer_range": [ratios[0], ratios[-1]],
                "median_round": middle,
            }
        )
    one = next((s for s in out if s["setting"] == "1"), None)
    for s in out:
        if one and s is not one:
            s["speedup_over_1_worker"] = s["rows_per_second_median"] / one["rows_per_second_median"]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--settings", nargs="+", default=["1", "2", "dask2"], choices=list(SETTINGS))
    parser.add_argument("--tokenizer-rows", type=int, default=20_000, help="texts per tokenizer-only measurement")
    parser.add_argument("--input", type=Path, help="use this CSV (column 'feedback') instead of generating one")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    import pandas as pd

    if args.input:
        texts = pd.read_csv(args.input, dtype=str, keep_default_na=False)["feedback"].tolist()
    else:
        texts = make_texts(args.rows)
    sample = texts[: args.tokenizer_rows]
    rounds: list[list[dict]] = []
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "input.csv"
        pd.DataFrame({"id": range(len(texts)), "feedback": texts}).to_csv(csv_path, index=False)
        size_mb = csv_path.stat().st_size / 1e6
        for k in range(args.rounds):
            this = []
            for setting in args.settings:
                load = os.getloadavg()[0]
                tok = tokenizer_rows_per_second(sample, SETTINGS[setting][1])
                try:
                    run = run_one(csv_path, setting)
                except RuntimeError as exc:  # the work tree is shared: one failed run is reported, not fatal
                    print(f"round {k + 1} {setting}: {exc}", flush=True)
                    continue
                run["tokenizer_rows_per_second"] = tok
                run["load_average"] = [round(load, 2), round(os.getloadavg()[0], 2)]  # before and after: the noise
                this.append(run)
                print(
                    f"round {k + 1} {setting}: {run['rows_per_second']:,.0f} rows/s, tokenizer in "
                    f"{SETTINGS[setting][1]} process(es) {tok:,.0f} rows/s: {run['rows_per_second'] / tok:.1%}",
                    flush=True,
                )
            rounds.append(this)
    loads = [x for rnd in rounds for r in rnd for x in r["load_average"]]
    results = {
        "rows": len(texts),
        "mean_chars": sum(map(len, texts)) / len(texts),
        "file_mb": size_mb,
        "cores": os.cpu_count(),
        "commit": _commit(),
        "tokenizer_rows": len(sample),
        "summary": summarise(rounds, args.settings),
        "rounds": rounds,
    }
    print(
        f"{results['rows']:,} rows, mean {results['mean_chars']:.0f} characters, {size_mb:.1f} MB, {results['cores']} "
        f"cores, commit {results['commit']}; medians of {args.rounds} rounds; 1-minute load average "
        f"{min(loads):.1f}-{max(loads):.1f}"
    )
    for s in results["summary"]:
        r, mem = s["median_round"], s["median_round"]["peak_mb_by_process"]
        t = r["timings"]
        lo, hi = s["share_of_tokenizer_range"]
        workers = mem.get("worker", [])
        print(
            f"{s['setting']}: {s['rows_per_second_median']:,.0f} rows/s = {s['share_of_tokenizer_median']:.1%} of the "
            f"tokenizer in {s['workers']} process(es) ({lo:.1%}-{hi:.1%})"
            + (f", {s['speedup_over_1_worker']:.2f}x one worker" if "speedup_over_1_worker" in s else "")
            + f"; peak memory: main {mem.get('main', [0])[0]:.0f} MB"
            + (f", workers {', '.join(f'{w:.0f}' for w in workers)} MB" if workers else "")
            + f", all together {r['peak_total_mb']:.0f} MB (shared pages once: {r.get('peak_total_pss_mb', 0):.0f} MB); time: reading {t['reading']:.1f}s, cleaning "
            f"{t['cleaning']:.1f}s, model {t['model']:.1f}s, writing {t['writing']:.1f}s"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
