"""The demo file for trends: `python -m analyser.demo` writes data/demo/feedback.csv (fixed seed, same file each time).

2,400 rejections of 400 fictional students over 18 months, across sectors, employers, stages and cohorts, with drift
built in: skills gaps rise steadily in Technology, and two employers almost never give a reason. Texts are drawn from
the labelled training documents (all fictional), so the demo also shows redaction of names in quotes.
"""

from __future__ import annotations

import random
import sys

import pandas as pd

from .config import DATA_DIR, SEED
from .dataset import load_split

OUT = DATA_DIR / "demo" / "feedback.csv"
MONTHS = pd.period_range("2025-01", "2026-06", freq="M")
SECTORS = {
    "Technology": ["Northwind Software", "Bluefin Analytics", "Kestrel Cloud", "Orbit Labs"],
    "Finance": ["Harbour Bank", "Meridian Capital", "Crowngate Insurance", "Ledgerline"],
    "Healthcare": ["St Aidan's NHS Trust", "Willow Care Group", "Brightwell Clinics"],
    "Education": ["Riverside Academy Trust", "Oakfield College", "Learnwell Tutors"],
    "Public sector": ["City Council", "Department for Transport", "Civic Housing"],
    "Retail": ["Marlow & Finch", "Greenbasket Stores", "Urban Threads"],
}
SILENT_EMPLOYERS = {"Kestrel Cloud", "Greenbasket Stores"}  # templates with no reason, almost always
COHORTS = ["BSc Computer Science", "BA Economics", "BSc Nursing", "BA History", "MSc Data Science", "BEng Mechanical"]
STAGES = ["application", "assessment", "interview", "final"]


def make_demo(rows: int = 2400, students: int = 400, seed: int = SEED) -> pd.DataFrame:
    rng = random.Random(seed)
    docs = [d for d in load_split("train") if len(d.text) < 2500]
    by_reason: dict[str, list] = {}
    for d in docs:
        for r in d.reasons:
            by_reason.setdefault(r, []).append(d)
    student_cohort = {f"S{n:04d}": rng.choice(COHORTS) for n in range(1, students + 1)}
    ids = list(student_cohort)
    records = []
    for _ in range(rows):
        month_index = rng.randrange(len(MONTHS))
        month = MONTHS[month_index]
        sector = rng.choice(list(SECTORS))
        employer = rng.choice(SECTORS[sector])
        progress = month_index / (len(MONTHS) - 1)
        if employer in SILENT_EMPLOYERS and rng.random() < 0.85:
            reason = "unspecified"
        elif sector == "Technology" and rng.random() < 0.05 + 0.75 * progress:
            reason = "skills"  # the drift: skills gaps rise in Technology
        else:
            reason = rng.choice(
                [
                    "unspecified",
                    "unspecified",
                    "experience",
                    "skills",
                    "fit",
                    "interview",
                    "competition",
                    "logistics",
                    "application",
                ]
            )
        doc = rng.choice(by_reason[reason])
        student = rng.choice(ids)
        day = rng.randint(1, 28)
        records.append(
            {
                "student_id": student,
                "date": f"{month.year}-{month.month:02d}-{day:02d}",
                "employer": employer,
                "sector": sector,
                "stage": doc.stage if doc.stage != "unknown" else rng.choice(STAGES),
                "cohort": student_cohort[student],
                "feedback": doc.text,
            }
        )
    return pd.DataFrame(records).sort_values(["date", "student_id"], kind="stable").reset_index(drop=True)


def main() -> int:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    df = make_demo()
    df.to_csv(OUT, index=False)
    print(f"wrote {len(df):,} rows to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
