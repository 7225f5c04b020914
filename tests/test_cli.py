import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyser.cli import app

runner = CliRunner()
EXAMPLE = (
    "While we were impressed by your experience, we have decided to move forward with candidates "
    "whose skills more closely match our needs."
)


@pytest.mark.parametrize("command", [[], ["analyse"], ["train"], ["evaluate"]])
def test_help_everywhere(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output


def test_json_output_is_one_object():
    result = runner.invoke(app, ["analyse", "--json", EXAMPLE])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert "skills" in [r["reason"] for r in data["reasons"]]
    assert "experience" not in [r["reason"] for r in data["reasons"]]


def test_people_view_shows_reasons_strengths_actions_and_follow_up():
    result = runner.invoke(app, ["analyse", EXAMPLE])
    assert result.exit_code == 0
    for heading in ("Why", "What they liked", "What it signals", "What to do next", "Follow-up message"):
        assert heading in result.stdout


def test_stdin_is_read():
    result = runner.invoke(app, ["analyse", "--json"], input="The position has been filled internally.")
    assert result.exit_code == 0
    assert "logistics" in result.stdout


@pytest.mark.parametrize("text", ["", "   \n"])
def test_empty_input_exits_2_with_one_line(text):
    result = runner.invoke(app, ["analyse", "--json"], input=text)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and "empty" in result.stderr


def test_file_inputs_txt_html_eml(tmp_path):
    (tmp_path / "a.txt").write_text("The role has been filled internally.", encoding="cp1252")
    (tmp_path / "a.html").write_text("<html><body><p>The role has been <b>filled</b> internally.</p></body></html>")
    (tmp_path / "a.eml").write_bytes(
        b"From: hr@example.com\r\nSubject: Your application\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<p>The role has been filled internally.</p>\r\n"
    )
    for name in ("a.txt", "a.html", "a.eml"):
        result = runner.invoke(app, ["analyse", "--json", "--file", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        assert "logistics" in [r["reason"] for r in json.loads(result.stdout)["reasons"]], name


def test_missing_file_is_a_usage_error():
    result = runner.invoke(app, ["analyse", "--file", "/no/such/file.txt"])
    assert result.exit_code == 2


def test_binary_file_is_refused(tmp_path):
    path = tmp_path / "x.txt"
    path.write_bytes(b"\x00\x01\x02" * 100)
    result = runner.invoke(app, ["analyse", "--file", str(path)])
    assert result.exit_code == 2 and "binary" in result.stderr


def test_custom_catalogue_is_used_and_a_bad_one_is_refused(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[actions]]\nreason = "vibes"\ntitle = "x"\nsteps = ["y"]\n')
    result = runner.invoke(app, ["analyse", "--json", "--actions", str(bad), EXAMPLE])
    assert result.exit_code == 2
    assert "unknown reason 'vibes'" in result.stderr and "Traceback" not in result.stderr


def test_readme_example_file():
    result = runner.invoke(
        app, ["analyse", "--json", "--file", str(Path(__file__).parents[1] / "examples" / "rejection.txt")]
    )
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert [r["reason"] for r in data["reasons"]] == ["skills"]
    assert [s["aspect"] for s in data["strengths"]] == ["experience"]
    assert {"SQL", "Power BI"} <= set(data["skills_mentioned"])
    assert data["signals"] == {"door_open": True, "feedback_offered": True, "feedback_declined": False}
    assert (
        "Data Analyst" in data["follow_up"]
        and "Northwind Logistics" in data["follow_up"]
        and "Dear Priya" in data["follow_up"]
    )
