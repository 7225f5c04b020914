"""Turn job-rejection feedback into reasons, evidence, strengths, signals and next steps."""

import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())
