"""The web page stays local and bounded (issue 12, items 8 and 13): Host and Origin checks, framing, upload limits,
spreadsheet jobs in their own process beside API traffic, with every row accounted for."""

import io
import threading
import time

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from analyser.web.app import create_app
from analyser.web.security import expanded_problem, host_name, is_loopback, url_host

LOCAL = "http://127.0.0.1:8000"
TEXT = "Unfortunately we went with a candidate with more SQL experience. We were impressed by your communication."


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(max_upload_mb=1), base_url=LOCAL) as c:
        yield c


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]", "app.localhost"])
def test_loopback_names(host):
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["evil.example", "10.0.0.1", "0.0.0.0", "localhost.evil.example", "::"])
def test_not_loopback(host):
    assert not is_loopback(host)


def test_hosts_in_urls_and_headers():
    assert url_host("::1") == "[::1]" and url_host("127.0.0.1") == "127.0.0.1"
    assert host_name("[::1]:8000") == "::1" and host_name("localhost:80") == "localhost" and host_name("x") == "x"


def test_a_foreign_host_is_refused(client):
    r = client.get("/", headers={"Host": "evil.example"})
    assert r.status_code == 421
    assert client.get("/", headers={"Host": "localhost:8000"}).status_code == 200


@pytest.mark.parametrize(
    "kwargs",
    [
        {"data": {"text": TEXT}},  # a form on another site
        {"content": '{"text": "x"}', "headers": {"Content-Type": "text/plain"}},  # "simple" JSON, no preflight
        {"files": {"file": ("a.csv", "feedback\nx\n", "text/csv")}},
    ],
)
@pytest.mark.parametrize("path", ["/analyse", "/api/analyse", "/spreadsheet"])
def test_cross_origin_posts_are_refused(client, kwargs, path):
    headers = {**kwargs.pop("headers", {}), "Origin": "http://evil.example"}
    r = client.post(path, headers=headers, **kwargs)
    assert r.status_code == 403, r.text
    r = client.post(path, headers={"Sec-Fetch-Site": "cross-site"}, data={"text": TEXT})
    assert r.status_code == 403


def test_same_origin_posts_work(client):
    r = client.post("/api/analyse", json={"text": TEXT}, headers={"Origin": LOCAL})
    assert r.status_code == 200 and r.json()["reasons"]


def test_pages_may_not_be_framed_by_other_sites(client):
    r = client.get("/")
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"] and r.headers["x-frame-options"] == "DENY"


def test_an_oversized_upload_is_refused_before_it_is_read(client):
    big = b"feedback\n" + b"x" * (3 * 1024 * 1024)
    r = client.post("/spreadsheet", files={"file": ("big.csv", big, "text/csv")})
    assert r.status_code == 413 and "1 MB" in r.text


def test_a_streamed_upload_is_stopped_at_the_limit(client):
    sent = []

    def body():
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\nfeedback\n'
        for _ in range(40):  # 40 x 64 kB = 2.5 MB, no Content-Length
            sent.append(1)
            yield b"x" * 65536
        yield b"\r\n--b--\r\n"

    r = client.post("/spreadsheet", content=body(), headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert r.status_code == 413


def test_a_spreadsheet_that_expands_too_far_is_refused(tmp_path):
    path = tmp_path / "wide.xlsx"
    pd.DataFrame({"feedback": ["x" * 20] * 3000}).to_excel(path, index=False)
    assert "3,000 rows" in expanded_problem(path, max_rows=1000)
    assert "expands to" in expanded_problem(path, max_expanded=10_000)
    assert expanded_problem(path) is None


def _upload(client, rows: int, tag: str) -> str:
    texts = [f"{tag} {i}: {TEXT}" if i % 7 else "" for i in range(rows)]  # every 7th row is empty: marked, kept
    data = pd.DataFrame({"id": [f"{tag}-{i}" for i in range(rows)], "feedback": texts}).to_csv(index=False)
    r = client.post("/spreadsheet", files={"file": (f"{tag}.csv", data, "text/csv")}, headers={"Origin": LOCAL})
    assert r.status_code == 200, r.text
    job = r.text.split("/spreadsheet/")[1].split("/")[0]
    r = client.post(f"/spreadsheet/{job}/run", data={"text_column": "feedback"}, follow_redirects=False)
    assert r.status_code == 303
    return job


@pytest.mark.slow
def test_three_spreadsheet_jobs_and_api_traffic_at_once(client):
    jobs = {tag: _upload(client, 150, tag) for tag in ("a", "b", "c")}
    api_errors, api_done = [], []

    def traffic():
        for i in range(30):
            r = client.post("/api/analyse", json={"text": f"Zyx{i}qv {TEXT}"})
            (api_done if r.status_code == 200 else api_errors).append(r.status_code)
            assert client.get("/static/style.css").status_code == 200

    threads = [threading.Thread(target=traffic) for _ in range(2)]
    for t in threads:
        t.start()
    deadline = time.time() + 300
    states = {}
    while time.time() < deadline:
        states = {tag: client.get(f"/api/jobs/{job}").json()["state"] for tag, job in jobs.items()}
        if all(s in ("done", "failed") for s in states.values()):
            break
        time.sleep(0.5)
    for t in threads:
        t.join()
    assert states == {"a": "done", "b": "done", "c": "done"}
    assert api_errors == [] and len(api_done) == 60
    for tag, job in jobs.items():
        first = client.get(f"/spreadsheet/{job}/download/analysed.csv")
        again = client.get(f"/spreadsheet/{job}/download/analysed.csv")
        assert first.status_code == again.status_code == 200 and first.content == again.content
        out = pd.read_csv(io.BytesIO(first.content), keep_default_na=False)
        assert out["id"].tolist() == [f"{tag}-{i}" for i in range(150)]  # every row, in order
        assert (out["error"] != "").sum() == len(range(0, 150, 7)) and (out["reasons"] != "").sum() == 150 - 22


def test_new_words_do_not_grow_the_servers_vocabulary(client):
    from analyser.pipeline import load_pipeline

    strings = load_pipeline().vocab.strings
    client.post("/api/analyse", json={"text": "Qwzxa " + TEXT})
    before = len(strings)
    for i in range(40):
        assert client.post("/api/analyse", json={"text": f"Blorvik{i} zentrafol{i} {TEXT}"}).status_code == 200
    assert len(strings) == before


@pytest.mark.parametrize(
    "origin, fetch_site, ok",
    [
        ("http://127.0.0.1:8000", None, True),
        ("http://evil.example", "cross-site", False),
        ("null", "same-origin", True),  # Chromium's form POST under Referrer-Policy: no-referrer
        ("null", "cross-site", False),
        ("null", None, False),  # a sandboxed frame
        (None, None, True),  # curl, a script: not a page in a browser
        (None, "same-site", False),
    ],
)
def test_same_origin(origin, fetch_site, ok):
    from analyser.web.security import same_origin

    assert same_origin(origin, fetch_site, "127.0.0.1:8000") is ok
