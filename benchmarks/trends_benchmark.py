"""Trends benchmark: `analyser trends` on a large analysed file (CSV and JSONL batch outputs), wall and CPU time, peak
memory, and the time of each step (reading, aggregating, drawing the report) measured in the same process.

The analysed rows are generated (seeded): students, employers, sectors, stages, cohorts and months like the demo's, with
reasons, skill gaps, actions, strengths and evidence, and in the JSONL the whole analysis object as batch writes it
(scores, action steps, follow-up message), so the file is as large as a real output. `--before REV` also runs the code
of a git revision on the same files, in the same run, as the reference.

Each round runs every version once (the CLI, then the steps); the medians over `--rounds` are reported, with the range
of the CLI's times. The steps read only the columns the report uses where the code can (`load_rows(report_only=True)`).

Usage: python benchmarks/trends_benchmark.py [--rows 100000] [--formats csv jsonl] [--before REV] [--rounds 3]
[--json out.json]
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

ROOT = Path(__file__).resolve().parents[1]
SECTORS = {
    "Technology": ["Northwind Software", "Bluefin Analytics", "Kestrel Cloud", "Orbit Labs", "Quillon", "Datapike"],
    "Finance": ["Harbour Bank", "Meridian Capital", "Crowngate Insurance", "Ledgerline", "Fairlane Mutual"],
    "Healthcare": ["St Aidan's NHS Trust", "Willow Care Group", "Brightwell Clinics", "Northgate Health"],
    "Education": ["Riverside Academy Trust", "Oakfield College", "Learnwell Tutors"],
    "Public sector": ["City Council", "Department for Transport", "Civic Housing", ""],
    "Retail": ["Marlow & Finch", "Greenbasket Stores", "Urban Threads", "Cornerstone Foods"],
}
SKILLS = ["SQL", "Python", "Excel", "Power BI", "Kubernetes", "Tableau", "Java", "Salesforce", "stakeholder management"]
COHORTS = ["BSc Computer Science", "BA Economics", "BSc Nursing", "BA History", "MSc Data Science", "BEng Mechanical"]
STAGES = ["application", "assessment", "interview", "final"]
SENTENCE = "We felt that the {r} side of your application was where other candidates were stronger, in {w}."


def analysed_rows(n: int, seed: int = 0) -> list[dict]:
    """n batch JSONL-shaped rows: input fields, an analysis object, and an error (a few rows failed)."""
    from analyser.taxonomy import load_taxonomy

    tax = load_taxonomy()
    reasons = [r for r in tax.reason_names if r != tax.none_reason]
    rng = random.Random(seed)
    months = [f"{y}-{m:02d}" for y in (2025, 2026) for m in range(1, 13)]
    students = [f"S{i:05d}" for i in range(max(50, n // 20))]
    words = ["retail banking", "cloud migration", "ward rotations", "curriculum design", "grant reporting", "SQL"]
    rows = []
    for i in range(n):
        sector = rng.choice(list(SECTORS))
        month = months[min(len(months) - 1, i * len(months) // n)]
        chosen = [r for r in reasons if rng.random() < 0.2] or [tax.none_reason]
        gaps = rng.sample(SKILLS, rng.randint(0, 2)) if "skills" in chosen else []
        analysis = {
            "reasons": [
                {"reason": r, "score": 0.8, "evidence": [SENTENCE.format(r=r, w=rng.choice(words))]} for r in chosen
            ],
            "scores": {r: round(rng.random(), 4) for r in tax.reason_names},
            "strengths": [
                {"text": "Your enthusiasm came across well.", "aspect": a} for a in rng.sample(tax.strength_aspects, 1)
            ],
            "signals": {s: rng.random() < 0.3 for s in tax.signals},
            "stage": rng.choice(STAGES),
            "skills_gaps": gaps,
            "skills_praised": [],
            "skills_mentioned": gaps,
            "actions": [
                {"reason": r, "title": f"Work on {r}", "steps": ["First, a concrete step.", "Then another."]}
                for r in chosen[:3]
            ],
            "follow_up": "Subject: Thank you\n\nDear [Name],\n\n" + "Thank you for letting me know. " * 40,
            "language": "en",
            "warnings": [],
            "model_version": "0.1.0",
        }
        failed = i % 997 == 3
        rows.append(
            {
                "student_id": rng.choice(students),
                "date": f"{month}-{rng.randint(1, 28):02d}",
                "employer": rng.choice(SECTORS[sector]),
                "sector": sector,
                "stage": rng.choice(STAGES),
                "cohort": rng.choice(COHORTS),
                "feedback": "Thank you for applying. " + " ".join(rng.choice(words) for _ in range(60)),
                "analysis": None if failed else analysis,
                "error": "empty cell" if failed else "",
            }
        )
    return rows


def write_files(rows: list[dict], folder: Path) -> dict[str, Path]:
    """The rows as batch's JSONL output, and as its CSV output (flattened as trends reads the JSONL)."""
    import pandas as pd

    sys.path.insert(0, str(ROOT))
    from analyser.trends import _flatten_jsonl

    jsonl = folder / "analysed.jsonl"
    with open(jsonl, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row) + "\n")
    flat = _flatten_jsonl(pd.DataFrame(rows))
    flat["score_unspecified"] = 0.0
    csv = folder / "analysed.csv"
    flat.to_csv(csv, index=False)
    return {"csv": csv, "jsonl": jsonl}


PHASES = """
import json, sys, time
t0, c0 = time.perf_counter(), time.process_time()
out = {}
def lap(name):
    global t0, c0
    t, c = time.perf_counter(), time.process_time()
    out[name] = {"wall": round(t - t0, 3), "cpu": round(c - c0, 3)}
    t0, c0 = t, c
import inspect
from analyser.trends import aggregate, load_rows
from analyser.trends_report import write_report
lap("import")
# only the columns the report reads, where the code can (what `analyser trends` does once it passes report_only)
only = {"report_only": True} if "report_only" in inspect.signature(load_rows).parameters else {}
rows = load_rows(sys.argv[1], **only); lap("reading")
t = aggregate(rows); lap("aggregating")
write_report(t, sys.argv[2]); lap("report")
out["report_only"] = bool(only)
print(json.dumps(out))
"""


def _run(code: str, args: list[str], revision_dir: Path | None) -> tuple[str, float, float, float]:
    """Run `code` in a fresh interpreter (importing analyser from `revision_dir` when given): its stdout, wall
    seconds, CPU seconds and peak memory in MB, of that process alone."""
    if revision_dir is not None:
        # the editable install's finder comes before sys.path: dropped, so the revision's package is the one imported
        code = (
            "import sys\n"
            "sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in getattr(f, '__module__', '') + str(f)]\n"
            f"sys.path.insert(0, {str(revision_dir)!r})\n" + code
        )
    # VmHWM at exit, not ru_maxrss: a child's ru_maxrss keeps the high-water mark of this (large) process it forked from
    code = (
        "import atexit, os\n"
        "atexit.register(lambda: open(os.environ['BENCH_HWM'], 'w').write(next(l for l in open('/proc/self/status') "
        "if l.startswith('VmHWM')).split()[1]))\n" + code
    )
    with tempfile.TemporaryFile("w+") as out, tempfile.NamedTemporaryFile("r") as hwm:
        env = {
            **os.environ,
            "ANALYSER_DATA_DIR": str(ROOT / "data"),
            "ANALYSER_MODELS_DIR": str(ROOT / "models"),
            "BENCH_HWM": hwm.name,
        }
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=out, stderr=subprocess.DEVNULL, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            raise RuntimeError(f"exit {proc.returncode}: {code[-200:]}")
        out.seek(0)
        return out.read(), wall, usage.ru_utime + usage.ru_stime, int(hwm.read() or 0) / 1024


CLI = "import sys\nfrom analyser.cli import main\nsys.argv = ['analyser', 'trends', sys.argv[1], '-o', sys.argv[2]]\nmain()\n"


def measure(path: Path, out: Path, revision_dir: Path | None) -> dict:
    """The CLI end to end (wall, CPU, peak memory of its process), then the steps in a process of their own."""
    _, wall, cpu, peak = _run(CLI, [str(path), str(out)], revision_dir)
    steps, s_wall, s_cpu, s_peak = _run(PHASES, [str(path), str(out)], revision_dir)
    steps = json.loads(steps.strip().splitlines()[-1])
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "peak_mb": round(peak),
        "steps_wall_s": round(s_wall, 2),
        "steps_cpu_s": round(s_cpu, 2),
        "steps_peak_mb": round(s_peak),
        "report_only": steps.pop("report_only", False),
        "steps": steps,
    }


def _median_run(runs: list[dict]) -> dict:
    """The median of each figure over the rounds (steps too), with the range of the CLI's wall and CPU time."""
    out = {k: round(statistics.median(r[k] for r in runs), 2) for k in runs[0] if isinstance(runs[0][k], (int, float))}
    out["report_only"] = runs[0]["report_only"]
    out["steps"] = {
        step: {k: round(statistics.median(r["steps"][step][k] for r in runs), 3) for k in ("wall", "cpu")}
        for step in runs[0]["steps"]
    }
    out["range"] = {k: [min(r[k] for r in runs), max(r[k] for r in runs)] for k in ("wall_s", "cpu_s")}
    out["rounds"] = len(runs)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--formats", nargs="+", default=["csv", "jsonl"], choices=["csv", "jsonl"])
    parser.add_argument("--before", help="also measure the code of this git revision (e.g. a commit before a change)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, the versions taking turns in each (medians)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    results = {"rows": args.rows, "cores": os.cpu_count(), "rounds": args.rounds, "runs": []}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        files = write_files(analysed_rows(args.rows), tmp)
        os.sync()  # the files written out first, so no version pays for the others' dirty pages
        results["file_mb"] = {k: round(v.stat().st_size / 1e6, 1) for k, v in files.items()}
        versions: list[tuple[str, Path | None]] = [("now", None)]
        if args.before:
            old = tmp / "before"
            old.mkdir()
            archive = subprocess.run(
                ["git", "archive", args.before, "analyser"], cwd=ROOT, capture_output=True, check=True
            )
            subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
            versions.insert(0, (args.before, old))
        for fmt in args.formats:
            rounds: dict[str, list[dict]] = {name: [] for name, _ in versions}
            for _ in range(args.rounds):
                for name, folder in versions:
                    rounds[name].append(measure(files[fmt], tmp / f"report-{fmt}.html", folder))
            for name, _ in versions:
                r = _median_run(rounds[name])
                r.update({"format": fmt, "code": name})
                results["runs"].append(r)
                s = r["steps"]
                print(
                    f"{fmt} ({results['file_mb'][fmt]} MB), code {name}, median of {args.rounds}: CLI {r['wall_s']} s "
                    f"wall ({r['range']['wall_s'][0]}-{r['range']['wall_s'][1]}), {r['cpu_s']} s CPU, {r['peak_mb']:.0f} MB "
                    f"peak; steps{' (report columns only)' if r['report_only'] else ''} {r['steps_wall_s']} s wall, "
                    f"{r['steps_cpu_s']} s CPU, {r['steps_peak_mb']:.0f} MB: "
                    + ", ".join(f"{k} {v['wall']} s ({v['cpu']} s CPU)" for k, v in s.items()),
                    flush=True,
                )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
