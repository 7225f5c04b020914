"""Trends benchmark: `analyser trends` on a large analysed file (CSV and JSONL batch outputs), wall and CPU time, peak
memory, and the time of each step (reading, aggregating, drawing the report) measured in the same process.

The analysed rows are generated (seeded): students, employers, sectors, stages, cohorts and months like the demo's, with
reasons, skill gaps, actions, strengths and evidence, and in the JSONL the whole analysis object as batch writes it
(scores, action steps, follow-up message), so the file is as large as a real output. `--before REV` also runs the code
of a git revision on the same files, in the same run, as the reference.

Usage: python benchmarks/trends_benchmark.py [--rows 100000] [--formats csv jsonl] [--before REV] [--json out.json]
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
from analyser.trends import aggregate, load_rows
from analyser.trends_report import write_report
lap("import")
rows = load_rows(sys.argv[1]); lap("reading")
t = aggregate(rows); lap("aggregating")
write_report(t, sys.argv[2]); lap("report")
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
    steps, *_ = _run(PHASES, [str(path), str(out)], revision_dir)
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "peak_mb": round(peak),
        "steps": json.loads(steps.strip().splitlines()[-1]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--formats", nargs="+", default=["csv", "jsonl"], choices=["csv", "jsonl"])
    parser.add_argument("--before", help="also measure the code of this git revision (e.g. a commit before a change)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    results = {"rows": args.rows, "cores": os.cpu_count(), "runs": []}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        files = write_files(analysed_rows(args.rows), tmp)
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
            for name, folder in versions:
                r = measure(files[fmt], tmp / f"report-{fmt}.html", folder)
                r.update({"format": fmt, "code": name})
                results["runs"].append(r)
                s = r["steps"]
                print(
                    f"{fmt} ({results['file_mb'][fmt]} MB), code {name}: {r['wall_s']} s wall, {r['cpu_s']} s CPU; steps "
                    + ", ".join(f"{k} {v['wall']} s ({v['cpu']} s CPU)" for k, v in s.items()),
                    flush=True,
                )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
