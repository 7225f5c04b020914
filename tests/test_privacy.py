"""Small groups stay hidden: an attacker who differences the trends tables recovers nothing below the threshold."""

import math

import pandas as pd
import pytest
from typer.testing import CliRunner

from analyser.cli import app
from analyser.privacy import WITHHELD, secondary
from analyser.trends import aggregate

MIN = 5
REASONS = ["experience", "skills", "fit", "interview", "application", "competition", "logistics", "unspecified"]


def rows() -> pd.DataFrame:
    """25 students, 3 rejections each: 12 in Tech, 10 in Health, 3 in Arts (a group too small to show)."""
    out = []
    for s in range(25):
        sector = "Tech" if s < 12 else "Health" if s < 22 else "Arts"
        employer = "Acme" if s % 3 else "Initech" if s < 20 else "Tiny"
        for j in range(3):
            reasons = ["skills"] if s % 2 else ["experience"]
            if s in (3, 14):  # two students with an interview reason: too few to show anywhere
                reasons.append("interview")
            out.append(
                {
                    "student_id": f"S{s:02d}",
                    "date": f"2026-0{1 + (s + j) % 3}-10",
                    "sector": sector,
                    "employer": employer,
                    "reasons": ";".join(reasons),
                    "score_unspecified": 0.0,
                    "door_open": s == 7,
                    "skills_mentioned": "SQL" if s < 3 else "",
                    "error": "",
                }
            )
    return pd.DataFrame(out)


def hidden(v) -> bool:
    return isinstance(v, str) or v is None or (isinstance(v, float) and math.isnan(v))


def number(v) -> int:
    return int(float(v))


def attack(tables: dict[str, pd.DataFrame], headline: dict) -> list[str]:
    """Every way to work a hidden value out of the shown ones; each finding is a leak."""
    leaks = []
    overall = tables["overall"].set_index("reason")
    partitions = {name: df for name, df in tables.items() if name.startswith("by_") or name == "over_time"}
    partitions["employers"] = tables["employers"]
    for name, df in partitions.items():
        if df.empty:
            continue
        lines = {"rows": number(headline["analysed"])}
        if "students" in df and not hidden(headline["students"]) and name == "over_time":
            pass  # a student can be in several periods: student counts do not add up to the headline
        for r in REASONS:
            if f"{r}_count" in df and not hidden(overall.loc[r, "count"]):
                lines[f"{r}_count"] = number(overall.loc[r, "count"])
        for col, total in lines.items():
            if col not in df:
                continue
            if name == "over_time" and col == "rows":
                continue  # rows without a readable date are left out: no exact total (and none here)
            cells = df[col].tolist()
            gone = [c for c in cells if hidden(c)]
            if not gone:
                continue
            rest = total - sum(number(c) for c in cells if not hidden(c))
            if len(gone) == 1:
                leaks.append(f"{name}.{col}: the one hidden cell is {rest}")
            elif 0 < rest < MIN:
                leaks.append(f"{name}.{col}: the hidden cells add up to {rest}")
        for r in REASONS:
            if f"{r}_count" not in df:
                continue
            for row in df.to_dict("records"):
                if hidden(row[f"{r}_count"]):
                    for suffix in ("_share", "_ci_low", "_ci_high"):
                        if not hidden(row[f"{r}{suffix}"]):
                            leaks.append(f"{name}: {r}{suffix} shown for a hidden count")
                elif not hidden(row["rows"]) and not hidden(row[f"{r}_share"]):
                    k = round(row[f"{r}_share"] * number(row["rows"]))
                    if 0 < k < MIN:
                        leaks.append(f"{name}: share x rows gives {k} for {r}")
    for r in REASONS:
        c, share = overall.loc[r, "count"], overall.loc[r, "share"]
        if hidden(c) and not hidden(share):
            leaks.append(f"overall: share of hidden {r} shown")
    for df_name in ("skills", "actions", "strengths"):
        df = tables[df_name]
        for v in df.get("count", []):
            if not hidden(v) and 0 < number(v) < MIN:
                leaks.append(f"{df_name}: count {v}")
    return leaks


def test_secondary_suppression_hides_a_complement():
    people = [frozenset(range(12)), frozenset(range(12, 22)), frozenset(range(22, 25))]
    assert secondary(people, {2}, MIN) == {1, 2}  # 25 - 12 gives Health + Arts together, never Arts alone
    assert secondary(people, set(), MIN) == set()
    two_small = [frozenset({1}), frozenset({2}), frozenset(range(3, 30))]
    assert secondary(two_small, {0, 1}, MIN) == {0, 1, 2}  # 1 + 2 people together are still fewer than 5


def test_small_groups_are_counted_by_students_and_hidden_with_their_rows():
    t = aggregate(rows(), by=["sector"], min_group=MIN)
    by = t.segments["sector"].set_index("sector")
    assert by.loc["Arts", "rows"] == "<5" and by.loc["Arts", "students"] == "<5"  # 3 students, 9 rows
    assert by.loc["Health", "rows"] == WITHHELD  # else 25 - 12 - 10 gives Arts
    assert by.loc["Tech", "rows"] == 36 and by.loc["Tech", "students"] == 12
    assert t.overall.set_index("reason").loc["interview", "count"] == "<5"  # 6 rows but 2 students


def test_differencing_the_report_tables_recovers_nothing():
    t = aggregate(rows(), by=["sector", "employer"], date_column="date", min_group=MIN)
    assert attack(t.tables(), t.headline) == []
    assert t.headline["door_open_share"] is None  # one student's door left open, times 75 rows, is a count


def test_the_attack_finds_the_leaks_of_primary_suppression_alone():
    # the same tables with only the small cells hidden: the attack must see through them (it can fail)
    t = aggregate(rows(), by=["sector"], min_group=MIN)
    tables = t.tables()
    naive = tables["by_sector"].copy()
    naive.loc[naive["sector"] == "Health", "rows"] = 30
    assert any("the one hidden cell is 9" in leak for leak in attack({**tables, "by_sector": naive}, t.headline))


def test_differencing_the_csv_tables_recovers_nothing(tmp_path):
    src = tmp_path / "analysed.csv"
    rows().to_csv(src, index=False)
    out = tmp_path / "tables"
    result = CliRunner().invoke(
        app, ["trends", str(src), "-o", str(tmp_path / "r.html"), "--csv", str(out), "--by", "sector,employer"]
    )
    assert result.exit_code == 0, result.output
    tables = {p.stem: pd.read_csv(p, dtype=object) for p in out.glob("*.csv")}
    tables = {
        k: df.map(lambda v: v if isinstance(v, str) and v.startswith("<") or v == WITHHELD else _num(v))
        for k, df in tables.items()
    }
    headline = tables["headline"].iloc[0].to_dict()
    assert attack(tables, headline) == []
    html = (tmp_path / "r.html").read_text()
    assert "S03" not in html and "S14" not in html


def _num(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return v


@pytest.mark.parametrize("min_group", [2, 5, 10])
def test_no_shown_count_is_below_the_threshold(min_group):
    t = aggregate(rows(), by=["sector", "employer"], date_column="date", min_group=min_group)
    for name, df in t.tables().items():
        for col in [c for c in df.columns if c.endswith("_count") or c in ("count", "students")]:
            for v in df[col]:
                assert hidden(v) or v == 0 or v >= min_group, (name, col, v)
