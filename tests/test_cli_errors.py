"""Every unusable input to the CLI ends with exit 2 and one line on stderr, never a traceback (issue 12, item 4)."""

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyser.cli import app

runner = CliRunner()
DECISION = "Unfortunately we regret that you lacked the SQL skills and experience we needed for the analyst role."


def one_line_exit_2(result, *words):
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    for word in words:
        assert word in lines[0], lines[0]


def test_eml_with_an_unknown_charset_is_read(tmp_path):
    eml = tmp_path / "a.eml"
    eml.write_bytes(
        b"From: hr@example.com\r\nSubject: x\r\nContent-Type: text/plain; charset=x-unknown-9\r\n\r\n"
        + DECISION.encode()
        + b"\r\n"
    )
    result = runner.invoke(app, ["analyse", "--json", "--file", str(eml)])
    assert result.exit_code == 0, result.output
    assert '"skills"' in result.stdout


def test_non_utf8_bytes_in_an_argument_are_analysed():
    text = os.fsdecode(b"we regret \xff\xfe ") + DECISION  # what Python makes of undecodable argv bytes
    result = runner.invoke(app, ["analyse", "--json", text])
    assert result.exit_code == 0, result.output
    assert "invalid character" in result.stdout


def test_people_view_prints_markup_in_the_text_as_it_is():
    text = "We were really impressed by your [/x] experience in [bold]retail. " + DECISION
    result = runner.invoke(app, ["analyse", text])
    assert result.exit_code == 0, result.exception
    assert "[/x]" in result.stdout and "[bold]retail" in result.stdout


def test_catalogue_with_wrong_types_is_refused(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[actions]]\nid = ["x"]\nreason = ["skills"]\ntitle = "t"\nsteps = ["s"]\nneeds = [["a"]]\n')
    result = runner.invoke(app, ["analyse", "--actions", str(bad), DECISION])
    assert result.exit_code == 2 and result.exception is None or isinstance(result.exception, SystemExit)
    assert "'id' must be a string" in result.stderr and "'reason' must be a string" in result.stderr


@pytest.mark.parametrize(
    "template, problem",
    [("Hello {name}", "unknown placeholder"), ("Hello {role", "bad placeholder"), ("42", None)],
)
def test_follow_up_templates_are_checked_when_they_are_loaded(tmp_path, template, problem):
    # the follow-up templates moved from the action catalogue to data/follow_up.toml (issue 10)
    from analyser.follow_up import FOLLOW_UP_PATH, FollowUpError, load_templates

    text = FOLLOW_UP_PATH.read_text()
    assert 'sign_off = "' in text
    bad = tmp_path / "bad.toml"
    value = 42 if problem is None else f'"{template}"'
    bad.write_text(text.replace('sign_off = "', f'sign_off = {value}\nnot_used_ = "', 1))
    with pytest.raises(FollowUpError, match=problem or "must be a non-empty string"):
        load_templates(bad)


def test_a_path_with_rich_markup_is_printed_as_it_is(tmp_path):
    folder = tmp_path / "a[/x]"
    result = runner.invoke(app, ["batch", str(folder / "none.csv"), "-o", str(tmp_path / "o.csv")])
    one_line_exit_2(result, "a[/x]")


@pytest.fixture
def table(tmp_path) -> Path:
    path = tmp_path / "in.csv"
    path.write_text(f'student_id,a/b,text\n1,x,"{DECISION}"\n')
    return path


def test_batch_into_a_missing_folder(table, tmp_path):
    result = runner.invoke(app, ["batch", str(table), "-o", str(tmp_path / "nodir" / "out.csv")])
    one_line_exit_2(result, "does not exist")
    assert not (tmp_path / "nodir").exists()


def test_trends_into_a_missing_folder(table, tmp_path):
    result = runner.invoke(app, ["trends", str(table), "-o", str(tmp_path / "nodir" / "r.html")])
    one_line_exit_2(result, "does not exist")


@pytest.mark.parametrize(
    "content, words",
    [("student_id,text\n", ["no rows"]), ("student_id,text\n1,\n2,12\n", ["none of the 2 rows", "empty cell"])],
)
def test_trends_on_a_header_only_or_all_error_file(tmp_path, content, words):
    path = tmp_path / "in.csv"
    path.write_text(content)
    result = runner.invoke(app, ["trends", str(path), "-t", "text", "-o", str(tmp_path / "r.html")])
    one_line_exit_2(result, *words)


def test_trends_by_a_column_with_a_slash_writes_its_table(table, tmp_path):
    result = runner.invoke(
        app, ["trends", str(table), "--by", "a/b", "-o", str(tmp_path / "r.html"), "--csv", str(tmp_path / "t")]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "t" / "by_a_b.csv").exists()


def test_train_into_a_folder_that_cannot_exist_fails_at_once(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = runner.invoke(app, ["train", "--out", str(blocker / "model")])
    one_line_exit_2(result, "cannot write the model")
    assert "cannot write the model" in result.stderr
