"""`analyser batch --engine dask`: the same rows, in the same order, with the same scores and counts, as the default
engine, on a LocalCluster and on a running scheduler."""

import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from analyser.batch import run_batch, summary_dict
from analyser.cli import app

distributed = pytest.importorskip("distributed")
runner = CliRunner()
TEXTS = [
    "We went with a candidate who had more experience in retail banking.",
    'Dear Sam,\n\nthe role has been filled internally.\n\nKind regards,\n"Jo"',
    "Thanks for interviewing. We will keep your CV on file, but cannot give individual feedback.",
    "While your Python was strong, we chose someone with more experience of Kubernetes and Terraform.",
    "- Lacks depth in distributed systems\n- Strong communicator\n- Would consider for a junior role",
    "Your background is impressive, however, at this time we are pursuing candidates with 5+ years of experience.",
    "she said I wasn't right for the job, the other guy had done it before",
]
BAD = ["", "N/A", "12345", '=HYPERLINK("http://example.com","click")']


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """60 rows: multi-line quoted cells, cells that are not feedback, and texts repeated within and across chunks."""
    rows = []
    for i in range(60):
        if i % 11 == 5:
            rows.append(BAD[i % len(BAD)])
        elif i % 3:
            rows.append(TEXTS[i % len(TEXTS)])  # a repeat
        else:
            rows.append(f"{TEXTS[i % len(TEXTS)]}\nRef. {i}")  # distinct
    path = tmp_path_factory.mktemp("dask") / "in.csv"
    pd.DataFrame({"id": range(60), "feedback": rows}).to_csv(path, index=False)
    assert path.read_bytes().count(b"\n") > 100  # quoted newlines: more lines than rows
    return path


@pytest.fixture(scope="module")
def local(source):
    out = source.with_name("local.csv")
    return out, summary_dict(run_batch(source, out, workers=1, chunk_rows=16))


@pytest.fixture(scope="module")
def one_worker():
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=":0")
    yield cluster.scheduler_address
    cluster.close()


COUNTS = ("rows_read", "analysed", "errors", "needs_review", "unique_texts", "reasons", "text_column")


def test_dask_on_two_workers_gives_the_default_engines_rows_and_counts(source, local):
    out = source.with_name("dask.csv")
    summary = summary_dict(run_batch(source, out, workers=2, chunk_rows=16, engine="dask"))
    assert out.read_bytes() == local[0].read_bytes()  # same rows, order, scores, to the byte
    assert {k: summary[k] for k in COUNTS} == {k: local[1][k] for k in COUNTS}
    texts = pd.read_csv(source, dtype=str, keep_default_na=False)["feedback"]
    assert summary["rows_read"] == 60 and summary["errors"] == 5
    assert summary["unique_texts"] == texts[~texts.isin(BAD)].nunique() < 55  # each distinct text analysed once
    df = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert df["id"].tolist() == [str(i) for i in range(60)] and df["feedback"][3].startswith(TEXTS[3])


def test_one_worker_on_a_running_scheduler_writes_the_same_parquet(source, one_worker):
    expected = source.with_name("local.parquet")
    run_batch(source, expected, workers=1, chunk_rows=16)
    out = source.with_name("dask.parquet")
    summary = run_batch(source, out, chunk_rows=16, engine="dask", scheduler=one_worker)
    assert sorted(p.name for p in out.iterdir()) == [f"part-{i:05d}.parquet" for i in range(4)]
    got, want = pd.read_parquet(out), pd.read_parquet(expected)
    assert got.dtypes.equals(want.dtypes) and got.equals(want)  # scores identical to the default engine's
    assert summary.rows_read == 60 and summary.unique_texts == 26
    run_batch(source, out, chunk_rows=30, engine="dask", scheduler=one_worker)  # our part files are replaced
    assert len(list(out.iterdir())) == 2 and pd.read_parquet(out).equals(want)


def test_cli_runs_dask_and_says_the_same_summary(source, local, one_worker):
    out = source.with_name("cli.csv")
    args = ["batch", str(source), "-o", str(out), "--engine", "dask", "--scheduler", one_worker]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == local[0].read_bytes()
    said = _said(result)
    want = local[1]
    assert (
        f"{want['rows_read']} rows read, {want['analysed']} analysed, {want['errors']} with errors, "
        f"{want['needs_review']} to review ({want['unique_texts']} distinct texts"
    ) in said
    assert "reasons: " + ", ".join(f"{r} {n}" for r, n in want["reasons"].items()) in said


def _said(result) -> str:
    return " ".join(result.stderr.replace("│", " ").split())


def test_cli_refusals(source, monkeypatch, tmp_path):
    jsonl = runner.invoke(app, ["batch", str(source), "-o", str(tmp_path / "o.jsonl"), "--engine", "dask"])
    assert jsonl.exit_code == 2 and "--engine dask writes .csv, .parquet, .xlsx" in _said(jsonl)
    engine = runner.invoke(app, ["batch", str(source), "-o", str(tmp_path / "o.csv"), "--engine", "spark"])
    assert engine.exit_code == 2 and "engines are: local, dask" in _said(engine)
    alone = runner.invoke(app, ["batch", str(source), "-o", str(tmp_path / "o.csv"), "--scheduler", "tcp://x:1"])
    assert alone.exit_code == 2 and "--scheduler needs --engine dask" in _said(alone)
    taken = tmp_path / "taken.parquet"
    taken.mkdir()
    (taken / "mine.txt").write_text("keep me")
    folder = runner.invoke(app, ["batch", str(source), "-o", str(taken), "--engine", "dask"])
    assert folder.exit_code == 2 and "is not a folder of part files" in _said(folder)
    assert (taken / "mine.txt").exists()
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if Dask were not installed
    missing = runner.invoke(app, ["batch", str(source), "-o", str(tmp_path / "o.csv"), "--engine", "dask"])
    assert missing.exit_code == 2 and "install analyser[dask]" in _said(missing)
    assert len(missing.stderr.strip().splitlines()) == 1 and "Traceback" not in missing.output
    assert not list(tmp_path.glob("o.*"))


@pytest.mark.parametrize("name", ["stopped.csv", "stopped.parquet"])
def test_an_interrupted_dask_run_leaves_nothing(source, one_worker, tmp_path, name):
    from analyser.batch import Interrupted

    def stop(_n):
        raise KeyboardInterrupt

    with pytest.raises(Interrupted, match="interrupted after 16 rows"):
        run_batch(source, tmp_path / name, chunk_rows=16, engine="dask", scheduler=one_worker, progress=stop)
    assert not list(tmp_path.iterdir())
