"""analyse_frame: the table `analyser batch` writes, as a function of a pandas DataFrame."""

import pandas as pd
import pytest

from analyser import analyse_frame
from analyser.batch import NO_FEEDBACK, output_columns, run_batch
from analyser.tables import TableError, write_csv

TEXTS = [
    "We went with a candidate who had more experience in retail banking.",
    "Dear Sam,\nthe role has been filled internally.\n\nKind regards,\nJo",
    "",
    "N/A",
    '=HYPERLINK("http://example.com","click")',
    "- Lacks depth in distributed systems\n- Strong communicator",
    "We went with a candidate who had more experience in retail banking.",
]


@pytest.fixture(scope="module")
def frame():
    return pd.DataFrame({"id": [f"r{i}" for i in range(len(TEXTS))], "feedback": TEXTS})


@pytest.fixture(scope="module")
def out(frame):
    return analyse_frame(frame, "feedback")


def test_columns_and_dtypes_are_batchs(frame, out):
    assert list(out.columns) == ["id", "feedback", *output_columns()]
    assert str(out["score_experience"].dtype) == "Float64" and str(out["strengths"].dtype) == "Int64"
    assert str(out["feedback_offered"].dtype) == "boolean" and out["needs_review"].dtype == bool
    assert out["id"].tolist() == frame["id"].tolist()
    assert frame["feedback"].tolist() == TEXTS  # the input frame is left as it was


def test_bad_rows_are_marked_not_dropped(out):
    assert out["error"].tolist()[2:5] == ["empty cell", NO_FEEDBACK, NO_FEEDBACK]
    assert out["score_experience"][2:5].isna().all() and out["needs_review"][2:5].all()
    assert "experience" in out["reasons"][0] and out["error"][0] == ""
    assert out.iloc[0, 2:].equals(out.iloc[6, 2:])  # the repeated text gets the same row


def test_formulas_are_neutralised_in_the_frame_so_any_writer_keeps_it(out):
    assert out["feedback"][4].startswith("'=") and out["feedback"][5].startswith("'- Lacks")
    assert out["feedback"][0] == TEXTS[0]
    cells = [v for c in out.columns for v in out[c] if isinstance(v, str)]
    assert not [v for v in cells if v.lstrip().startswith(("=", "+", "-", "@"))]


@pytest.mark.parametrize("dtype", ["str", object])
def test_the_quick_formula_check_agrees_with_neutralise_on_every_first_character(dtype):
    from analyser.batch import _protect
    from analyser.tables import neutralise

    starts = [chr(i) for i in range(0x10000) if not 0xD800 <= i <= 0xDFFF]
    cells = [c for ch in starts for c in (ch, ch + "=1+1")] + ["", "\n", " =1", "\r\n-1"]
    assert _protect(pd.Series(cells, dtype=dtype)).tolist() == [neutralise(c) for c in cells]


def test_the_same_table_batch_writes(tmp_path, frame, out):
    src = tmp_path / "in.csv"
    frame.to_csv(src, index=False)
    run_batch(src, tmp_path / "batch.csv", workers=1, text_column="feedback")
    write_csv(out, tmp_path / "frame.csv")
    assert (tmp_path / "frame.csv").read_bytes() == (tmp_path / "batch.csv").read_bytes()


def test_index_is_kept_and_the_column_can_be_guessed(frame):
    df = frame.iloc[[0, 1]].set_axis([10, 20])
    out = analyse_frame(df)
    assert out.index.tolist() == [10, 20] and "experience" in out.loc[10, "reasons"]


def test_full_gives_the_jsonl_shape(frame):
    out = analyse_frame(frame.iloc[:3], "feedback", full=True)
    assert list(out.columns) == ["id", "feedback", "analysis", "error"]
    assert out["analysis"][0]["reasons"][0]["reason"] == "experience"
    assert out["analysis"][2] is None and out["error"][2] == "empty cell"


def test_clashing_names_and_a_missing_column(frame):
    clash = frame.iloc[:1].assign(reasons="theirs")
    out = analyse_frame(clash, "feedback")
    assert out["reasons"][0] == "theirs" and "experience" in out["reasons_analysis"][0]
    with pytest.raises(TableError, match="column 'comments' not found; columns are: id, feedback"):
        analyse_frame(frame, "comments")


# Spark types for the pandas dtypes analyse_frame gives (the README's pandas UDF example uses the same table)
SPARK_TYPES = {"Float64": "double", "Int64": "bigint", "boolean": "boolean", "bool": "boolean", "str": "string"}


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas", "ignore:The copy keyword is deprecated")
def test_the_same_function_in_a_spark_pandas_udf(frame, out, monkeypatch):
    import sys

    pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    from analyser.frame import output_dtypes

    monkeypatch.setenv("PYSPARK_PYTHON", sys.executable)  # Spark's Python workers import analyser from this venv
    spark = SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false").getOrCreate()
    try:
        df = spark.createDataFrame(frame)
        schema = ", ".join(
            [f"`{f.name}` {f.dataType.simpleString()}" for f in df.schema]
            + [f"`{c}` {SPARK_TYPES[t]}" for c, t in output_dtypes(df.columns).items()]
        )

        def analyse_batches(frames):
            for part in frames:
                yield analyse_frame(part, "feedback")

        got = df.mapInPandas(analyse_batches, schema).toPandas()
    finally:
        spark.stop()
    assert list(got.columns) == list(out.columns)
    for column in out.columns:  # Spark's pandas types differ (float64 for Int64, object for boolean): values agree
        want = [None if pd.isna(v) else v for v in out[column]]
        assert [None if pd.isna(v) else v for v in got[column]] == want, column
