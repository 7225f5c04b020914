import pytest


@pytest.fixture(scope="session")
def nlp():
    """The shipped pipeline, loaded once per test session."""
    from analyser.pipeline import load_pipeline

    return load_pipeline()


@pytest.fixture(scope="session")
def blank_nlp():
    """The rule parts of the pipeline (no classifier): cheap, for segmentation and matcher tests."""
    from analyser.pipeline import build_pipeline

    return build_pipeline(with_classifier=False)


def pytest_terminal_summary(terminalreporter):
    """Say it when the browser tests could not run: without Chromium they are skipped, which is easy to miss."""
    import shutil

    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        terminalreporter.write_line(
            "notice: Debian's chromium is not installed, so the browser tests were skipped; "
            ".ci/run installs it (apt-get install chromium)",
            yellow=True,
        )
