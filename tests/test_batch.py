"""Batch: real files in awkward shapes; one output row per input row, in order, every time."""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from analyser.batch import Interrupted, output_columns, run_batch
from analyser.cli import app
from analyser.tables import TableError

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
    assert summary.rows_read == len(TEXTS) and summary.errors == 2 and summary.analysed == 6
    assert summary.unique_texts == 5  # the repeated template is analysed once


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
