"""Turn job-rejection feedback into reasons, evidence, strengths, signals and next steps.

from analyser import analyse
result = analyse("While we were impressed by your experience, ...")
result.to_dict()   # the same object as `analyser analyse --json`

from analyser import analyse_frame
table = analyse_frame(df, "feedback")   # a pandas DataFrame with the columns `analyser batch` writes
"""

import logging

__version__ = "0.1.0"
__all__ = ["Analysis", "InputError", "analyse", "analyse_frame", "analyse_many", "__version__"]

logging.getLogger(__name__).addHandler(logging.NullHandler())


def __getattr__(name: str):
    # Lazy: `analyser --help` and light imports should not pay for spaCy and numpy.
    if name in {"Analysis", "InputError", "analyse", "analyse_many"}:
        from . import analysis

        return getattr(analysis, name)
    if name == "analyse_frame":
        from .frame import analyse_frame

        return analyse_frame
    raise AttributeError(f"module 'analyser' has no attribute {name!r}")
