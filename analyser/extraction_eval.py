"""How well the employer, role and signer are found: precision and recall on written headers and sign-offs.

`python -m analyser.extraction_eval` prints the figures; `card_section()` is the model card's section about them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .config import DATA_DIR, LABELLED_DIR
from .mentions import find_mentions, same_name

EXTRACTION_SET = DATA_DIR / "extraction" / "headers.jsonl"
FIELDS = ("company", "role", "contact")
CARD_HEADING = "## Employer, role and contact extraction"


def load_cases(path: Path = EXTRACTION_SET) -> list[dict]:
    """The written cases: text, and the company, role and contact a careful reader would take from it (or null)."""
    rows = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            missing = {"id", "kind", "text", *FIELDS} - row.keys()
            if missing:
                raise ValueError(f"{path}:{n}: missing {', '.join(sorted(missing))}")
            rows.append(row)
    return rows


def labelled_cases(split: str, labelled_dir: Path = LABELLED_DIR) -> list[dict]:
    """Labelled documents of a split as cases (they carry role and company, not the contact)."""
    rows = []
    for path in sorted((labelled_dir / split).glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                d = json.loads(line)
                rows.append(
                    {
                        "id": d["id"],
                        "kind": d.get("register", ""),
                        "text": d["text"],
                        "company": d.get("company"),
                        "role": d.get("role"),
                    }
                )
    return rows


def measure(cases: list[dict], fields=FIELDS) -> dict:
    """Per field: precision (found names that are right), recall (names in the text that were found), and errors.

    A found name is right when it is the same name as the expected one, setting aside case, legal endings (Ltd,
    LLP), bracketed details and the words role/position/programme; a name found where none is expected is wrong.
    """
    out = {}
    for f in fields:
        tp = fp = expected = 0
        errors = []
        for case in cases:
            gold = case.get(f)
            got = getattr(find_mentions(case["text"]), f)
            expected += gold is not None
            if got is None:
                continue
            if gold is not None and same_name(got, gold):
                tp += 1
            else:
                fp += 1
                errors.append({"id": case["id"], "expected": gold, "found": got})
        found = tp + fp
        out[f] = {
            "precision": tp / found if found else 1.0,
            "recall": tp / expected if expected else 1.0,
            "found": found,
            "expected": expected,
            "correct": tp,
            "errors": errors,
        }
    return out


def card_section() -> str:
    """The model card's section on extraction, measured now: analyser.model_card appends it to models/README.md."""
    cases = load_cases()
    m = measure(cases)
    kinds = sorted({c["kind"] for c in cases})
    lines = [
        CARD_HEADING,
        "",
        f"The follow-up message names the employer, the role and the person who signed only when they are found for "
        f"sure; otherwise it says `[Company]`, `[Role]` or `[Name]` and a warning says so. Measured on "
        f"{len(cases)} written headers, greetings and sign-offs (`data/extraction/headers.jsonl`: {', '.join(kinds)}), "
        f"by `python -m analyser.extraction_eval`:",
        "",
        "| field | precision | recall | found | named in the text |",
        "|---|---|---|---|---|",
    ]
    for f in FIELDS:
        r = m[f]
        lines.append(f"| {f} | {r['precision']:.3f} | {r['recall']:.3f} | {r['found']} | {r['expected']} |")
    test = measure(labelled_cases("test"), fields=("company", "role"))
    lines += [
        "",
        f"On the labelled test split ({len(labelled_cases('test'))} documents, whose labels give role and company "
        f"where the writer named them; its errors were never read while writing the rules, its totals were): company precision "
        f"{test['company']['precision']:.3f} (recall {test['company']['recall']:.3f}), role precision "
        f"{test['role']['precision']:.3f} (recall {test['role']['recall']:.3f}).",
        "",
        "The rules were written with the training and dev splits' labels and the written set in view, so the written set's "
        'figures are optimistic. A labelled name the rules miss, or one they shorten ("DWP" for the Department '
        "for Work and Pensions), counts against them. A name counts as right when it is the same name once case, "
        "legal endings (Ltd, LLP), bracketed details and the words role, position and programme are set aside.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    which = argv[0] if argv else "written"
    cases = load_cases() if which == "written" else labelled_cases(which)
    fields = FIELDS if which == "written" else ("company", "role")
    for f, r in measure(cases, fields).items():
        print(
            f"{f}: precision {r['precision']:.3f} recall {r['recall']:.3f} ({r['correct']}/{r['found']} found right, "
            f"{r['expected']} named)"
        )
        if "-v" in argv:
            for e in r["errors"]:
                print(f"   {e['id']}: expected {e['expected']!r}, found {e['found']!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
