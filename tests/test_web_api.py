"""The web app through FastAPI's test client: the JSON API, the paste page, uploads, column choice, limits."""

import time

import pytest
from fastapi.testclient import TestClient

from analyser import analyse
from analyser.web.app import create_app, segments

EMAIL = (
    "Dear Sam,\n\nWhile we were impressed by your experience, we have decided to move forward with candidates "
    "whose skills more closely match our needs. We will keep your CV on file."
)
CSV = (
    'id,date,feedback\n1,2026-01-05,"'
    + EMAIL.replace('"', '""')
    + '"\n2,2026-01-06,The role has been filled internally.\n3,2026-01-07,\n'
)


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(), base_url="http://127.0.0.1:8000") as c:
        yield c


def test_api_returns_exactly_the_json_object(client):
    r = client.post("/api/analyse", json={"text": EMAIL})
    assert r.status_code == 200
    assert r.json() == analyse(EMAIL).to_dict()


@pytest.mark.parametrize(
    "kwargs, status",
    [
        ({"json": {"text": "   "}}, 422),
        ({"json": {"body": "x"}}, 422),
        ({"content": b"not json"}, 400),
        ({"json": ["x"]}, 422),
    ],
)
def test_api_bad_input_is_a_4xx_with_one_line(client, kwargs, status):
    r = client.post("/api/analyse", **kwargs)
    assert r.status_code == status
    assert "\n" not in r.json()["error"]


def test_paste_page_highlights_evidence_and_strengths(client):
    page = client.get("/")
    assert page.status_code == 200 and '<label for="text">' in page.text
    r = client.post("/analyse", data={"text": EMAIL})
    assert r.status_code == 200
    assert '<mark class="k-skills"' in r.text
    assert "Copy message" in r.text and 'type="checkbox"' in r.text
    assert r.headers["content-security-policy"].startswith("default-src 'self'")


def test_script_in_pasted_text_is_shown_as_text(client):
    r = client.post("/analyse", data={"text": "<script>alert('x')</script> The role has been filled internally."})
    assert "<script>alert" not in r.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in r.text


def test_empty_paste_is_refused_with_a_message(client):
    r = client.post("/analyse", data={"text": "  "})
    assert r.status_code == 400 and 'role="alert"' in r.text and "empty" in r.text


def test_upload_choose_column_analyse_and_download(client):
    r = client.post("/spreadsheet", files={"file": ("feedback.csv", CSV, "text/csv")})
    assert r.status_code == 200
    assert '<option value="feedback" selected>' in r.text  # the free-text column is guessed
    assert "filled internally" in r.text  # preview of the first rows
    job = r.text.split('action="/spreadsheet/')[1].split("/run")[0]
    r = client.post(f"/spreadsheet/{job}/run", data={"text_column": "feedback"}, follow_redirects=False)
    assert r.status_code == 303
    for _ in range(200):
        status = client.get(f"/api/jobs/{job}").json()
        if status["state"] in ("done", "failed"):
            break
        time.sleep(0.1)
    assert status["state"] == "done", status
    page = client.get(f"/spreadsheet/{job}")
    assert "analysed.csv" in page.text and "analysed.xlsx" in page.text and "<iframe" in page.text
    assert client.get(f"/spreadsheet/{job}/report").status_code == 200
    csv = client.get(f"/spreadsheet/{job}/download/analysed.csv")
    assert csv.status_code == 200
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("id,date,feedback,reasons")
    assert client.get(f"/spreadsheet/{job}/download/analysed.csv").content == csv.content  # kept until expiry
    xlsx = client.get(f"/spreadsheet/{job}/download/analysed.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_wrong_type_and_size_limit_are_refused():
    with TestClient(create_app(max_upload_mb=0.001), base_url="http://127.0.0.1:8000") as small:
        r = small.post("/spreadsheet", files={"file": ("notes.txt", "hello", "text/plain")})
        assert r.status_code == 415 and "not a spreadsheet" in r.text
        r = small.post("/spreadsheet", files={"file": ("big.csv", "feedback\n" + "x" * 5000, "text/csv")})
        assert r.status_code == 413 and "limit" in r.text


def test_unreadable_upload_is_a_message_not_a_crash(client):
    r = client.post("/spreadsheet", files={"file": ("broken.xlsx", b"not a spreadsheet", "application/octet-stream")})
    assert r.status_code == 422 and 'role="alert"' in r.text


def test_segments_prefer_the_gap_over_the_strength():
    pieces = segments("abcdef", [(0, 4, "strength"), (2, 6, "skills")])
    assert pieces == [("ab", ("strength",)), ("cd", ("strength", "skills")), ("ef", ("skills",))]
    assert segments("abc", [(0, 3, "skills"), (0, 3, "experience")]) == [("abc", ("skills", "experience"))]


def test_api_and_page_take_tone_and_channel(client):
    formal = client.post("/api/analyse", json={"text": EMAIL}).json()["follow_up"]
    short = client.post("/api/analyse", json={"text": EMAIL, "tone": "warm", "channel": "linkedin"}).json()
    assert formal.startswith("Subject:") and not short["follow_up"].startswith("Subject:")
    assert len(short["follow_up"]) < len(formal)
    bad = client.post("/api/analyse", json={"text": EMAIL, "tone": "rude"})
    assert bad.status_code == 422 and "tone" in bad.json()["error"]
    page = client.post("/analyse", data={"text": EMAIL, "tone": "warm", "channel": "linkedin"})
    assert page.status_code == 200 and '<option value="warm" selected>' in page.text
    assert '<select id="channel" name="channel">' in page.text and "Subject:" not in page.text


def test_praise_and_gap_clauses_of_one_sentence_are_highlighted_apart(client):
    r = client.post("/analyse", data={"text": EMAIL})
    assert (
        '<mark class="k-strength" title="Strength" data-kind="strength">While we were impressed by your experience,</mark>'
        in r.text
    )
    assert '<mark class="k-skills" title="Skills" data-kind="skills">we have decided' in r.text


def test_a_sentence_showing_two_reasons_shows_both():
    pieces = segments("We need more experience and SQL.", [(0, 32, "experience"), (0, 32, "skills")])
    assert pieces[0][1] == ("experience", "skills")


def test_page_names_every_reason_of_a_sentence(client):
    text = (
        "Unfortunately we have gone with a candidate with more commercial experience, and your answers in the "
        "interview lacked structure and specific examples."
    )
    r = client.post("/analyse", data={"text": text})
    assert 'class="k-experience multi k2-interview"' in r.text
    assert '<sup class="kinds">Experience + Interview performance</sup>' in r.text
