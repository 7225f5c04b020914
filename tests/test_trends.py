"""Trends: exact numbers on a small file with known counts, suppression, redaction, escaping, and the report in a browser."""

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from analyser.cli import app
from analyser.privacy import redact
from analyser.tables import TableError
from analyser.trends import aggregate, holm, load_rows, two_proportion_p, wilson
from analyser.trends_report import render

runner = CliRunner()


def analysed_rows() -> pd.DataFrame:
    """A batch-output-shaped table with known reasons: 20 rows in Jan, 20 in Feb; 12 students at Acme, 3 at Tiny."""
    rows = []
    for i in range(40):
        month = "2026-01" if i < 20 else "2026-02"
        employer = "Tiny Ltd" if i < 3 else "Acme <script>alert(1)</script>"
        reasons = (
            "skills"
            if i % 4 == 0
            else "unspecified"
            if i % 4 == 1
            else "experience;skills"
            if i % 4 == 2
            else "logistics"
        )
        rows.append(
            {
                "student_id": f"STU{i:03d}",
                "date": f"{month}-{(i % 20) + 1:02d}",
                "employer": employer,
                "sector": "Tech" if i % 2 else "Health",
                "feedback": "x",
                "reasons": reasons,
                "score_unspecified": 0.1,
                "door_open": i % 5 == 0,
                "skills_mentioned": "SQL;Python" if i % 4 == 0 else "",
                "actions": "Practise SQL",
                "strengths": 1 if i % 3 == 0 else 0,
                "error": "empty cell" if i == 39 else "",
            }
        )
    return pd.DataFrame(rows)


def test_statistics_helpers():
    lo, hi = wilson(5, 10)
    assert round(lo, 4) == 0.2366 and round(hi, 4) == 0.7634
    assert wilson(0, 0) == (0.0, 0.0)
    assert two_proportion_p(10, 100, 10, 100) == 1.0
    assert two_proportion_p(10, 100, 40, 100) < 0.001
    assert holm([0.01, 0.04, 0.03]) == [0.03, 0.06, 0.06]


def test_known_counts_are_exact():
    t = aggregate(analysed_rows(), by=["sector", "employer"], min_group=5)
    assert t.headline["rows"] == 40 and t.headline["analysed"] == 39 and t.headline["excluded"] == 1
    overall = t.overall.set_index("reason")
    # rows 0..38: i%4==0 -> skills (10), ==2 -> experience+skills (10), ==1 -> unspecified (10), ==3 -> logistics (9)
    assert overall.loc["skills", "count"] == 20 and overall.loc["skills", "share"] == round(20 / 39, 4)
    assert overall.loc["experience", "count"] == 10 and overall.loc["logistics", "count"] == 9
    lo, hi = wilson(20, 39)
    assert overall.loc["skills", "ci_low"] == round(lo, 4) and overall.loc["skills", "ci_high"] == round(hi, 4)
    assert list(t.over_time["period"]) == ["2026-01", "2026-02"]
    assert list(t.over_time["rows"]) == [20, 19]
    assert t.methods["excluded"] == {"empty cell": 1}
    skills = dict(zip(t.skills["skill"], t.skills["count"]))
    assert skills == {"SQL": 10, "Python": 10}


def test_small_groups_are_shown_as_less_than_n_never_as_a_number():
    t = aggregate(analysed_rows(), by=["employer"], min_group=5)
    tiny = t.segments["employer"].set_index("employer").loc["Tiny Ltd"]
    assert tiny["students"] == "<5" and tiny["rows"] == "<5"
    assert all(pd.isna(tiny[f"{r}_share"]) for r in ("skills", "experience", "unspecified"))
    emp = t.employers.set_index("employer").loc["Tiny Ltd"]
    assert emp["students"] == "<5" and pd.isna(emp["no_reason_share"])
    html = render(t)
    assert "Tiny Ltd" in html
    row = html[html.index("Tiny Ltd") : html.index("</tr>", html.index("Tiny Ltd"))]
    assert "&lt;5" in row and "%" not in row


def test_student_ids_never_appear_and_input_text_is_escaped():
    html = render(aggregate(analysed_rows(), by=["employer"], min_group=5))
    assert "STU0" not in html
    assert "<script>alert(1)</script>" not in html
    assert "Acme &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower()
    for fetch in ('src="http', "src='http", 'href="http', "url(http", "@import"):
        assert fetch not in html  # nothing fetched when it is opened


def test_quotes_are_redacted():
    text = (
        "Dear Priya Shah,\nCall 07700 900123 or jo@acme.co.uk, see https://acme.com/jobs.\n\nKind regards,\nTom Jones"
    )
    out = redact(text)
    for secret in ("Priya", "Shah", "07700", "jo@acme", "acme.com", "Tom", "Jones"):
        assert secret not in out
    assert "Dear [name]" in out and "[email]" in out and "[phone]" in out and "[link]" in out


def test_named_column_that_does_not_exist_lists_the_columns():
    with pytest.raises(TableError, match="column 'region' not found; columns are: student_id, date"):
        aggregate(analysed_rows(), by=["region"])


def test_cli_on_a_raw_file_writes_report_and_csv(tmp_path):
    src = tmp_path / "raw.csv"
    pd.DataFrame(
        {
            "student_id": [f"S{i}" for i in range(12)],
            "date": ["2026-01-05"] * 6 + ["2026-02-05"] * 6,
            "employer": ["Acme"] * 12,
            "feedback": [
                "Dear Sam Lee, we went with a candidate with more experience in retail banking. Kind regards,\nJo Smith"
            ]
            * 6
            + ["Unfortunately the role has been filled internally."] * 6,
        }
    ).to_csv(src, index=False)
    out, csv_dir = tmp_path / "report.html", tmp_path / "tables"
    result = runner.invoke(app, ["trends", str(src), "-o", str(out), "--csv", str(csv_dir), "-w", "1"])
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert "Sam Lee" not in html and "Jo Smith" not in html and "[name]" in html
    overall = pd.read_csv(csv_dir / "overall.csv").set_index("reason")
    assert str(overall.loc["experience", "count"]) == "6" and str(overall.loc["logistics", "count"]) == "6"
    missing = runner.invoke(app, ["trends", str(src), "-o", str(out), "--by", "region"])
    assert missing.exit_code == 2 and "columns are" in missing.stderr


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_report_renders_in_headless_chromium_without_console_errors(tmp_path):
    from playwright.sync_api import sync_playwright

    path = tmp_path / "report.html"
    path.write_text(render(aggregate(analysed_rows(), by=["sector"], min_group=5)))
    errors = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: errors.append(f"fetched {r.url}") if not r.url.startswith("file:") else None)
        page.goto(path.as_uri())
        sizes = page.eval_on_selector_all(
            "figure svg", "els => els.map(e => [e.getBoundingClientRect().width, e.getBoundingClientRect().height])"
        )
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        browser.close()
    assert errors == []
    assert len(sizes) >= 3 and all(w > 100 and h > 50 for w, h in sizes)
    json.dumps(sizes)


def test_headline_shares_of_a_tiny_file_are_withheld():
    html = render(aggregate(analysed_rows().head(3), min_group=5))
    assert "gave no reason at all" in html
    head = html[html.index('id="headline"') : html.index('id="overall"')]
    assert "%" not in head and "&lt;5" in head


# -- issue 11 (report details) and issue 12 (tables safe to open, input never overwritten) -----------------------------
def test_csv_folder_holding_the_input_is_refused_and_the_input_kept(tmp_path):
    rows = analysed_rows()
    src = tmp_path / "overall.csv"  # the name of one of the tables
    rows.to_csv(src, index=False)
    before = src.read_bytes()
    result = runner.invoke(app, ["trends", str(src), "-o", str(tmp_path / "r.html"), "--csv", str(tmp_path)])
    assert result.exit_code == 2 and "holds the input file" in result.stderr and "Traceback" not in result.output
    same = runner.invoke(app, ["trends", str(src), "-o", str(src.with_suffix(".html")), "--csv", str(src.parent)])
    assert same.exit_code == 2
    assert src.read_bytes() == before and not (tmp_path / "r.html").exists()
    ok = runner.invoke(app, ["trends", str(src), "-o", str(tmp_path / "r.html"), "--csv", str(tmp_path / "tables")])
    assert ok.exit_code == 0, ok.output
    assert src.read_bytes() == before and (tmp_path / "tables" / "overall.csv").exists()


def test_csv_tables_neutralise_group_values_and_headers(tmp_path):
    import csv

    rows = analysed_rows()
    rows["employer"] = ['=HYPERLINK("http://evil.example","x")'] * 20 + ["\x01=1+1"] * 20
    rows = rows.rename(columns={"sector": "@sector"})
    src = tmp_path / "analysed.csv"
    rows.to_csv(src, index=False)
    out = tmp_path / "tables"
    result = runner.invoke(
        app, ["trends", str(src), "-o", str(tmp_path / "r.html"), "--csv", str(out), "--by", "employer,@sector"]
    )
    assert result.exit_code == 0, result.output
    cells = []
    for path in out.glob("*.csv"):
        with open(path, encoding="utf-8-sig", newline="") as fh:
            cells += [c for row in csv.reader(fh) for c in row]
    assert '\'=HYPERLINK("http://evil.example","x")' in cells and "'=1+1" in cells and "'@sector" in cells
    assert not [c for c in cells if c.lstrip(" \x01").startswith(("=", "+", "@"))]
    overall = pd.read_csv(out / "overall.csv").set_index("reason")
    assert str(overall.loc["skills", "count"]) == "20"  # a number, not neutralised


def test_report_from_a_csv_batch_output_has_quotes_and_strength_aspects(tmp_path):
    from analyser.batch import run_batch

    src = tmp_path / "raw.csv"
    texts = [
        "Thank you for your time. Your communication skills were excellent, but we went with a candidate who had "
        "more experience managing large retail teams.",
        "We were impressed by your enthusiasm. However, the successful candidate had stronger SQL skills, which are "
        "essential for this analyst role.",
    ] * 4
    pd.DataFrame({"student_id": [f"S{i}" for i in range(8)], "feedback": texts}).to_csv(src, index=False)
    run_batch(src, tmp_path / "analysed.csv", workers=1)
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["trends", str(tmp_path / "analysed.csv"), "-o", str(out), "--min-group", "1"])
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert "In their words" in html and "more experience managing large retail teams" in html
    assert "JSONL" not in html and "does not say which" not in html
    liked = html[html.index('id="liked"') : html.index('id="actions"')]
    from analyser.taxonomy import load_taxonomy

    assert any(f"<td>{aspect}</td>" in liked for aspect in load_taxonomy().strength_aspects)


def _drifting_rows() -> pd.DataFrame:
    """Skills in every January rejection, logistics in every February one; Acme and a blank employer."""
    rows = []
    for i in range(60):
        jan = i < 30
        rows.append(
            {
                "student_id": f"S{i}",
                "date": "2026-01-10" if jan else "2026-02-10",
                "employer": "Acme" if i % 2 else "",
                "sector": "Tech" if i % 3 else "Health",
                "reasons": "skills" if jan else "logistics",
                "score_unspecified": 0.0,
                "door_open": False,
                "skills_mentioned": "SQL;Python;Data Analyst",
                "skills_gaps": "SQL" if jan else "",
                "error": "",
            }
        )
    return pd.DataFrame(rows)


def test_report_details_p_values_axes_scales_blank_groups_and_skill_gaps():
    from analyser.trends_report import _axis_top, chart_over_time, heatmap_scale, p_value

    t = aggregate(_drifting_rows(), by=["employer", "sector"], min_group=5)
    assert p_value(0.00001) == "< 0.001" and p_value(0.0123) == "0.012"
    html = render(t)
    sig = html[html.index("Significant changes") : html.index("Reasons per period")]
    assert "&lt; 0.001" in sig and "0.000" not in sig
    assert "(not given)" in set(t.segments["employer"]["employer"]) and "(not given)" in html
    top = f"{heatmap_scale(t):.0%}"
    assert top != "100%" and html.count(f"share one colour scale, from 0% to {top}") == 2
    assert dict(zip(t.skills["skill"], t.skills["count"])) == {"SQL": 30}  # gaps only, not praised or role words
    assert "named as gaps" in html
    assert _axis_top(0.31) == 0.4 and _axis_top(0.95) == 1.0
    low = _drifting_rows()
    low["reasons"] = ["skills" if i % 4 == 0 else "unspecified" for i in range(60)]
    svg = chart_over_time(aggregate(low, min_group=5))  # the highest share is 75%
    ticks = [float(x) for x in re.findall(r">(\d\.\d)</text>", svg)]
    assert max(ticks) == 0.8  # the axis stops just above the data, not at 1


# -- issue 13 (trends at scale): arrays and group-bys give the numbers the per-row code gave; fast readers, same rows -
EXPECTED = Path(__file__).parent / "data" / "trends_expected.json"


def demo_like_rows(n: int = 2400, seed: int = 13) -> pd.DataFrame:
    """Rows shaped like the demo's batch output (400 students, 18 months, sectors, employers, a blank employer, a
    one-student employer, drift in Technology skills), with analysis columns drawn from a seeded generator."""
    import random

    from analyser.taxonomy import load_taxonomy

    tax = load_taxonomy()
    reasons = [r for r in tax.reason_names if r != tax.none_reason]
    rng = random.Random(seed)
    sectors = {
        "Technology": ["Northwind Software", "Bluefin Analytics", "Kestrel Cloud", "Orbit Labs"],
        "Finance": ["Harbour Bank", "Meridian Capital", "Ledgerline"],
        "Healthcare": ["St Aidan's NHS Trust", "Willow Care Group"],
        "Retail": ["Marlow & Finch", "Urban Threads", ""],
    }
    months = [f"{y}-{m:02d}" for y in (2025, 2026) for m in range(1, 13)][:18]
    skills = ["SQL", "Python", "Excel", "Power BI", "Kubernetes", "Tableau", "Java"]
    aspects = list(tax.strength_aspects)
    students = [f"S{i:04d}" for i in range(400)]
    rows = []
    for i in range(n):
        sector = rng.choice(list(sectors))
        employer = rng.choice(sectors[sector])
        month = months[min(len(months) - 1, int(i / n * len(months)))]
        drift = months.index(month) / len(months)
        chosen = [
            r
            for r in reasons
            if rng.random() < (0.25 + 0.3 * drift if r == "skills" and sector == "Technology" else 0.18)
        ]
        if employer == "Kestrel Cloud" and rng.random() < 0.9:
            chosen = []
        gaps = rng.sample(skills, rng.randint(0, 2)) if "skills" in chosen else []
        evidence = {
            r: [
                f"The {r} point in this rejection was stated in a sentence of some length number {rng.randint(1, 60)}."
                + " More words." * rng.randint(0, 12)
            ]
            for r in chosen
        }
        rows.append(
            {
                "student_id": "S9999" if employer == "Ledgerline" and rng.random() < 0.97 else rng.choice(students),
                "date": "not a date" if i % 397 == 5 else f"{month}-{rng.randint(1, 28):02d}",
                "employer": employer,
                "sector": sector,
                "stage": rng.choice(["application", "assessment", "interview", "final"]),
                "cohort": rng.choice(
                    ["BSc Computer Science", "BA Economics", "BSc Nursing", "MSc Data Science", "BA History"]
                ),
                "reasons": ";".join(chosen) or tax.none_reason,
                "score_unspecified": "0.1",
                "evidence": json.dumps(evidence),
                "strengths": str(rng.randint(0, 2)),
                "strength_aspects": ";".join(rng.sample(aspects, rng.randint(0, 2))),
                "door_open": str(rng.random() < 0.3),
                "feedback_offered": str(rng.random() < 0.2),
                "feedback_declined": "False",
                "skills_mentioned": ";".join(gaps + rng.sample(skills, rng.randint(0, 1))),
                "skills_gaps": ";".join(gaps),
                "actions": ";".join(f"Action for {r}" for r in chosen[:3]),
                "error": "empty cell" if i % 211 == 7 else "",
            }
        )
    return pd.DataFrame(rows)


CASES = {
    "default": ({}, None),
    "employer_cohort_quarters_min20": ({"by": ["employer", "cohort"], "freq": "Q", "min_group": 20}, None),
    "rows_not_students_by_sector_min10": ({"by": ["sector"], "min_group": 10}, "student_id"),
}


def test_every_table_is_what_the_per_row_aggregation_gave():
    # trends_expected.json holds the tables of the per-row code this replaced (one lambda per row per group x
    # reason), on these rows, for three settings: counts, shares, intervals, suppressed and withheld cells, tests
    rows = demo_like_rows()
    expected = json.loads(EXPECTED.read_text())
    for name, (options, drop) in CASES.items():
        t = aggregate(rows.drop(columns=[drop]) if drop else rows, **options)
        tables = {
            k: json.loads(v.to_json(orient="split", index=False, double_precision=15)) for k, v in t.tables().items()
        }
        assert tables == expected[name]["tables"], name
        assert json.loads(json.dumps(t.methods)) == expected[name]["methods"]
        # quotes are the shortest sentences; among equal lengths the order is now alphabetical, not a set's order
        assert {r: [len(q) for q in qs] for r, qs in t.quotes.items()} == expected[name]["quote_lengths"]


def _read_as_before(path: Path) -> pd.DataFrame:
    """How load_rows read an analysed file before: every chunk through read_table, then the JSONL analysis flattened."""
    from analyser.tables import read_table
    from analyser.trends import _flatten_jsonl, _own_names

    df = pd.concat(read_table(path, chunk_rows=50_000), ignore_index=True)
    df.columns = [str(c) for c in df.columns]
    df = _own_names(df)
    return _flatten_jsonl(df) if "analysis" in df.columns else df


def _as_jsonl_rows(rows: pd.DataFrame) -> list[dict]:
    """The rows as batch JSONL objects: the input fields, an `analysis` object, then `error`."""
    out = []
    for i, r in enumerate(rows.to_dict("records")):
        evidence = json.loads(r["evidence"])
        analysis = {
            "reasons": [{"reason": x, "score": 0.9, "evidence": evidence.get(x, [])} for x in r["reasons"].split(";")],
            "scores": {"skills": 0.5},
            "strengths": [{"text": "...", "aspect": a} for a in r["strength_aspects"].split(";") if a],
            "signals": {"door_open": r["door_open"] == "True", "feedback_offered": False, "feedback_declined": False},
            "stage": "interview",
            "skills_gaps": r["skills_gaps"].split(";") if r["skills_gaps"] and i % 3 else None,
            "skills_mentioned": [s for s in r["skills_mentioned"].split(";") if s],
            "actions": [{"reason": "skills", "title": t, "steps": ["a step"]} for t in r["actions"].split(";") if t],
            "follow_up": "Dear [Name], thank you – a long message " * 5,
        }
        out.append(
            {
                "student_id": None if i % 50 == 3 else (i if i % 7 else r["student_id"]),
                "date": r["date"],
                "employer": r["employer"] + (" \ud800" if i == 11 else ""),  # a lone surrogate: U+FFFD, as before
                "sector": r["sector"],
                "stage": r["stage"],
                "feedback": "Thank you • for applying – “quoted”",
                "analysis": None if r["error"] else analysis,
                "error": r["error"],
            }
        )
    return out


def test_fast_readers_give_the_rows_read_table_gave(tmp_path):
    rows = demo_like_rows(600)
    rows.loc[5, "employer"] = 'Acme, "quoted"\nsecond line'
    plain = tmp_path / "analysed.csv"
    rows.to_csv(plain, index=False)
    crlf = tmp_path / "crlf.csv"
    crlf.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes().replace(b"\n", b"\r\n"))
    repeated = tmp_path / "repeated.csv"  # pandas renames a repeated name: left to read_table
    rows.rename(columns={"cohort": "sector"}).to_csv(repeated, index=False)
    jsonl = tmp_path / "analysed.jsonl"
    jsonl.write_text("".join(json.dumps(o) + "\n" for o in _as_jsonl_rows(rows)), encoding="utf-8")
    from analyser.trends import _read_batch_jsonl, _read_csv_fast

    assert _read_csv_fast(plain) is not None and _read_csv_fast(crlf) is not None and _read_csv_fast(repeated) is None
    assert _read_batch_jsonl(jsonl) is not None
    for path in (plain, crlf, repeated, jsonl):
        pd.testing.assert_frame_equal(load_rows(path), _read_as_before(path))
    assert "\ufffd" in load_rows(jsonl)["employer"][11]
    t = aggregate(load_rows(jsonl), by=["employer"])
    assert t.headline["analysed"] == 600 - len(rows[rows["error"] != ""])


# -- issue 13 part 5: only the columns the report reads, a folder of Parquet parts, charts without matplotlib ---------
def _tables(t) -> dict:
    return {k: json.loads(v.to_json(orient="split", index=False, double_precision=15)) for k, v in t.tables().items()}


def _batch_outputs(rows: pd.DataFrame, folder: Path) -> dict[str, Path]:
    """The rows as batch writes them: CSV, JSONL, one Parquet file and a folder of Parquet parts (--engine dask)."""
    from analyser.dask_engine import PartsWriter

    rows = rows.assign(feedback="Thank you for applying. " * 20)
    paths = {"csv": folder / "a.csv", "parquet": folder / "a.parquet"}
    rows.to_csv(paths["csv"], index=False)
    rows.to_parquet(paths["parquet"], index=False)
    if "student_id" in rows:  # _as_jsonl_rows gives them ids
        paths["jsonl"] = folder / "a.jsonl"
        paths["jsonl"].write_text("".join(json.dumps(o) + "\n" for o in _as_jsonl_rows(rows)), encoding="utf-8")
    parts = PartsWriter(folder / "dask.parquet")
    for start in range(0, len(rows), 450):
        parts.write(rows.iloc[start : start + 450])
    parts.close()
    paths["folder"] = parts.path
    return paths


@pytest.mark.parametrize("name", list(CASES))
def test_reading_only_the_report_columns_gives_the_same_tables(tmp_path, name):
    options, drop = CASES[name]
    rows = demo_like_rows()
    rows = rows.drop(columns=[drop]) if drop else rows
    expected = json.loads(EXPECTED.read_text())[name]["tables"]
    for fmt, path in _batch_outputs(rows, tmp_path).items():
        if fmt == "jsonl" and "cohort" in options.get("by", []):
            continue  # those rows have no cohort (see _as_jsonl_rows)
        whole = load_rows(path)
        some = load_rows(path, report_only=True, date_column=options.get("date_column"), by=options.get("by"))
        assert "feedback" in whole and "feedback" not in some and len(some.columns) < len(whole.columns), fmt
        pd.testing.assert_frame_equal(some, whole[list(some.columns)])
        tables = _tables(aggregate(some, **options))
        assert tables == _tables(aggregate(whole, **options)), fmt
        if fmt != "jsonl":  # the JSONL rows have other ids and stages (see _as_jsonl_rows)
            assert tables == expected, fmt


def test_a_folder_of_parquet_parts_is_read_like_one_file(tmp_path):
    rows = demo_like_rows(1000)
    paths = _batch_outputs(rows, tmp_path)
    assert len(list(paths["folder"].iterdir())) == 3
    pd.testing.assert_frame_equal(load_rows(paths["folder"]), load_rows(paths["parquet"]))
    assert _tables(aggregate(load_rows(paths["folder"]))) == _tables(aggregate(load_rows(paths["csv"])))
    with pytest.raises(TableError, match="column 'region' not found; columns are: student_id, date, employer"):
        aggregate(load_rows(paths["folder"], report_only=True, by=["region"]), by=["region"])
    from analyser.trends import refuse_overwrite

    with pytest.raises(TableError, match="into the input folder"):
        refuse_overwrite(paths["folder"], paths["folder"] / "report.html", None)
    with pytest.raises(TableError, match="is the input folder"):
        refuse_overwrite(paths["folder"], tmp_path / "report.html", paths["folder"])
    refuse_overwrite(paths["folder"], tmp_path / "report.html", tmp_path / "tables")
    raw = tmp_path / "raw.parquet"
    raw.mkdir()
    rows[["student_id", "date"]].to_parquet(raw / "part-00000.parquet")
    with pytest.raises(TableError, match="not a batch output"):
        load_rows(raw)


def test_trends_of_a_dask_batch_output_folder_equal_the_default_engines(tmp_path):
    distributed = pytest.importorskip("distributed")
    from analyser.batch import run_batch

    texts = [
        "We went with a candidate who had more experience in retail banking.",
        "Unfortunately the role has been filled internally.",
        "The successful candidate had stronger SQL skills, which are essential for this analyst role.",
        "",
    ]
    src = tmp_path / "raw.csv"
    pd.DataFrame(
        {
            "student_id": [f"S{i % 9}" for i in range(40)],
            "date": [f"2026-0{1 + i // 20}-1{i % 10}" for i in range(40)],
            "feedback": [texts[i % len(texts)] + ("" if i % 3 else f" Ref {i}.") for i in range(40)],
        }
    ).to_csv(src, index=False)
    run_batch(src, tmp_path / "local.csv", workers=1, chunk_rows=16)
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=":0")
    try:
        run_batch(src, tmp_path / "dask.parquet", chunk_rows=16, engine="dask", scheduler=cluster.scheduler_address)
    finally:
        cluster.close()
    assert len(list((tmp_path / "dask.parquet").iterdir())) == 3
    local = aggregate(load_rows(tmp_path / "local.csv"), min_group=1)
    dask = aggregate(load_rows(tmp_path / "dask.parquet", report_only=True), min_group=1)
    assert _tables(dask) == _tables(local) and dask.headline["excluded"] == 10


def test_charts_are_svg_written_without_matplotlib():
    import subprocess
    import sys

    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from test_trends import demo_like_rows\n"
        "from analyser.trends import aggregate\n"
        "from analyser.trends_report import render\n"
        "html = render(aggregate(demo_like_rows(), by=['employer'], min_group=20))\n"
        "print(html.count('<svg'), html.count('withheld, to protect'), 'matplotlib' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    # overall, over time, employers, skills; withheld heatmap cells are said, not drawn as 'nan%'
    assert out == ["4", "1", "False"]


@pytest.mark.parametrize("ascii_only", [True, False])
def test_the_arrow_jsonl_reader_gives_the_rows_the_line_reader_gave(tmp_path, ascii_only):
    from analyser.taxonomy import load_taxonomy
    from analyser.trends import _batch_jsonl_arrow, _batch_jsonl_python, _first_keys

    tax = load_taxonomy()
    objects = _as_jsonl_rows(demo_like_rows(600))
    for i, o in enumerate(objects):
        o["student_id"] = None if o["student_id"] is None else str(o["student_id"])  # text only, as from a CSV
        o["employer"] = o["employer"].replace("\ud800", 'é 😀 \u2028 \\ "')  # surrogate pairs when escaped
        if o["analysis"]:
            o["analysis"]["skills_gaps"] = o["analysis"]["skills_gaps"] or []
            o["analysis"]["stage"] = None if i % 5 == 0 else o["analysis"]["stage"]
    path = tmp_path / "a.jsonl"
    path.write_text("".join(json.dumps(o, ensure_ascii=ascii_only) + "\n" for o in objects), encoding="utf-8")
    keys = _first_keys(path)
    fields = [k for k in keys if k != "analysis"]
    arrow, lines = _batch_jsonl_arrow(path, fields, tax), _batch_jsonl_python(path, keys, fields, tax)
    assert arrow is not None
    for a, b in zip(arrow, lines):
        pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(load_rows(path), _read_as_before(path))
    # what pyarrow refuses is read line by line, as before: an id as a number, a lone surrogate, a legacy analysis
    # without skill gaps, a cell that is not UTF-8
    for change in ("number", "surrogate", "legacy", "latin-1"):
        changed = [json.loads(json.dumps(o)) for o in objects]
        if change == "number":
            changed[7]["student_id"] = 7
        elif change == "surrogate":
            changed[7]["employer"] = "Acme \ud800"
        elif change == "legacy":
            changed[8]["analysis"]["skills_gaps"] = None
        other = tmp_path / f"{change}.jsonl"
        data = "".join(json.dumps(o) + "\n" for o in changed).encode()
        other.write_bytes(data.replace(b"Northwind", b"Northw\xefnd", 1) if change == "latin-1" else data)
        assert _batch_jsonl_arrow(other, fields, tax) is None, change
        pd.testing.assert_frame_equal(load_rows(other), _read_as_before(other))


def test_a_long_group_name_is_shortened_in_its_chart_not_in_its_table():
    rows = analysed_rows()
    long_name = "The Very Long Name of an Employer, Holdings and Subsidiaries Ltd"
    rows["employer"] = long_name
    t = aggregate(rows, by=["employer"], min_group=5)
    from analyser.trends_report import chart_segment

    svg = chart_segment(t, "employer")
    assert long_name not in svg and f">{long_name[:39].rstrip()}…</text>" in svg
    assert f"<td>{long_name}</td>" in render(t)


def test_trends_command_reads_a_folder_of_parquet_parts(tmp_path):
    from analyser.batch import run_batch

    src = tmp_path / "raw.csv"
    pd.DataFrame(
        {
            "date": ["2026-01-05"] * 6 + ["2026-02-05"] * 6,
            "feedback": ["We went with a candidate with more experience in retail banking."] * 6
            + ["Unfortunately the role has been filled internally."] * 6,
        }
    ).to_csv(src, index=False)
    run_batch(src, tmp_path / "one.csv", workers=1)
    folder = tmp_path / "parts.parquet"
    folder.mkdir()
    analysed = pd.read_csv(tmp_path / "one.csv")
    analysed.iloc[:5].to_parquet(folder / "part.0.parquet")
    analysed.iloc[5:].to_parquet(folder / "part.1.parquet")
    out, tables = tmp_path / "report.html", tmp_path / "tables"
    result = runner.invoke(app, ["trends", str(folder), "-o", str(out), "--csv", str(tables), "--min-group", "1"])
    assert result.exit_code == 0, result.output
    overall = pd.read_csv(tables / "overall.csv").set_index("reason")
    assert overall.loc["experience", "count"] == 6 and overall.loc["logistics", "count"] == 6
    missing = runner.invoke(app, ["trends", str(tmp_path / "nowhere"), "-o", str(out)])
    assert missing.exit_code != 0 and "input not found" in missing.stderr
