"""Batch: real files in awkward shapes; one output row per input row, in order, every time."""

import csv
import io
import json

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from analyser.batch import NO_FEEDBACK, Interrupted, cell_problem, output_columns, run_batch, summary_notes
from analyser.cli import app
from analyser.tables import XLSX_MAX_CELL, TableError, count_rows, neutralise

runner = CliRunner()
TEXTS = [
    "We went with a candidate who had more experience in retail banking.",
    "Unfortunately the role has been filled internally. We will keep your CV on file.",
    "",
    "12345",
    "<p>The position has been <b>cancelled</b> due to budget cuts.</p>",
    '=HYPERLINK("http://example.com","click")',
    "Café owner said my résumé was too long and not tailored to the job.",
    "We went with a candidate who had more experience in retail banking.",
]


def _ids(df):
    return [str(x) for x in df["id"].tolist()]


def _run(tmp_path, src, out_name="out.csv", **kw):
    out = tmp_path / out_name
    summary = run_batch(src, out, workers=1, **kw)
    return summary, out


def _read_out(out):
    if out.suffix == ".xlsx":
        return pd.read_excel(out, dtype=str, keep_default_na=False)
    if out.suffix == ".parquet":
        return pd.read_parquet(out)
    if out.suffix == ".jsonl":
        return pd.read_json(out, lines=True, dtype=False)
    return pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "latin-1"])
def test_encodings_are_detected_and_rows_kept_in_order(tmp_path, encoding):
    src = tmp_path / "in.csv"
    pd.DataFrame({"id": range(len(TEXTS)), "feedback": TEXTS}).to_csv(src, index=False, encoding=encoding)
    summary, out = _run(tmp_path, src, text_column="feedback")
    df = _read_out(out)
    assert _ids(df) == [str(i) for i in range(len(TEXTS))]
    assert df["feedback"].tolist()[6] == TEXTS[6]  # accents survive
    assert list(df.columns) == ["id", "feedback", *output_columns()]
    assert summary.rows_read == len(TEXTS) and summary.errors == 3 and summary.analysed == 5  # blank, number, formula
    assert summary.unique_texts == 4  # the repeated template is analysed once


def test_semicolon_delimiter_and_quoted_newlines(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text(
        'id;text\n1;"Dear Sam,\nthe role has been filled.\n\nRegards"\n2;"We chose someone; more senior"\n',
        encoding="utf-8",
    )
    _, out = _run(tmp_path, src, text_column="text")
    df = _read_out(out)
    assert _ids(df) == ["1", "2"]
    assert "logistics" in df["reasons"][0]
    assert df["text"][0].startswith("Dear Sam,\nthe role")


def test_blank_numeric_html_formula_and_huge_cells(tmp_path):
    src = tmp_path / "in.csv"
    huge = "We went with someone with more experience. " + "x " * 100_000
    assert len(huge) > 200_000
    pd.DataFrame({"id": range(len(TEXTS) + 1), "feedback": [*TEXTS, huge]}).to_csv(src, index=False)
    _, out = _run(tmp_path, src, text_column="feedback")
    df = _read_out(out)
    assert len(df) == len(TEXTS) + 1
    assert df["error"][2] == "empty cell"
    assert df["error"][3].startswith("not text")
    assert "logistics" in df["reasons"][4] and df["error"][4] == ""
    assert df["feedback"][5].startswith("'=")  # neutralised for spreadsheets
    assert "100,000" in df["warnings"][8] and df["needs_review"][8] == "True"


def test_missing_column_lists_the_columns(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("id,feedback\n1,hello there\n")
    with pytest.raises(TableError, match="column 'comments' not found; columns are: id, feedback"):
        _run(tmp_path, src, text_column="comments")


def test_text_column_is_guessed_when_only_one_looks_like_text(tmp_path):
    src = tmp_path / "in.csv"
    pd.DataFrame({"id": [1, 2], "date": ["2026-01-01", "2026-02-01"], "note": TEXTS[:2]}).to_csv(src, index=False)
    _, out = _run(tmp_path, src)
    assert "experience" in _read_out(out)["reasons"][0]


def test_unreadable_and_unsupported_files(tmp_path):
    bad = tmp_path / "in.xlsx"
    bad.write_bytes(b"this is not a spreadsheet")
    with pytest.raises(TableError, match="cannot read in.xlsx"):
        _run(tmp_path, bad)
    with pytest.raises(TableError, match="unsupported output format"):
        _run(tmp_path, tmp_path / "in.xlsx", out_name="out.docx")
    other = tmp_path / "in.docx"
    other.write_text("hello")
    with pytest.raises(TableError, match="unsupported input format"):
        _run(tmp_path, other)


@pytest.mark.parametrize("fmt", [".xlsx", ".parquet", ".jsonl"])
def test_round_trip_through_other_formats(tmp_path, fmt):
    src = tmp_path / "in.csv"
    pd.DataFrame({"id": range(len(TEXTS)), "feedback": TEXTS}).to_csv(src, index=False)
    _, first = _run(tmp_path, src, out_name="first" + fmt, text_column="feedback")
    df = _read_out(first)
    assert _ids(df) == [str(i) for i in range(len(TEXTS))]
    if fmt == ".jsonl":
        lines = [json.loads(line) for line in first.read_text().splitlines()]
        assert lines[0]["analysis"]["reasons"][0]["reason"] == "experience"
        assert lines[2]["analysis"] is None and lines[2]["error"] == "empty cell"
        return
    _, second = _run(tmp_path, first, out_name="second.csv", text_column="feedback")
    again = _read_out(second)
    assert _ids(again) == [str(i) for i in range(len(TEXTS))]
    assert "experience" in again["reasons"][0]


def test_interrupted_run_leaves_no_file_under_the_output_name(tmp_path):
    src = tmp_path / "in.csv"
    pd.DataFrame({"feedback": TEXTS * 50}).to_csv(src, index=False)

    def stop(_n):
        raise KeyboardInterrupt

    with pytest.raises(Interrupted, match="interrupted after"):
        run_batch(src, tmp_path / "out.csv", workers=1, chunk_rows=100, progress=stop)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_cli_exit_codes_and_summary(tmp_path):
    src = tmp_path / "in.tsv"
    src.write_text("id\ttext\n1\tThe role has been filled internally.\n2\t\n")
    result = runner.invoke(app, ["batch", str(src), "-t", "text", "-o", str(tmp_path / "o.csv"), "-w", "1"])
    assert result.exit_code == 0, result.output
    assert "2 rows read" in result.stderr and "1 with errors" in result.stderr
    missing = runner.invoke(app, ["batch", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "o.csv")])
    assert missing.exit_code == 2 and "not found" in missing.stderr and "Traceback" not in missing.output
    column = runner.invoke(app, ["batch", str(src), "-t", "body", "-o", str(tmp_path / "o.csv")])
    assert column.exit_code == 2 and "columns are: id, text" in column.stderr


def test_workers_give_the_same_rows_as_one_process(tmp_path):
    src = tmp_path / "in.csv"
    pd.DataFrame({"id": range(40), "feedback": (TEXTS * 5)}).to_csv(src, index=False)
    one = run_batch(src, tmp_path / "one.csv", workers=1, chunk_rows=16)
    two = run_batch(src, tmp_path / "two.csv", workers=2, chunk_rows=16)
    assert one.rows_read == two.rows_read == 40
    assert _read_out(tmp_path / "one.csv").equals(_read_out(tmp_path / "two.csv"))


# -- issue 11: rough edges --------------------------------------------------------------------------------------------
JUNK = [
    "=1+1",
    "N/A",
    "n/a",
    "none",
    "TRUE",
    "?",
    "-",
    "No comment.",
    "not applicable",
    '=HYPERLINK("http://x.io","go")',
]


@pytest.mark.parametrize("cell", JUNK)
def test_cells_with_no_words_of_feedback_are_marked_like_empty_cells(cell):
    assert cell_problem(cell) == NO_FEEDBACK


@pytest.mark.parametrize(
    "cell", ["Role filled internally.", "Sorry, no.", "Não foi desta vez, obrigado", "不合适的经验"]
)
def test_short_real_feedback_is_still_analysed(cell):
    assert cell_problem(cell) is None


def test_junk_rows_are_errors_and_left_out_of_trends(tmp_path):
    from analyser.trends import aggregate, load_rows

    src = tmp_path / "in.csv"
    pd.DataFrame({"id": range(len(JUNK) + 1), "feedback": [*JUNK, TEXTS[0]]}).to_csv(src, index=False)
    summary, out = _run(tmp_path, src, text_column="feedback")
    df = _read_out(out)
    assert df["error"].tolist() == [NO_FEEDBACK] * len(JUNK) + [""]
    assert summary.errors == len(JUNK) and summary.analysed == 1
    t = aggregate(load_rows(out))
    assert t.headline["analysed"] == 1 and t.headline["excluded"] == len(JUNK)
    assert t.methods["excluded"] == {NO_FEEDBACK: len(JUNK)}


def test_progress_counts_rows_not_lines(tmp_path):
    src = tmp_path / "in.csv"
    texts = ['Dear Sam,\n\nthe role has been filled.\n\nKind regards,\n"Jo"'] * 30
    pd.DataFrame({"id": range(30), "feedback": texts}).to_csv(src, index=False)
    assert src.read_bytes().count(b"\n") > 150
    assert count_rows(src) == 30
    totals, done = [], []
    run_batch(src, tmp_path / "o.csv", workers=1, chunk_rows=7, total_callback=totals.append, progress=done.append)
    assert totals == [30] and sum(done) == 30
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text('{"feedback": "a\\nb"}\n\n{"feedback": "c"}\n')
    assert count_rows(jsonl) == 2
    xlsx = tmp_path / "in.xlsx"
    pd.DataFrame({"feedback": texts[:12]}).to_excel(xlsx, index=False)
    assert count_rows(xlsx) == 12


def test_cells_too_long_for_excel_are_cut_with_a_warning(tmp_path):
    src = tmp_path / "in.csv"
    long = "We went with someone who had more experience. " * 800
    assert len(long) > XLSX_MAX_CELL
    pd.DataFrame({"id": [1, 2], "feedback": [long, TEXTS[0]]}).to_csv(src, index=False)
    summary, out = _run(tmp_path, src, out_name="out.xlsx", text_column="feedback")
    df = _read_out(out)
    assert "feedback cut to 32,767 characters" in df["warnings"][0]
    assert "cut" not in df["warnings"][1]
    assert summary.cells_cut == 1 and summary.rows_cut == 1
    assert any("longer than Excel's 32,767-character limit" in n for n in summary_notes(summary))
    _, whole = _run(tmp_path, src, out_name="whole.csv", text_column="feedback")
    assert _read_out(whole)["feedback"][0] == long  # CSV keeps it whole, without a warning
    assert "cut" not in _read_out(whole)["warnings"][0]


def test_a_column_named_feedback_is_preferred_and_the_choice_is_said(tmp_path):
    src = tmp_path / "in.csv"
    pd.DataFrame(
        {
            "id": [1, 2, 3],
            "notes_from_adviser": ["Student seemed upset about this one, follow up in the next session please."] * 3,
            "feedback": ["Role filled.", "Not enough experience.", "Went with internal candidate."],
        }
    ).to_csv(src, index=False)
    summary, out = _run(tmp_path, src)
    assert summary.text_column == "feedback" and summary.text_column_how == "named like feedback"
    assert "experience" in _read_out(out)["reasons"][1]
    result = runner.invoke(app, ["batch", str(src), "-o", str(tmp_path / "cli.csv"), "-w", "1"])
    assert result.exit_code == 0, result.output
    assert "text column: feedback (named like feedback)" in result.stderr


def test_input_columns_that_clash_keep_their_names_and_ours_are_suffixed(tmp_path):
    from analyser.trends import aggregate, load_rows

    src = tmp_path / "in.csv"
    pd.DataFrame(
        {
            "stage": ["offer", "interview"],
            "reasons": ["theirs", "theirs"],
            "reasons_analysis": ["also theirs", "x"],
            "error": ["their error", "their error"],
            "feedback": TEXTS[:2],
        }
    ).to_csv(src, index=False)
    for fmt in (".csv", ".parquet", ".xlsx", ".jsonl"):
        summary, out = _run(tmp_path, src, out_name="out" + fmt, text_column="feedback")
        df = _read_out(out)
        assert len(df) == 2 and len(set(df.columns)) == len(df.columns), fmt
        assert df["reasons"].tolist() == ["theirs", "theirs"] and df["error"].tolist() == ["their error"] * 2
        if fmt != ".jsonl":
            assert summary.renamed == {
                "reasons": "reasons_analysis_analysis",
                "stage": "stage_analysis",
                "error": "error_analysis",
            }
            assert "experience" in df["reasons_analysis_analysis"][0]
        t = aggregate(load_rows(out))
        assert t.headline["analysed"] == 2, fmt  # their `error` column does not exclude every row
        assert t.overall.set_index("reason").loc["experience", "count"] == "<5"
    assert any("analysis columns renamed" in n for n in summary_notes(summary))


@pytest.mark.parametrize("fmt", [".csv", ".xlsx", ".jsonl"])
def test_bare_carriage_returns_neither_split_rows_nor_start_formulas(tmp_path, fmt):
    src = tmp_path / "in.jsonl"
    cells = ["first\rsecond line", "\r=1+1", "a;b,c\r\nd"]
    src.write_text("".join(json.dumps({"id": i, "note": c, "feedback": TEXTS[0]}) + "\n" for i, c in enumerate(cells)))
    _, out = _run(tmp_path, src, out_name="out" + fmt, text_column="feedback")
    df = _read_out(out)
    assert _ids(df) == ["0", "1", "2"]
    if fmt == ".csv":
        raw = out.read_text(encoding="utf-8-sig")
        rows = list(csv.reader(io.StringIO(raw, newline="")))
        assert len(rows) == 4 and [r[0] for r in rows[1:]] == ["0", "1", "2"]
        assert df["note"].tolist() == ["first\rsecond line", "'\r=1+1", "a;b,c\r\nd"]
        back = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        assert len(back) == 3 and back["note"][1] == "'\r=1+1"


def test_mixed_json_types_and_a_lone_surrogate_lose_no_rows(tmp_path):
    src = tmp_path / "in.jsonl"
    values = [1, "two", 3.5, None, True, {"nested": [1, 2]}, [1, "x"]]
    lines = [json.dumps({"id": i, "ref": v, "feedback": TEXTS[0]}) for i, v in enumerate(values)]
    lines += [json.dumps({"id": 7 + i, "feedback": TEXTS[1]}) for i in range(2)]
    lines.append('{"id": 9, "ref": "bad \\ud800 value", "feedback": "We chose someone with more experience \\udc00."}')
    src.write_text("\n".join(lines) + "\n")
    for fmt in (".parquet", ".csv", ".xlsx", ".jsonl"):
        summary, out = _run(tmp_path, src, out_name="out" + fmt, text_column="feedback", chunk_rows=4)
        df = _read_out(out)
        assert _ids(df) == [str(i) for i in range(10)], fmt
        assert summary.rows_repaired == 1
        if fmt != ".jsonl":
            assert "lone surrogates" in df["warnings"].iloc[9] and "lone surrogates" not in df["warnings"].iloc[8]
            assert df["error"].iloc[9] == "" and "experience" in df["reasons"].iloc[9]
    assert pd.read_parquet(tmp_path / "out.parquet")["ref"].tolist()[:3] == ["1", "two", "3.5"]


FORMULAS = ["\x01=1+1", "＝1+1", "﹦1+1", "  =1+1", "\n+1+1", "\t=1", "＠SUM(A1)", "\u200b=1+1"]


def test_formulas_are_neutralised_after_stripping_what_a_spreadsheet_skips(tmp_path):
    assert all(neutralise(f).startswith("'") for f in FORMULAS)
    assert neutralise("a = b") == "a = b" and neutralise(3) == 3
    src = tmp_path / "in.jsonl"
    header = '=HYPERLINK("http://evil.example","x")'
    src.write_text("".join(json.dumps({header: f, "feedback": TEXTS[0]}) + "\n" for f in FORMULAS))
    _, out = _run(tmp_path, src, out_name="out.xlsx", text_column="feedback")
    ws = openpyxl.load_workbook(out).active
    cells = [c for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]  # no formula anywhere, header included
    assert ws["A1"].value == "'" + header
    _, out = _run(tmp_path, src, out_name="out.csv", text_column="feedback")
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"), newline="")))
    assert rows[0][0] == "'" + header
    assert all(r[0].startswith("'") for r in rows[1:])


def test_parquet_output_whose_first_chunk_is_all_errors(tmp_path):
    src = tmp_path / "in.csv"
    pd.DataFrame({"feedback": ["", "N/A", TEXTS[0], TEXTS[1]]}).to_csv(src, index=False)
    summary, out = _run(tmp_path, src, out_name="out.parquet", text_column="feedback", chunk_rows=2)
    df = _read_out(out)
    assert len(df) == 4 and df["error"].tolist() == ["empty cell", NO_FEEDBACK, "", ""]
    assert df["score_experience"].iloc[2] > 0.5 and df["strengths"].iloc[2] == 0


def test_a_letter_stays_a_letter_or_digit_in_the_normal_form():
    """cell_problem skips _normal for a cell with more letters than the longest placeholder: that holds only if
    lower-casing never turns a letter (what _WORD counts) into something _normal drops."""
    import re

    letter, kept = re.compile(r"[^\W\d_]"), re.compile(r"[^\W_]")
    for code in range(0x110000):
        c = chr(code)
        if letter.match(c):
            assert kept.search(c.lower()), hex(code)


def test_every_placeholder_in_any_case_and_punctuation_is_no_feedback():
    from analyser.batch import _normal, placeholders

    for p in sorted(placeholders()):
        for cell in (p, p.upper(), f"  {p.title()} !", f"{p}."):
            if len(p.split()) > 1 or cell != p:  # one word is caught as a single word anyway
                assert cell_problem(cell) == NO_FEEDBACK, cell
    longer = "Not applicable for this role, sadly"
    assert _normal(longer) not in placeholders() and cell_problem(longer) is None
