"""The spreadsheet side of the web page: uploads with blanks, numbers and dates, honest counts, repeatable downloads."""

import datetime as dt
import io
import time

import openpyxl
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from analyser.web.app import create_app, page_words

FEEDBACK = [
    "While we were impressed by your experience, we went with a candidate whose SQL skills more closely match.",
    None,  # a blank cell in the preview rows
    "N/A",
    "Unfortunately the role has been filled internally. We will keep your CV on file.",
    "=1+1",  # a formula in the workbook: read as its (absent) cached value, so an empty cell
    "We chose someone with more experience of managing budgets.",
]


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(), base_url="http://127.0.0.1:8000") as c:
        yield c


def _xlsx() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "date", "score", "feedback", "notes"])
    for i, text in enumerate(FEEDBACK):
        ws.append([i + 1, dt.datetime(2026, 1, 5 + i), 3.5 if i % 2 else None, text, None])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _finish(client, job: str) -> dict:
    for _ in range(300):
        status = client.get(f"/api/jobs/{job}").json()
        if status["state"] in ("done", "failed"):
            return status
        time.sleep(0.1)
    raise AssertionError(status)


def test_xlsx_with_blank_cells_numbers_and_dates_previews_runs_and_downloads_twice(client):
    r = client.post("/spreadsheet", files={"file": ("export.xlsx", _xlsx(), "application/octet-stream")})
    assert r.status_code == 200, r.text
    assert '<option value="feedback" selected>' in r.text and "2026-01-05" in r.text and "nan" not in r.text
    job = r.text.split('action="/spreadsheet/')[1].split("/run")[0]
    client.post(f"/spreadsheet/{job}/run", data={"text_column": "feedback"}, follow_redirects=False)
    status = _finish(client, job)
    assert status["state"] == "done", status
    assert status["done"] == status["total"] == len(FEEDBACK)  # rows, not lines
    assert status["analysed"] == 3 and status["excluded"] == 3
    page = client.get(f"/spreadsheet/{job}").text
    assert "Done: 3 rows analysed, 3 excluded" in page
    assert "empty cell (2)" in page and "no feedback text (1)" in page
    assert "You can download them again until" in page
    for name in ("analysed.csv", "analysed.xlsx", "report.html"):
        first = client.get(f"/spreadsheet/{job}/download/{name}")
        again = client.get(f"/spreadsheet/{job}/download/{name}")
        assert first.status_code == again.status_code == 200 and first.content == again.content, name
    table = pd.read_excel(io.BytesIO(client.get(f"/spreadsheet/{job}/download/analysed.xlsx").content))
    assert len(table) == len(FEEDBACK)
    assert table["error"].fillna("").tolist()[1:3] == ["empty cell", "no feedback text"]


def test_uploaded_csv_with_quoted_newlines_counts_rows(client):
    text = "Dear Sam,\n\nthe role has been filled.\n\nKind regards,\nJo"
    csv = pd.DataFrame({"id": range(9), "feedback": [text] * 9}).to_csv(index=False)
    r = client.post("/spreadsheet", files={"file": ("f.csv", csv, "text/csv")})
    job = r.text.split('action="/spreadsheet/')[1].split("/run")[0]
    client.post(f"/spreadsheet/{job}/run", data={"text_column": "feedback"}, follow_redirects=False)
    status = _finish(client, job)
    assert status["total"] == 9 and status["done"] == 9


def test_messages_use_the_pages_words_and_a_favicon_is_served(client):
    r = client.post("/analyse", data={"text": "   "})
    assert r.status_code == 400 and "pass the text" not in r.text and "--" not in r.text.split('role="alert"')[1][:200]
    said = page_words("choose one with --text-column (columns are: a, b)")
    assert said == "choose it from the list (columns are: a, b)"
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\0\0\1\0"


def test_downloads_neutralise_formulas_in_cells_and_headers(client):
    header = '=HYPERLINK("http://evil.example","x")'
    cells = ["\x01=1+1", "＝1+1", "  +1+1", "@SUM(A1)"]
    text = "Unfortunately the role has been filled internally."
    csv = pd.DataFrame({header: cells, "feedback": [text] * 4}).to_csv(index=False)
    r = client.post("/spreadsheet", files={"file": ("f.csv", csv, "text/csv")})
    job = r.text.split('action="/spreadsheet/')[1].split("/run")[0]
    client.post(f"/spreadsheet/{job}/run", data={"text_column": "feedback"}, follow_redirects=False)
    assert _finish(client, job)["state"] == "done"
    table = pd.read_csv(io.BytesIO(client.get(f"/spreadsheet/{job}/download/analysed.csv").content), dtype=str)
    assert table.columns[0] == "'" + header and all(v.startswith("'") for v in table.iloc[:, 0])
    wb = openpyxl.load_workbook(io.BytesIO(client.get(f"/spreadsheet/{job}/download/analysed.xlsx").content))
    sheet = [c for row in wb.active.iter_rows() for c in row]
    assert not [c.coordinate for c in sheet if c.data_type == "f"]
    assert wb.active["A1"].value == "'" + header
