"""The same text gets the same scores in every process, whatever PYTHONHASHSEED is (set order varies with it)."""

import json
import subprocess
import sys

import pytest

SCRIPT = """
import json
from analyser import analyse
texts = ["While your Python was strong, we chose someone with more experience of Kubernetes and Terraform.",
         "Thanks for interviewing. We will keep your CV on file, but cannot give individual feedback."]
print(json.dumps([analyse(t).scores for t in texts]))
"""


@pytest.mark.slow
def test_scores_are_identical_across_hash_seeds():
    outs = []
    for seed in ("1", "12345"):
        run = subprocess.run(
            [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, env={"PYTHONHASHSEED": seed}
        )
        outs.append(json.loads(run.stdout))
    assert outs[0] == outs[1]
