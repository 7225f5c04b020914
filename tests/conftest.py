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
