"""The web page in Debian's Chromium driven by Playwright: paste, upload and download, and a script shown as text.

Each test saves a screenshot under test-artifacts/.
"""

import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).parents[1] / "test-artifacts"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)"),
]

EMAIL = (
    "Dear Sam,\n\nThank you for interviewing for the Data Analyst role at Northwind.\n\n"
    "While we were impressed by your experience in retail operations, we have decided to move forward with a candidate "
    "whose SQL and Power BI skills more closely match what the team needs right now.\n\n"
    "We will keep your details on file. If you would like more detailed feedback, I'm happy to arrange a call.\n\nKind regards,\nPriya"
)


@pytest.fixture(scope="module")
def server():
    import uvicorn

    from analyser.web.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=5)


@pytest.fixture()
def page():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        context = browser.new_context(accept_downloads=True, viewport={"width": 1100, "height": 900})
        pg = context.new_page()
        pg.dialogs = []
        pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
        yield pg
        browser.close()


def test_paste_an_email_and_see_highlighted_reasons_and_actions(server, page):
    page.goto(server + "/")
    page.get_by_label("Feedback text").fill(EMAIL)
    page.get_by_role("button", name="Analyse").click()
    page.wait_for_selector("mark.k-skills")
    assert "Power BI skills" in page.inner_text("mark.k-skills")
    assert page.locator("mark.k-strength, mark.k-skills").count() >= 1
    assert page.get_by_role("heading", name="What to do next").is_visible()
    assert page.locator(".checklist input[type=checkbox]").count() >= 2
    assert "Northwind" in page.input_value("#follow-up")
    page.screenshot(path=str(ARTIFACTS / "paste-result.png"), full_page=True)


def test_rewrite_the_message_in_another_tone_and_channel(server, page):
    page.goto(server + "/")
    page.get_by_label("Feedback text").fill(EMAIL)
    page.get_by_role("button", name="Analyse").click()
    page.wait_for_selector("#follow-up")
    assert page.input_value("#follow-up").startswith("Subject:") and "Dear Priya" in page.input_value("#follow-up")
    page.select_option("#tone", "warm")
    page.select_option("#channel", "linkedin")
    page.get_by_role("button", name="Rewrite the message").click()
    page.wait_for_selector("#follow-up")
    message = page.input_value("#follow-up")
    assert not message.startswith("Subject:") and message.startswith("Hi Priya")
    assert page.locator("#tone").input_value() == "warm" and page.locator("#channel").input_value() == "linkedin"
    assert "Power BI skills" in page.inner_text("mark.k-skills")  # the same email, analysed again


def test_upload_a_csv_and_download_the_analysed_table(server, page, tmp_path):
    src = tmp_path / "feedback.csv"
    src.write_text('id,feedback\n1,"' + EMAIL.replace('"', '""') + '"\n2,The role has been filled internally.\n')
    page.goto(server + "/spreadsheet")
    page.get_by_label("Spreadsheet file").set_input_files(str(src))
    page.get_by_role("button", name="Upload").click()
    assert page.get_by_label("Feedback column").input_value() == "feedback"
    page.get_by_role("button", name="Analyse").click()
    page.wait_for_selector("text=Done", timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "spreadsheet-done.png"), full_page=True)
    with page.expect_download() as info:
        page.get_by_role("link", name="analysed.csv").click()
    saved = tmp_path / "analysed.csv"
    info.value.save_as(saved)
    lines = saved.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("id,feedback,reasons")
    assert any(line.startswith("2,") and "logistics" in line for line in lines)


def test_a_script_payload_is_displayed_as_text(server, page):
    payload = "<script>alert('gotcha')</script><img src=x onerror=alert(1)> The role has been filled internally."
    page.goto(server + "/")
    page.get_by_label("Feedback text").fill(payload)
    page.get_by_role("button", name="Analyse").click()
    page.wait_for_selector(".feedback")
    assert "<script>alert('gotcha')</script>" in page.inner_text(".feedback")
    assert page.dialogs == []
    assert page.locator(".feedback img").count() == 0
    page.screenshot(path=str(ARTIFACTS / "script-as-text.png"), full_page=True)
