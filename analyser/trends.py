"""Trends across many analysed rejections, for careers advisers: tables with counts, shares and 95% Wilson intervals,
changes between periods flagged only when significant, and small groups suppressed.

`aggregate()` returns plain DataFrames (the numbers in the report and in --csv); `analyser.trends_report` draws them.
"""

from __future__ import annotations

import json
import math
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .privacy import WITHHELD, redact, secondary, suppress
from .tables import TableError, read_table
from .taxonomy import load_taxonomy

ROLE_NAMES = {
    "date": ("date", "sent", "sent_date", "received", "received_date", "decision_date", "rejection_date", "timestamp"),
    "employer": ("employer", "company", "organisation", "organization", "firm"),
    "sector": ("sector", "industry"),
    "stage": ("stage", "application_stage"),
    "cohort": ("cohort", "course", "programme", "program", "degree", "year_group"),
    "student": ("student_id", "student", "studentid", "learner_id", "candidate_id"),
}
FREQS = {"M": "M", "Q": "Q", "Y": "Y"}
NOT_GIVEN = "(not given)"  # the group of rows whose cell is blank
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
ALPHA = 0.05
MAX_QUOTES = 3


@dataclass
class Trends:
    """Everything the report shows, as data."""

    headline: dict
    overall: pd.DataFrame
    over_time: pd.DataFrame
    changes: pd.DataFrame
    segments: dict[str, pd.DataFrame]
    skills: pd.DataFrame
    employers: pd.DataFrame
    strengths: pd.DataFrame
    actions: pd.DataFrame
    quotes: dict[str, list[str]]
    methods: dict
    min_group: int
    roles: dict[str, str] = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        out = {
            "overall": self.overall,
            "over_time": self.over_time,
            "changes": self.changes,
            "skills": self.skills,
            "employers": self.employers,
            "strengths": self.strengths,
            "actions": self.actions,
            "headline": pd.DataFrame([self.headline]),
        }
        out.update({f"by_{name}": df for name, df in self.segments.items()})
        return out


# -- statistics ------------------------------------------------------------------------------------------------------
def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval for k successes in n trials."""
    if n == 0:
        return (0.0, 0.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def two_proportion_p(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided p-value of the pooled two-proportion z-test."""
    if not n1 or not n2:
        return 1.0
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0
    z = (k1 / n1 - k2 / n2) / se
    return math.erfc(abs(z) / math.sqrt(2))


def holm(pvalues: list[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values, in the input order."""
    order = sorted(range(len(pvalues)), key=lambda i: pvalues[i])
    adjusted = [1.0] * len(pvalues)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(pvalues) - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted


# -- loading ---------------------------------------------------------------------------------------------------------
def is_analysed(columns) -> bool:
    cols = set(map(str, columns))
    return {"reasons", "error", "score_unspecified"} <= cols or {"analysis", "error"} <= cols


def load_rows(path: Path, *, text_column: str | None = None, workers: int = 1, model=None) -> pd.DataFrame:
    """The analysed rows of a batch output, or of a raw feedback file analysed now (same options as batch)."""
    path = Path(path)
    frames = list(read_table(path, chunk_rows=50_000))
    if not frames:
        raise TableError(f"{path.name} has no rows")
    df = pd.concat(frames, ignore_index=True)
    df.columns = [str(c) for c in df.columns]
    if df.empty:
        raise TableError(f"{path.name} has no rows, only a header")
    if not is_analysed(df.columns):
        from .batch import run_batch

        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "analysed.jsonl"
            kwargs = {"model": model} if model else {}
            run_batch(path, out, text_column=text_column, workers=workers, **kwargs)
            df = pd.concat(read_table(out, chunk_rows=50_000), ignore_index=True)
    df = _own_names(df)
    if "analysis" in df.columns:
        df = _flatten_jsonl(df)
    return df


# The analysis columns of batch outputs written before evidence, strength aspects and skill gaps were added.
_LEGACY = ("evidence", "strength_aspects", "skills_gaps")


def _own_names(df: pd.DataFrame) -> pd.DataFrame:
    """A batch output whose analysis columns were suffixed (`error_analysis`, because the input had an `error`
    column) with the analysis columns under their own names again, and the input's clashing columns as `<name>_input`.

    The analysis columns are the output's last ones, in batch's order, so they are found by position, not by name.
    The input's `stage` keeps its name (it is the stage on record) and the analysed stage is `stage_analysis`.
    """
    from .batch import SUFFIX, output_columns

    columns = list(map(str, df.columns))
    current = output_columns()
    for ours in (["analysis", "error"], current, [c for c in current if c not in _LEGACY]):
        tail = columns[-len(ours) :]
        base = [re.sub(f"(?:{SUFFIX})+$", "", c) for c in tail]
        if len(columns) > len(ours) and base == ours and tail != ours:
            break
    else:
        return df
    inputs = columns[: -len(ours)]
    targets = [("stage_analysis" if b == "stage" and "stage" in inputs else b) for b in base]
    renamed = {c: f"{c}_input" for c in inputs if c in targets}
    out = df.copy()
    out.columns = [renamed.get(c, c) for c in inputs] + targets
    return out


def _flatten_jsonl(df: pd.DataFrame) -> pd.DataFrame:
    """Batch JSONL rows (input columns + an `analysis` object) as the batch CSV's columns, plus evidence and aspects."""
    tax = load_taxonomy()
    rows = []
    for a in df["analysis"]:
        if not isinstance(a, dict):
            rows.append(
                {
                    "reasons": "",
                    "stage_analysis": "",
                    "door_open": None,
                    "feedback_offered": None,
                    "feedback_declined": None,
                    "skills_mentioned": "",
                    "skills_gaps": "",
                    "actions": "",
                    "strength_aspects": "",
                    "evidence": "{}",
                }
            )
            continue
        rows.append(
            {
                "reasons": ";".join(r["reason"] for r in a["reasons"]),
                "stage_analysis": a["stage"],
                **{s: a["signals"][s] for s in tax.signals},
                "skills_mentioned": ";".join(a["skills_mentioned"]),
                "skills_gaps": ";".join(_gaps(a)),
                "actions": ";".join(x["title"] for x in a["actions"]),
                "strength_aspects": ";".join(s["aspect"] for s in a["strengths"]),
                "evidence": json.dumps({r["reason"]: r["evidence"] for r in a["reasons"]}),
            }
        )
    flat = pd.DataFrame(rows, index=df.index)
    base = df.drop(columns=["analysis"])
    base = base.rename(columns={c: f"{c}_input" for c in flat.columns if c in base.columns and c != "stage_analysis"})
    out = pd.concat([base, flat], axis=1)
    if "stage" not in base.columns:
        out = out.rename(columns={"stage_analysis": "stage"})
    return out


def _gaps(a: dict) -> list[str]:
    """The skills an analysis names as gaps (from the skills named in gap evidence when it has no skills_gaps)."""
    if a.get("skills_gaps") is not None:
        return list(a["skills_gaps"])
    said = " ".join(e for r in a["reasons"] for e in r["evidence"]).lower()
    return [s for s in a["skills_mentioned"] if s.lower() in said]


def find_roles(columns, *, date_column: str | None, by: list[str]) -> dict[str, str]:
    """Which input column plays each optional role; named columns that do not exist are an error listing the columns."""
    cols = [str(c) for c in columns]
    for name in [date_column, *by]:
        if name is not None and name not in cols:
            raise TableError(f"column '{name}' not found; columns are: {', '.join(cols)}")
    lower = {c.lower(): c for c in cols}
    roles = {}
    for role, names in ROLE_NAMES.items():
        found = next((lower[n] for n in names if n in lower), None)
        if found:
            roles[role] = found
    if date_column:
        roles["date"] = date_column
    return roles


def refuse_overwrite(input_path: Path, output: Path, csv_dir: Path | None) -> None:
    """A TableError when the report or the tables would overwrite the input (tables go to a folder of their own)."""
    source = Path(input_path).resolve()
    if Path(output).resolve() == source:
        raise TableError("the report would overwrite the input; choose another --output name")
    if csv_dir is not None and Path(csv_dir).resolve() == source.parent:
        raise TableError(
            f"the --csv folder {csv_dir} holds the input file; its tables (overall.csv, skills.csv, ...) could overwrite "
            "it or files beside it: choose an empty folder"
        )


def write_tables(t: Trends, folder: Path) -> list[Path]:
    """Every table as a CSV file in `folder`, safe to open in a spreadsheet (cells and headers neutralised)."""
    from .tables import write_csv

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, df in t.tables().items():
        path = folder / (re.sub(r"[^\w.-]+", "_", name) + ".csv")  # a --by column may be named "a/b"
        write_csv(df, path)
        paths.append(path)
    return paths


# -- aggregation -----------------------------------------------------------------------------------------------------
def _labels(series: pd.Series) -> pd.Series:
    """Group names as shown: control characters dropped, blank cells one group, '(not given)'."""
    text = series.map(
        lambda v: "" if v is None or (isinstance(v, float) and v != v) else _CONTROL.sub("", str(v)).strip()
    )
    return text.mask(text == "", NOT_GIVEN)


def _split(cell) -> list[str]:
    return [x for x in str(cell).split(";") if x] if isinstance(cell, str) else []


def _truthy(v) -> bool:
    return (
        v is True
        or (isinstance(v, str) and v.strip().lower() == "true")
        or (not isinstance(v, str) and bool(v) and v == v and v is not None)
    )


def _group_size(df: pd.DataFrame, student: str | None) -> int:
    return int(df[student].nunique()) if student else len(df)


def _people(df: pd.DataFrame, student: str | None) -> frozenset:
    """Who is behind some rows: their distinct student ids, or the rows themselves when there is no id column."""
    return frozenset(df[student].astype(str)) if student else frozenset(df.index)


def _having(df: pd.DataFrame, reason: str) -> pd.DataFrame:
    return df[df["_reasons"].map(lambda rs: reason in rs)]


def _mark(people: frozenset, min_group: int) -> str:
    return f"<{min_group}" if len(people) < min_group else WITHHELD


def _partition(
    parts: list[tuple[str, pd.DataFrame]], key: str, reasons: list[str], student: str | None, min_group: int
) -> pd.DataFrame:
    """One row per group of a partition (every row is in one group): rows, students and, per reason, count, share and
    Wilson interval. A group or a count of fewer than `min_group` students is withheld with its share, and so are as
    many other cells as it takes that no total minus the shown cells gives one back (secondary suppression)."""
    frames = [part for _, part in parts]
    people = [_people(part, student) for part in frames]
    hidden_groups = secondary(people, {i for i, p in enumerate(people) if len(p) < min_group}, min_group)
    rows = []
    for i, (label, part) in enumerate(parts):
        shown = i not in hidden_groups
        rows.append(
            {
                key: str(label),
                "rows": len(part) if shown else _mark(people[i], min_group),
                "students": len(people[i]) if shown else _mark(people[i], min_group),
            }
        )
    for r in reasons:
        having = [_having(part, r) for part in frames]
        cells = [_people(h, student) for h in having]
        small = {i for i, c in enumerate(cells) if 0 < len(c) < min_group} | hidden_groups
        hidden = secondary(cells, small, min_group)
        for i, row in enumerate(rows):
            k, n = len(having[i]), len(frames[i])
            if i in hidden or not n:
                row.update({f"{r}_count": _mark(cells[i], min_group) if i in hidden else k})
                row.update({f"{r}_share": None, f"{r}_ci_low": None, f"{r}_ci_high": None})
                continue
            lo, hi = wilson(k, n)
            row.update({f"{r}_count": k, f"{r}_share": round(k / n, 4)})
            row.update({f"{r}_ci_low": round(lo, 4), f"{r}_ci_high": round(hi, 4)})
    return pd.DataFrame(rows)


def aggregate(
    df: pd.DataFrame,
    *,
    date_column: str | None = None,
    by: list[str] | None = None,
    freq: str = "M",
    min_group: int = 5,
    model_version: str = "",
) -> Trends:
    """All the report's numbers from analysed rows."""
    tax = load_taxonomy()
    by = list(by or [])
    if freq not in FREQS:
        raise TableError(f"--freq must be one of {', '.join(FREQS)}")
    roles = find_roles(df.columns, date_column=date_column, by=by)
    student = roles.get("student")
    reasons = list(tax.reason_names)
    total = len(df)
    errors = df["error"].fillna("").astype(str) if "error" in df.columns else pd.Series([""] * total)
    ok = df[errors.str.len() == 0].copy()
    ok["_reasons"] = ok["reasons"].map(lambda c: set(_split(c)))
    excluded = errors[errors.str.len() > 0].value_counts().to_dict()
    if ok.empty:
        reasons_why = ", ".join(f"{why}: {n:,}" for why, n in list(excluded.items())[:3])
        raise TableError(f"none of the {total:,} rows could be analysed ({reasons_why}); there is nothing to report")

    dates = None
    if "date" in roles:
        dates = pd.to_datetime(ok[roles["date"]], errors="coerce", dayfirst=False, format="mixed")
        bad_dates = int(dates.isna().sum())
        ok["_period"] = dates.dt.to_period(FREQS[freq]).astype(str)
    else:
        bad_dates = 0

    overall = pd.DataFrame([{"reason": r, **_reason_row(ok, r, student, min_group)} for r in reasons])
    segment_columns = by or [roles[k] for k in ("sector", "stage", "employer", "cohort") if k in roles]
    over_time, changes = (
        _over_time(ok, reasons, student, min_group, segment_columns)
        if dates is not None
        else (pd.DataFrame(), pd.DataFrame())
    )
    segments = {}
    for col in segment_columns:
        segments[col] = _partition(list(ok.groupby(_labels(ok[col]), sort=True)), col, reasons, student, min_group)
    # skills named as gaps only: praised skills and words from the role title are not what holds students back
    skills_from = "skills_gaps" if "skills_gaps" in ok else "skills_mentioned"
    who = ok[student].astype(str) if student else None
    skills = _counts(ok[skills_from] if skills_from in ok else pd.Series(dtype=str), "skill", min_group, who=who)
    actions = _counts(ok["actions"] if "actions" in ok else pd.Series(dtype=str), "action", min_group, who=who)
    if "strength_aspects" in ok.columns:
        strengths = _counts(ok["strength_aspects"], "aspect", min_group, who=who)
    else:
        praised = pd.to_numeric(ok.get("strengths", pd.Series(dtype=float)), errors="coerce").fillna(0).gt(0)
        praised_people = len(_people(ok[praised], student)) if len(praised) else 0
        strengths = pd.DataFrame(
            [
                {
                    "aspect": "some strength (this file does not say which)",
                    "count": int(praised.sum()) if praised_people >= min_group else f"<{min_group}",
                }
            ]
        )
    employers = _employers(ok, roles.get("employer"), student, min_group)
    quotes = _quotes(ok, reasons) if "evidence" in ok.columns else {}
    size = _group_size(ok, student)
    # shares of a group this small are withheld, in the headline too; and a share of fewer students than that
    no_reason_people = len(_people(ok[ok["_reasons"].map(lambda s: s == {tax.none_reason})], student))
    door_people = len(_people(ok[ok["door_open"].map(_truthy)], student)) if "door_open" in ok else 0
    shown = size >= min_group
    headline = {
        "rows": total,
        "analysed": len(ok),
        "excluded": total - len(ok),
        "students": suppress(size, min_group) if student else "",
        "no_reason_share": round(float(ok["_reasons"].map(lambda s: s == {tax.none_reason}).mean()), 4)
        if shown and not 0 < no_reason_people < min_group
        else None,
        "door_open_share": round(float(ok["door_open"].map(_truthy).mean()), 4)
        if shown and "door_open" in ok and not 0 < door_people < min_group
        else None,
        "date_from": str(dates.min().date()) if dates is not None and dates.notna().any() else "",
        "date_to": str(dates.max().date()) if dates is not None and dates.notna().any() else "",
    }
    methods = {
        "model_version": model_version,
        "rows": total,
        "analysed": len(ok),
        "excluded": excluded,
        "rows_without_a_readable_date": bad_dates,
        "frequency": freq,
        "min_group": min_group,
        "groups_counted_by": "distinct students" if student else "rows (no student id column)",
        "skills": "named as gaps" if skills_from == "skills_gaps" else "named anywhere in the feedback",
        "test": f"two-proportion z-tests between consecutive periods, and between the first and last period overall and within "
        f"each group, Holm-corrected together across {len(changes)} comparisons, alpha {ALPHA}",
    }
    return Trends(
        headline,
        overall,
        over_time,
        changes,
        segments,
        skills,
        employers,
        strengths,
        actions,
        quotes,
        methods,
        min_group,
        roles,
    )


def _reason_row(ok: pd.DataFrame, reason: str, student, min_group: int) -> dict:
    n = len(ok)
    part = ok[ok["_reasons"].map(lambda rs: reason in rs)]
    k = len(part)
    size = _group_size(part, student)
    lo, hi = wilson(k, n)
    small = 0 < size < min_group  # none at all names nobody: 0 is shown
    return {
        "count": f"<{min_group}" if small else k,
        "share": None if small else round(k / n, 4) if n else None,
        "ci_low": None if small else round(lo, 4),
        "ci_high": None if small else round(hi, 4),
    }


def _compare(ok, group: str, a: str, b: str, reasons, student, min_group, withheld=frozenset()) -> list[dict]:
    """Tests of each reason's share between periods a and b within one group (none when either is too small).

    A reason is not tested when either period's count is below the minimum group size or `withheld` (period, reason)
    in the table over time: its shares (and p-value) would give the count back."""
    pa, pb = ok[ok["_period"] == a], ok[ok["_period"] == b]
    if _group_size(pa, student) < min_group or _group_size(pb, student) < min_group:
        return []
    tests = []
    for r in reasons:
        ha, hb = _having(pa, r), _having(pb, r)
        if (a, r) in withheld or (b, r) in withheld:
            continue
        if 0 < len(_people(ha, student)) < min_group or 0 < len(_people(hb, student)) < min_group:
            continue
        ka, kb = len(ha), len(hb)
        tests.append(
            {
                "group": group,
                "reason": r,
                "from": a,
                "to": b,
                "share_from": round(ka / len(pa), 4),
                "share_to": round(kb / len(pb), 4),
                "p_value": two_proportion_p(ka, len(pa), kb, len(pb)),
            }
        )
    return tests


def _over_time(ok, reasons, student, min_group, segment_columns=()):
    """Shares per period; tests between consecutive periods, and first against last period overall and within each
    segment group (a slow drift shows there), all Holm-corrected together."""
    tests = []
    periods = sorted(p for p in ok["_period"].dropna().unique() if p != "NaT")
    table = _partition([(p, ok[ok["_period"] == p]) for p in periods], "period", reasons, student, min_group)
    withheld = {
        (row["period"], r) for row in table.to_dict("records") for r in reasons if isinstance(row[f"{r}_count"], str)
    }
    for a, b in zip(periods, periods[1:]):
        tests += _compare(ok, "all", a, b, reasons, student, min_group, withheld)
    if len(periods) > 2:
        tests += _compare(ok, "all", periods[0], periods[-1], reasons, student, min_group, withheld)
        for col in segment_columns:
            for g, part in ok.groupby(_labels(ok[col])):
                tests += _compare(part, f"{col}: {g}", periods[0], periods[-1], reasons, student, min_group)
    changes = pd.DataFrame(tests)
    if len(changes):
        changes["p_adjusted"] = holm(changes["p_value"].tolist())
        changes["significant"] = changes["p_adjusted"] < ALPHA
        changes["direction"] = (changes["share_to"] > changes["share_from"]).map({True: "up", False: "down"})
    return table, changes


def _counts(series: pd.Series, name: str, min_group: int, top: int = 20, who: pd.Series | None = None) -> pd.DataFrame:
    """The most frequent items of ;-joined cells, each counted in rows; '<N' when fewer than N students (`who`) have it."""
    who = who if who is not None else pd.Series(series.index, index=series.index)
    pairs = pd.DataFrame({"item": series.map(_split), "who": who}).explode("item").dropna(subset=["item"])
    if pairs.empty:
        return pd.DataFrame(columns=[name, "count"])
    counts = pairs.groupby("item").agg(n=("who", "size"), people=("who", "nunique")).reset_index()
    counts = counts.sort_values(["n", "item"], ascending=[False, True]).head(top)
    rows = [
        {name: item, "count": int(n) if people >= min_group else f"<{min_group}"}
        for item, n, people in counts.itertuples(index=False)
    ]
    return pd.DataFrame(rows, columns=[name, "count"])


def _employers(ok, column, student, min_group):
    if not column:
        return pd.DataFrame()
    tax = load_taxonomy()
    parts = list(ok.groupby(_labels(ok[column])))
    people = [_people(part, student) for _, part in parts]
    hidden = secondary(people, {i for i, p in enumerate(people) if len(p) < min_group}, min_group)
    # a share times the group size is a count: each share column is protected like a column of counts
    flags = {"no_reason_share": lambda part: part["_reasons"].map(lambda s: s == {tax.none_reason})}
    if "door_open" in ok:
        flags["door_open_share"] = lambda part: part["door_open"].map(_truthy)
    withheld = {}
    for col, flag in flags.items():
        cells = [_people(part[flag(part)], student) for _, part in parts]
        small = {i for i, c in enumerate(cells) if 0 < len(c) < min_group}
        withheld[col] = secondary(cells, small | hidden, min_group)
    rows = []
    for i, (name, part) in enumerate(parts):
        row = {"employer": name, "students" if student else "rows": len(people[i])}
        if i in hidden:
            row["students" if student else "rows"] = _mark(people[i], min_group)
        for col in ("no_reason_share", "door_open_share"):
            if col not in flags or i in withheld[col]:
                row[col] = None
            else:
                row[col] = round(float(flags[col](part).mean()), 4)
        rows.append(row)
    df = pd.DataFrame(rows)
    if len(df):
        df = df.sort_values(["no_reason_share", "employer"], ascending=[False, True], na_position="last").reset_index(
            drop=True
        )
    return df


def _quotes(ok, reasons) -> dict[str, list[str]]:
    """A few short, redacted evidence sentences per reason."""
    found: dict[str, list[str]] = {}
    for cell in ok["evidence"]:
        try:
            ev = json.loads(cell) if isinstance(cell, str) else {}
        except json.JSONDecodeError:
            continue
        for reason, sentences in ev.items():
            found.setdefault(reason, []).extend(s for s in sentences if 45 <= len(s) <= 220)
    return {
        r: [redact(s) for s in sorted(set(found.get(r, [])), key=len)[:MAX_QUOTES]] for r in reasons if found.get(r)
    }
