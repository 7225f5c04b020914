"""A pandas DataFrame of feedback in, the same rows with `batch`'s analysis columns out.

`analyse_frame` is the table `analyser batch` writes, as a pure function of one frame: the same columns, dtypes and
formula protection, one output row per input row, bad cells marked in `error`, never dropped. It is what runs on each
partition of a Dask DataFrame (`analyser batch --engine dask`) and what a Spark pandas UDF can call.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import pandas as pd

from .batch import analyse_cells, choose_text_column, frame_of
from .config import MAX_CHARS, MODEL_DIR


def analyse_frame(
    df: pd.DataFrame,
    text_column: str | None = None,
    *,
    model: Path | str = MODEL_DIR,
    actions: Path | str | None = None,
    full: bool = False,
    max_chars: int = MAX_CHARS,
) -> pd.DataFrame:
    """`df` with the analysis columns of `analyser batch` added (a new frame; `df` is left as it is).

    >>> import pandas as pd
    >>> from analyser import analyse_frame
    >>> df = pd.DataFrame({"id": [1, 2], "feedback": ["We went with a candidate with more experience.", "N/A"]})
    >>> out = analyse_frame(df, "feedback")
    >>> out[["id", "top_reason", "score_experience", "error"]]  # doctest: +SKIP
       id  top_reason  score_experience            error
    0   1  experience             0.99
    1   2                         <NA>  no feedback text

    The output keeps `df`'s index. `text_column` None picks the column as `batch` does (named like feedback, else the only free-text column).
    Identical texts are analysed once. `full=True` gives `batch`'s JSONL shape instead: an `analysis` column of
    JSON objects and `error`. Text cells that would start a formula in a spreadsheet get a leading apostrophe, input
    columns included, so the frame is safe to write with any CSV or Excel writer. Raises `TableError` (a ValueError)
    naming the columns when `text_column` is not one of them.
    """
    column, _ = choose_text_column(df, text_column)
    rows = analyse_cells(
        df[column].tolist(),
        model=Path(model),
        actions=Path(actions) if actions else None,
        full=full,
        max_chars=max_chars,
        cache=OrderedDict(),
    )
    out = frame_of(df, rows, full=full)
    out.index = df.index
    return out


def output_dtypes(input_columns=()) -> dict[str, str]:
    """The analysis columns `analyse_frame` adds and their pandas dtypes, named as they would be next to
    `input_columns` (for a Dask `meta` or a Spark schema)."""
    out = frame_of(pd.DataFrame(columns=[str(c) for c in input_columns]), [], full=False)
    return {str(c): str(out[c].dtype) for c in out.columns[len(input_columns) :]}
