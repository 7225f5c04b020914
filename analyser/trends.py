"""Trends across many analysed rejections, for careers advisers: tables with counts, shares and 95% Wilson intervals,
changes between periods flagged only when significant, and small groups suppressed.

`aggregate()` returns plain DataFrames (the numbers in the report and in --csv); `analyser.trends_report` draws them.
"""

from __future__ import annotations

import json
import math
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from .privacy import WITHHELD, redact, secondary, suppress
from .tables import TableError, read_table
from .taxonomy import load_taxonomy

ROLE_NAMES = {
    "date": ("date", "sent", "sent_date", "received", "received_date", "decision_date", "rejection_date", "timestamp"),
    "employer": ("employer", "company", "organisation", "organization", "firm"),
    "sector": ("sector", "industry"),
    "stage": ("stage", "application_stage"),
    "cohort": ("cohort", "course", "programme", "program", "degree", "year_group"),
    "student": ("student_id", "student", "studentid", "learner_id", "candidate_id"),
}
FREQS = {"M": "M", "Q": "Q", "Y": "Y"}
NOT_GIVEN = "(not given)"  # the group of rows whose cell is blank
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
ALPHA = 0.05
_LONE_CR = re.compile("\r(?!\n)")
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
MAX_QUOTES = 3


@dataclass
class Trends:
    """Everything the report shows, as data."""

    headline: dict
    overall: pd.DataFrame
    over_time: pd.DataFrame
    changes: pd.DataFrame
    segments: dict[str, pd.DataFrame]
    skills: pd.DataFrame
    employers: pd.DataFrame
    strengths: pd.DataFrame
    actions: pd.DataFrame
    quotes: dict[str, list[str]]
    methods: dict
    min_group: int
    roles: dict[str, str] = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        out = {
            "overall": self.overall,
            "over_time": self.over_time,
            "changes": self.changes,
            "skills": self.skills,
            "employers": self.employers,
            "strengths": self.strengths,
            "actions": self.actions,
            "headline": pd.DataFrame([self.headline]),
        }
        out.update({f"by_{name}": df for name, df in self.segments.items()})
        return out


# -- statistics ------------------------------------------------------------------------------------------------------
def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval for k successes in n trials."""
    if n == 0:
        return (0.0, 0.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def two_proportion_p(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided p-value of the pooled two-proportion z-test."""
    if not n1 or not n2:
        return 1.0
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0
    z = (k1 / n1 - k2 / n2) / se
    return math.erfc(abs(z) / math.sqrt(2))


def holm(pvalues: list[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values, in the input order."""
    order = sorted(range(len(pvalues)), key=lambda i: pvalues[i])
    adjusted = [1.0] * len(pvalues)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(pvalues) - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted


# -- loading ---------------------------------------------------------------------------------------------------------
def is_analysed(columns) -> bool:
    cols = set(map(str, columns))
    return {"reasons", "error", "score_unspecified"} <= cols or {"analysis", "error"} <= cols


# The columns the tables read besides the groups, the date and the student id (a batch output also holds the
# feedback, scores and warnings: most of the file).
ANALYSIS_READ = (
    "reasons",
    "skills_gaps",
    "skills_mentioned",
    "actions",
    "strength_aspects",
    "strengths",
    "door_open",
    "evidence",
    "error",
)


def report_columns(columns, *, date_column: str | None = None, by: list[str] | None = None) -> list[str] | None:
    """The columns of analysed rows that `aggregate(date_column=..., by=...)` reads, in their order; None when a named
    column is missing (then every column is kept, so that aggregate's error lists them all)."""
    cols = [str(c) for c in columns]
    by = list(by or [])
    if any(name not in cols for name in [date_column, *by] if name is not None):
        return None
    used = {*find_roles(cols, date_column=date_column, by=by).values(), *by, *ANALYSIS_READ}
    return [c for c in cols if c in used]


def load_rows(
    path: Path,
    *,
    text_column: str | None = None,
    workers: int = 1,
    model=None,
    report_only: bool = False,
    date_column: str | None = None,
    by: list[str] | None = None,
) -> pd.DataFrame:
    """The analysed rows of a batch output (a file, or the folder of Parquet part files `batch --engine dask` writes),
    or of a raw feedback file analysed now (same options as batch).

    `report_only`: only the columns that `aggregate(date_column=..., by=...)` reads, the others not even converted
    (the same rows and cells in those columns as a full read)."""
    path = Path(path)
    wanted = (lambda cols: report_columns(cols, date_column=date_column, by=by)) if report_only else None
    suffix = path.suffix.lower()
    if path.is_dir() or suffix == ".parquet":
        df = _read_parquet(path, wanted)
    else:
        fast = _read_batch_jsonl(path, wanted) if suffix == ".jsonl" else None
        if fast is not None:
            return fast
        df = _read_csv_fast(path, wanted) if suffix in (".csv", ".tsv") else None
        if df is None:
            frames = list(read_table(path, chunk_rows=50_000))
            if not frames:
                raise TableError(f"{path.name} has no rows")
            df = pd.concat(frames, ignore_index=True)
    df.columns = [str(c) for c in df.columns]
    if df.empty:
        raise TableError(f"{path.name} has no rows, only a header")
    if not is_analysed(df.columns):
        if path.is_dir():
            raise TableError(f"{path.name} is a folder of Parquet files that are not a batch output; analyse a file")
        from .batch import run_batch

        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "analysed.jsonl"
            kwargs = {"model": model} if model else {}
            run_batch(path, out, text_column=text_column, workers=workers, **kwargs)
            return load_rows(out, report_only=report_only, date_column=date_column, by=by)
    df = _own_names(df)
    if "analysis" in df.columns:
        df = _flatten_jsonl(df)
    if wanted is not None:
        keep = wanted(df.columns)
        if keep is not None and len(keep) < len(df.columns):
            df = df[keep]
    return df


def _reads(header: list[str], wanted) -> list[str] | None:
    """Which of a batch output's columns (as the file names them) to read for `wanted` (None: all of them). The
    analysis columns are found by position under `_own_names`, so the choice is made on the renamed header."""
    if wanted is None or not is_analysed(header) or "analysis" in header:
        return None
    renamed = list(_own_names(pd.DataFrame(columns=header)).columns)
    # score_unspecified is read too, so that the rows are still seen to be analysed
    return _chosen(header, renamed, wanted, also=("score_unspecified",))


def _chosen(names: list[str], renamed: list[str], wanted, also: tuple[str, ...] = ()) -> list[str] | None:
    """The `names` whose new names (`renamed`, position for position) `wanted(renamed)` keeps, or are in `also`;
    None when `wanted` keeps everything (a named column is missing)."""
    keep = wanted(renamed)
    if keep is None:
        return None
    keep = {*keep, *also}
    return [n for n, r in zip(names, renamed) if r in keep]


def _read_parquet(path: Path, wanted) -> pd.DataFrame:
    """A Parquet file, or the part files of a folder in part order, as one frame (only the columns `wanted` chooses)."""
    from .tables import parquet_columns

    columns = _reads(parquet_columns(path), wanted)
    frames = list(read_table(path, chunk_rows=50_000, columns=columns))
    if not frames:
        raise TableError(f"{path.name} has no rows")
    return pd.concat(frames, ignore_index=True)


def _read_csv_fast(path: Path, wanted=None) -> pd.DataFrame | None:
    """A UTF-8 CSV through pyarrow's reader (several times faster than pandas' on a batch output, quoted newlines
    too), with the cells read_table gives: strings, blanks as ''. None, for read_table to read it (and say what is
    wrong), when the file is anything else: another encoding, a header pandas would rename, a ragged row. Only the
    columns `wanted` chooses are converted (all of them are still parsed)."""
    import csv
    import io

    import pyarrow as pa
    import pyarrow.csv as pv

    from .tables import SNIFF_BYTES, detect_encoding, sniff_delimiter

    try:
        with open(path, "rb") as fh:
            sample = fh.read(SNIFF_BYTES)
    except OSError:
        return None
    if not sample.strip() or b"\x00" in sample or detect_encoding(sample) != "utf-8-sig":
        return None
    text = sample.decode("utf-8-sig", errors="replace")
    delimiter = "\t" if path.suffix.lower() == ".tsv" else sniff_delimiter(text)
    try:
        header = next(csv.reader(io.StringIO(text), delimiter=delimiter))
    except (csv.Error, StopIteration):
        return None
    if not header or len(set(header)) < len(header) or any(not h.strip() for h in header) or _LONE_CR.search(text):
        return None  # pandas renames repeated and blank names ('a.1', 'Unnamed: 3'); old Mac endings: read_table
    columns = _reads(header, wanted)
    try:
        table = pv.read_csv(
            path,
            read_options=pv.ReadOptions(encoding="utf8", block_size=8 << 20),
            parse_options=pv.ParseOptions(delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=True),
            convert_options=pv.ConvertOptions(
                column_types={h: pa.string() for h in header},
                include_columns=columns,
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError, UnicodeError):
        return None
    if table.column_names != (header if columns is None else columns):
        return None
    return table.to_pandas()


def _read_batch_jsonl(path: Path, wanted=None) -> pd.DataFrame | None:
    """A batch JSONL output with only what the report needs: the input fields, and of each row's analysis the fields
    `_flatten_jsonl` keeps (not the scores, action steps or follow-up, which are most of the file). The same frame as
    read_table then `_flatten_jsonl` (chunks of 50,000 rows typed the same way), or None when the file is not plainly
    a batch output (a line that is not a JSON object, fields that differ between lines, suffixed names). Of the
    input fields only those `wanted` chooses become cells.

    pyarrow's JSON reader parses the fields the report reads and skips the rest; a file it refuses (a value of another
    type than text in an input field, a lone surrogate, bytes that are not UTF-8, an analysis of another shape) is
    read line by line with json instead."""
    tax = load_taxonomy()
    keys = _first_keys(path)
    if (
        keys is None
        or keys[-2:] != ["analysis", "error"]
        or list(_own_names(pd.DataFrame(columns=keys)).columns) != keys
    ):
        return None
    inputs = [k for k in keys if k != "analysis"]
    fields = _input_fields(inputs, wanted, tax) or inputs
    read = _batch_jsonl_arrow(path, fields, tax) or _batch_jsonl_python(path, keys, fields, tax)
    if read is None:
        return None
    base, flat = read
    out = _joined(base, flat)
    keep = wanted(out.columns) if wanted is not None else None
    return out if keep is None else out[keep]


def _first_keys(path: Path) -> list[str] | None:
    """The fields of a JSONL file's first object (None when its first line is not one)."""
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as fh:
            line = next((x for x in fh if x.strip()), None)
        value = json.loads(line) if line is not None else None
    except (OSError, json.JSONDecodeError):
        return None
    return [str(k) for k in value] if isinstance(value, dict) else None


def _inputs_frame(columns: dict[str, list]) -> pd.DataFrame:
    """Input fields as read_table gives JSONL cells: object columns, None for missing (typed per 50,000-row chunk)."""
    n = len(next(iter(columns.values()))) if columns else 0
    chunks = []
    for start in range(0, n, 50_000):
        chunk = pd.DataFrame({k: v[start : start + 50_000] for k, v in columns.items()}).astype(object)
        chunks.append(chunk.where(chunk.notna(), None))
    base = pd.concat(chunks, ignore_index=True)
    base.columns = [str(c) for c in base.columns]
    return base


def _batch_jsonl_python(path: Path, keys: list[str], fields: list[str], tax):
    """(input fields, flattened analyses) of a batch JSONL output read line by line, or None (see _read_batch_jsonl)."""
    from .tables import _without_surrogates

    inputs: dict[str, list] = {k: [] for k in fields}
    flat: list[dict] = []
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as fh:
            for line in fh:
                if not line.strip():
                    continue
                value = json.loads(line)
                if _ESCAPED_SURROGATE.search(line):  # the only way a lone surrogate gets into a value
                    value, _ = _without_surrogates(value)
                if not isinstance(value, dict) or list(value) != keys:
                    return None
                flat.append(_flat_analysis(value["analysis"], tax))
                for k in fields:
                    inputs[k].append(value[k])
    except (OSError, json.JSONDecodeError, KeyError, TypeError):
        return None
    if not flat:
        return None
    base = _inputs_frame(inputs)
    return base, pd.DataFrame(flat, index=base.index)


def _batch_jsonl_arrow(path: Path, fields: list[str], tax):
    """(input fields, flattened analyses) of a batch JSONL output through pyarrow's JSON reader, which skips the
    fields not asked for; None when it refuses the file or an analysis lacks a field _flat_analysis reads (then the
    line-by-line reader decides, as before)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.json as pj

    text, items = pa.string(), pa.list_(pa.string())
    analysis = pa.struct(
        [
            ("reasons", pa.list_(pa.struct([("reason", text), ("evidence", items)]))),
            ("stage", text),
            ("signals", pa.struct([(s, pa.bool_()) for s in tax.signals])),
            ("skills_gaps", items),
            ("skills_mentioned", items),
            ("actions", pa.list_(pa.struct([("title", text)]))),
            ("strengths", pa.list_(pa.struct([("aspect", text)]))),
        ]
    )
    schema = pa.schema([*((f, text) for f in fields), ("analysis", analysis)])
    try:
        table = pj.read_json(
            path,
            read_options=pj.ReadOptions(block_size=8 << 20),
            parse_options=pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore"),
        )
        if not table.num_rows:
            return None
        table.validate(full=True)  # the reader does not check that text is UTF-8: ArrowInvalid when it is not
        a = table.column("analysis").combine_chunks()
        present = a.is_valid()
        part = {name: pc.struct_field(a, name) for name in ("reasons", "stage", "signals", *analysis.names[3:])}
        # a field _flat_analysis reads (a missing one is a KeyError there) or a legacy file without skill gaps
        if any(
            pc.any(pc.and_(present, part[n].is_null())).as_py() for n in ("reasons", "signals", *analysis.names[3:])
        ):
            return None

        def joined(lists, field=None) -> list[str] | None:
            lengths = pc.fill_null(pc.list_value_length(lists), 0).to_numpy(zero_copy_only=False)
            values = pc.list_flatten(lists)
            values = pc.struct_field(values, field) if field else values
            if values.null_count:
                return None  # ';'.join of a null: a TypeError there
            offsets = pa.array(np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32))
            return pc.binary_join(pa.ListArray.from_arrays(offsets, values), ";").to_pylist()

        reasons = part["reasons"]
        cols = {
            "reasons": joined(reasons, "reason"),
            "skills_mentioned": joined(part["skills_mentioned"]),
            "skills_gaps": joined(part["skills_gaps"]),
            "actions": joined(part["actions"], "title"),
            "strength_aspects": joined(part["strengths"], "aspect"),
        }
        if any(v is None for v in cols.values()):
            return None
        items_of = pc.list_flatten(reasons)
        if pc.struct_field(items_of, "evidence").null_count:
            return None
        names = pc.struct_field(items_of, "reason").to_pylist()
        evidence = pc.struct_field(items_of, "evidence").to_pylist()
        ends = np.cumsum(pc.fill_null(pc.list_value_length(reasons), 0).to_numpy(zero_copy_only=False)).tolist()
        ok = present.to_pylist()
        # object columns of str and None, as the line reader's chunks have them once typed (each text made once)
        base = pd.DataFrame({f: table.column(f).to_numpy(zero_copy_only=False) for f in fields}, dtype=object)
        del table
    except (pa.ArrowException, OSError, UnicodeError):
        return None
    stage = pc.struct_field(a, "stage").to_pylist()
    signals = {s: pc.struct_field(part["signals"], s).to_pylist() for s in tax.signals}
    dumps, start, out_evidence = json.dumps, 0, []
    for end in ends:
        out_evidence.append(dumps(dict(zip(names[start:end], evidence[start:end]))))
        start = end
    flat = {
        "reasons": cols["reasons"],
        "stage_analysis": [s if here else "" for s, here in zip(stage, ok)],
        **signals,
        "skills_mentioned": cols["skills_mentioned"],
        "skills_gaps": cols["skills_gaps"],
        "actions": cols["actions"],
        "strength_aspects": cols["strength_aspects"],
        "evidence": out_evidence,
    }
    return base, pd.DataFrame(flat, index=base.index)


def _input_fields(fields: list[str], wanted, tax) -> list[str] | None:
    """Which input fields of a batch JSONL output to keep for `wanted` (None: all), chosen on the names they get
    beside the flattened analysis."""
    if wanted is None:
        return None
    names = list(_joined(pd.DataFrame(columns=fields), pd.DataFrame(columns=list(_flat_analysis(None, tax)))).columns)
    return _chosen(fields, names, wanted)


def _flat_analysis(a, tax) -> dict:
    """One row's analysis object as the batch CSV's columns, plus evidence and aspects."""
    if not isinstance(a, dict):
        return {
            "reasons": "",
            "stage_analysis": "",
            "door_open": None,
            "feedback_offered": None,
            "feedback_declined": None,
            "skills_mentioned": "",
            "skills_gaps": "",
            "actions": "",
            "strength_aspects": "",
            "evidence": "{}",
        }
    return {
        "reasons": ";".join(r["reason"] for r in a["reasons"]),
        "stage_analysis": a["stage"],
        **{s: a["signals"][s] for s in tax.signals},
        "skills_mentioned": ";".join(a["skills_mentioned"]),
        "skills_gaps": ";".join(_gaps(a)),
        "actions": ";".join(x["title"] for x in a["actions"]),
        "strength_aspects": ";".join(s["aspect"] for s in a["strengths"]),
        "evidence": json.dumps({r["reason"]: r["evidence"] for r in a["reasons"]}),
    }


# The analysis columns of batch outputs written before evidence, strength aspects and skill gaps were added.
_LEGACY = ("evidence", "strength_aspects", "skills_gaps")


def _own_names(df: pd.DataFrame) -> pd.DataFrame:
    """A batch output whose analysis columns were suffixed (`error_analysis`, because the input had an `error`
    column) with the analysis columns under their own names again, and the input's clashing columns as `<name>_input`.

    The analysis columns are the output's last ones, in batch's order, so they are found by position, not by name.
    The input's `stage` keeps its name (it is the stage on record) and the analysed stage is `stage_analysis`.
    """
    from .batch import SUFFIX, output_columns

    columns = list(map(str, df.columns))
    current = output_columns()
    for ours in (["analysis", "error"], current, [c for c in current if c not in _LEGACY]):
        tail = columns[-len(ours) :]
        base = [re.sub(f"(?:{SUFFIX})+$", "", c) for c in tail]
        if len(columns) > len(ours) and base == ours and tail != ours:
            break
    else:
        return df
    inputs = columns[: -len(ours)]
    targets = [("stage_analysis" if b == "stage" and "stage" in inputs else b) for b in base]
    renamed = {c: f"{c}_input" for c in inputs if c in targets}
    out = df.copy()
    out.columns = [renamed.get(c, c) for c in inputs] + targets
    return out


def _flatten_jsonl(df: pd.DataFrame) -> pd.DataFrame:
    """Batch JSONL rows (input columns + an `analysis` object) as the batch CSV's columns, plus evidence and aspects."""
    tax = load_taxonomy()
    flat = pd.DataFrame([_flat_analysis(a, tax) for a in df["analysis"]], index=df.index)
    return _joined(df.drop(columns=["analysis"]), flat)


def _joined(base: pd.DataFrame, flat: pd.DataFrame) -> pd.DataFrame:
    """The input columns, then the flattened analysis; an input column with an analysis column's name is `<name>_input`
    (but the input's `stage`, the stage on record, keeps its name and the analysed one is `stage_analysis`)."""
    base = base.rename(columns={c: f"{c}_input" for c in flat.columns if c in base.columns and c != "stage_analysis"})
    out = pd.concat([base, flat], axis=1)
    if "stage" not in base.columns:
        out = out.rename(columns={"stage_analysis": "stage"})
    return out


def _gaps(a: dict) -> list[str]:
    """The skills an analysis names as gaps (from the skills named in gap evidence when it has no skills_gaps)."""
    if a.get("skills_gaps") is not None:
        return list(a["skills_gaps"])
    said = " ".join(e for r in a["reasons"] for e in r["evidence"]).lower()
    return [s for s in a["skills_mentioned"] if s.lower() in said]


def find_roles(columns, *, date_column: str | None, by: list[str]) -> dict[str, str]:
    """Which input column plays each optional role; named columns that do not exist are an error listing the columns."""
    cols = [str(c) for c in columns]
    for name in [date_column, *by]:
        if name is not None and name not in cols:
            raise TableError(f"column '{name}' not found; columns are: {', '.join(cols)}")
    lower = {c.lower(): c for c in cols}
    roles = {}
    for role, names in ROLE_NAMES.items():
        found = next((lower[n] for n in names if n in lower), None)
        if found:
            roles[role] = found
    if date_column:
        roles["date"] = date_column
    return roles


def refuse_overwrite(input_path: Path, output: Path, csv_dir: Path | None) -> None:
    """A TableError when the report or the tables would overwrite the input (tables go to a folder of their own)."""
    source = Path(input_path).resolve()
    if Path(output).resolve() == source:
        raise TableError("the report would overwrite the input; choose another --output name")
    if source.is_dir():  # a folder of Parquet part files: nothing may be written into it
        if Path(output).resolve().parent == source:
            raise TableError(f"the report would be written into the input folder {input_path}; choose another place")
        if csv_dir is not None and Path(csv_dir).resolve() == source:
            raise TableError(f"the --csv folder is the input folder {input_path}; choose an empty folder")
    if csv_dir is not None and Path(csv_dir).resolve() == source.parent:
        raise TableError(
            f"the --csv folder {csv_dir} holds the input file; its tables (overall.csv, skills.csv, ...) could overwrite "
            "it or files beside it: choose an empty folder"
        )


def write_tables(t: Trends, folder: Path) -> list[Path]:
    """Every table as a CSV file in `folder`, safe to open in a spreadsheet (cells and headers neutralised)."""
    from .tables import write_csv

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, df in t.tables().items():
        path = folder / (re.sub(r"[^\w.-]+", "_", name) + ".csv")  # a --by column may be named "a/b"
        write_csv(df, path)
        paths.append(path)
    return paths


# -- aggregation -----------------------------------------------------------------------------------------------------
# The rows are turned into arrays once (a one-hot reason table, integer codes for people, periods and groups); every
# table is then counts over boolean masks. A per-cell function (a label, a split, a flag) runs once per distinct cell:
# batch outputs repeat few values in those columns.
def _distinct(series: pd.Series) -> tuple[np.ndarray, list]:
    """Codes for the rows and the distinct cells they point at; code -1 (the last item) is a missing cell."""
    if isinstance(series.dtype, pd.StringDtype) or infer_dtype(series, skipna=True) in ("string", "empty"):
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        return codes, [*uniques, None]
    # mixed JSON types: 1, 1.0 and True are different cells here (pd.factorize would merge them)
    seen: dict = {}
    cells: list = []
    codes = np.empty(len(series), dtype=np.intp)
    for i, v in enumerate(series.tolist()):
        try:
            key = (type(v), v)
            code = seen.get(key)
            if code is None:
                code = seen[key] = len(cells)
                cells.append(v)
        except TypeError:  # a JSON list or object: unhashable, its own cell
            code = len(cells)
            cells.append(v)
        codes[i] = code
    return codes, [*cells, None]


def _per_cell(series: pd.Series, fn, dtype=object) -> np.ndarray:
    """fn of each row's cell, computed once per distinct cell (fn gives one answer for None and NaN)."""
    codes, cells = _distinct(series)
    values = np.empty(len(cells), dtype=dtype)
    for i, cell in enumerate(cells):
        values[i] = fn(cell)
    return values[codes]


def _label(v) -> str:
    text = "" if v is None or (isinstance(v, float) and v != v) else _CONTROL.sub("", str(v)).strip()
    return text or NOT_GIVEN


def _labels(series: pd.Series) -> np.ndarray:
    """Group names as shown: control characters dropped, blank cells one group, '(not given)'."""
    return _per_cell(series, _label)


def _split(cell) -> list[str]:
    return [x for x in str(cell).split(";") if x] if isinstance(cell, str) else []


def _truthy(v) -> bool:
    return (
        v is True
        or (isinstance(v, str) and v.strip().lower() == "true")
        or (not isinstance(v, str) and bool(v) and v == v and v is not None)
    )


class _People:
    """The distinct people behind some rows: counted at once, made a set only when secondary suppression unions them."""

    __slots__ = ("_codes", "_n", "_set")

    def __init__(self, codes: np.ndarray):
        self._codes = codes
        self._n = int(np.count_nonzero(np.bincount(codes, minlength=1))) if len(codes) else 0
        self._set = None

    def __len__(self) -> int:
        return self._n

    def __iter__(self):
        if self._set is None:
            self._set = frozenset(self._codes.tolist())
        return iter(self._set)


class _Rows:
    """The analysed rows as arrays: which reasons each row has (one-hot), and who is behind it.

    `who` codes the people a cell is about (distinct student ids, or the rows themselves without an id column);
    `ids` codes the ids as counted for a group's size (a missing id is nobody: -1).
    """

    def __init__(self, ok: pd.DataFrame, reasons: list[str], none_reason: str, student: str | None):
        codes, cells = _distinct(ok["reasons"])
        sets = [set(_split(c)) for c in cells]
        self.reasons = reasons
        table = np.array([[r in s for r in reasons] for s in sets], dtype=bool).reshape(len(sets), -1)
        self.has = {r: np.ascontiguousarray(table[codes, j]) for j, r in enumerate(reasons)}
        self.no_reason = np.array([s == {none_reason} for s in sets], dtype=bool)[codes]
        self.n = len(ok)
        self.all = np.ones(self.n, dtype=bool)
        self.student = student
        if student:
            self.who = pd.factorize(ok[student].astype(str), use_na_sentinel=False)[0]
            self.ids = pd.factorize(ok[student], use_na_sentinel=True)[0]
            self.present = self.ids >= 0
        else:
            self.who = pd.factorize(ok.index, use_na_sentinel=False)[0]
            self.ids = self.who
            self.present = self.all

    def people(self, mask: np.ndarray) -> _People:
        """Who is behind the rows of `mask`: distinct student ids, or the rows themselves when there is no id column."""
        return _People(self.who[mask])

    def size(self, mask: np.ndarray) -> int:
        """The size of a group: its distinct (present) student ids, or its rows."""
        if not self.student:
            return int(mask.sum())
        return int(np.count_nonzero(np.bincount(self.ids[mask & self.present], minlength=1)))

    def having(self, mask: np.ndarray, reason: str) -> np.ndarray:
        return mask & self.has[reason]

    def groups(self, labels: np.ndarray) -> list[tuple[str, np.ndarray]]:
        """(label, mask) for each group of a column, in label order, as `groupby(sort=True)` gives them."""
        codes, names = pd.factorize(labels)
        return [(name, codes == i) for i, name in sorted(enumerate(names), key=lambda p: p[1])]


def _mark(people: frozenset, min_group: int) -> str:
    return f"<{min_group}" if len(people) < min_group else WITHHELD


def _partition(rows: _Rows, parts: list[tuple[str, np.ndarray]], key: str, min_group: int) -> pd.DataFrame:
    """One row per group of a partition (every row is in one group): rows, students and, per reason, count, share and
    Wilson interval. A group or a count of fewer than `min_group` students is withheld with its share, and so are as
    many other cells as it takes that no total minus the shown cells gives one back (secondary suppression)."""
    masks = [mask for _, mask in parts]
    people = [rows.people(m) for m in masks]
    sizes = [int(m.sum()) for m in masks]
    hidden_groups = secondary(people, {i for i, p in enumerate(people) if len(p) < min_group}, min_group)
    table = []
    for i, (label, _) in enumerate(parts):
        shown = i not in hidden_groups
        table.append(
            {
                key: str(label),
                "rows": sizes[i] if shown else _mark(people[i], min_group),
                "students": len(people[i]) if shown else _mark(people[i], min_group),
            }
        )
    for r in rows.reasons:
        having = [rows.having(m, r) for m in masks]
        cells = [rows.people(h) for h in having]
        small = {i for i, c in enumerate(cells) if 0 < len(c) < min_group} | hidden_groups
        hidden = secondary(cells, small, min_group)
        for i, row in enumerate(table):
            k, n = int(having[i].sum()), sizes[i]
            if i in hidden or not n:
                row.update({f"{r}_count": _mark(cells[i], min_group) if i in hidden else k})
                row.update({f"{r}_share": None, f"{r}_ci_low": None, f"{r}_ci_high": None})
                continue
            lo, hi = wilson(k, n)
            row.update({f"{r}_count": k, f"{r}_share": round(k / n, 4)})
            row.update({f"{r}_ci_low": round(lo, 4), f"{r}_ci_high": round(hi, 4)})
    return pd.DataFrame(table)


def _dates(column: pd.Series, freq: str) -> tuple[pd.Series, np.ndarray]:
    """The cells as dates (NaT when unreadable) and their periods; each distinct cell is parsed once (format 'mixed'
    reads every cell on its own, so that is the same as parsing them all)."""
    codes, cells = _distinct(column)
    parsed = pd.to_datetime(pd.Series(cells[:-1], dtype=object), errors="coerce", dayfirst=False, format="mixed")
    parsed = pd.concat([parsed, pd.Series([pd.NaT], dtype=parsed.dtype)], ignore_index=True)
    periods = parsed.dt.to_period(FREQS[freq]).astype(str).to_numpy(dtype=object)
    return parsed.iloc[codes].reset_index(drop=True), periods[codes]


def aggregate(
    df: pd.DataFrame,
    *,
    date_column: str | None = None,
    by: list[str] | None = None,
    freq: str = "M",
    min_group: int = 5,
    model_version: str = "",
) -> Trends:
    """All the report's numbers from analysed rows."""
    tax = load_taxonomy()
    by = list(by or [])
    if freq not in FREQS:
        raise TableError(f"--freq must be one of {', '.join(FREQS)}")
    roles = find_roles(df.columns, date_column=date_column, by=by)
    student = roles.get("student")
    reasons = list(tax.reason_names)
    total = len(df)
    errors = df["error"].astype(object).fillna("").astype(str) if "error" in df.columns else pd.Series([""] * total)
    failed = (errors.str.len() > 0).to_numpy()
    # only the columns the tables read are copied (a batch output also holds the feedback, scores and warnings)
    ok = df[[c for c in report_columns(df.columns, date_column=date_column, by=by) if c != "error"]]
    ok = ok[~failed] if failed.any() else ok
    excluded = errors[failed].value_counts().to_dict()
    if not len(ok):
        reasons_why = ", ".join(f"{why}: {n:,}" for why, n in list(excluded.items())[:3])
        raise TableError(f"none of the {total:,} rows could be analysed ({reasons_why}); there is nothing to report")
    rows = _Rows(ok, reasons, tax.none_reason, student)

    dates = periods = None
    if "date" in roles:
        dates, periods = _dates(ok[roles["date"]], freq)
        bad_dates = int(dates.isna().sum())
    else:
        bad_dates = 0

    overall = pd.DataFrame([{"reason": r, **_reason_row(rows, r, min_group)} for r in reasons])
    segment_columns = by or [roles[k] for k in ("sector", "stage", "employer", "cohort") if k in roles]
    labels = {col: _labels(ok[col]) for col in dict.fromkeys([*segment_columns, roles.get("employer")]) if col}
    over_time, changes = (
        _over_time(rows, periods, min_group, {col: labels[col] for col in segment_columns})
        if dates is not None
        else (pd.DataFrame(), pd.DataFrame())
    )
    segments = {col: _partition(rows, rows.groups(labels[col]), col, min_group) for col in segment_columns}
    # skills named as gaps only: praised skills and words from the role title are not what holds students back
    skills_from = "skills_gaps" if "skills_gaps" in ok else "skills_mentioned"
    skills = _counts(rows, ok[skills_from] if skills_from in ok else None, "skill", min_group)
    actions = _counts(rows, ok["actions"] if "actions" in ok else None, "action", min_group)
    door = _per_cell(ok["door_open"], _truthy, bool) if "door_open" in ok else None
    if "strength_aspects" in ok.columns:
        strengths = _counts(rows, ok["strength_aspects"], "aspect", min_group)
    else:
        praised = pd.to_numeric(ok.get("strengths", pd.Series(dtype=float)), errors="coerce").fillna(0).gt(0)
        praised_people = len(rows.people(praised.to_numpy())) if len(praised) else 0
        strengths = pd.DataFrame(
            [
                {
                    "aspect": "some strength (this file does not say which)",
                    "count": int(praised.sum()) if praised_people >= min_group else f"<{min_group}",
                }
            ]
        )
    employers = _employers(rows, labels.get(roles.get("employer")), door, min_group)
    quotes = _quotes(ok, reasons) if "evidence" in ok.columns else {}
    size = rows.size(rows.all)
    # shares of a group this small are withheld, in the headline too; and a share of fewer students than that
    no_reason_people = len(rows.people(rows.no_reason))
    door_people = len(rows.people(door)) if door is not None else 0
    shown = size >= min_group
    headline = {
        "rows": total,
        "analysed": len(ok),
        "excluded": total - len(ok),
        "students": suppress(size, min_group) if student else "",
        "no_reason_share": round(int(rows.no_reason.sum()) / rows.n, 4)
        if shown and not 0 < no_reason_people < min_group
        else None,
        "door_open_share": round(int(door.sum()) / rows.n, 4)
        if shown and door is not None and not 0 < door_people < min_group
        else None,
        "date_from": str(dates.min().date()) if dates is not None and dates.notna().any() else "",
        "date_to": str(dates.max().date()) if dates is not None and dates.notna().any() else "",
    }
    methods = {
        "model_version": model_version,
        "rows": total,
        "analysed": len(ok),
        "excluded": excluded,
        "rows_without_a_readable_date": bad_dates,
        "frequency": freq,
        "min_group": min_group,
        "groups_counted_by": "distinct students" if student else "rows (no student id column)",
        "skills": "named as gaps" if skills_from == "skills_gaps" else "named anywhere in the feedback",
        "test": f"two-proportion z-tests between consecutive periods, and between the first and last period overall and within "
        f"each group, Holm-corrected together across {len(changes)} comparisons, alpha {ALPHA}",
    }
    return Trends(
        headline,
        overall,
        over_time,
        changes,
        segments,
        skills,
        employers,
        strengths,
        actions,
        quotes,
        methods,
        min_group,
        roles,
    )


def _reason_row(rows: _Rows, reason: str, min_group: int) -> dict:
    n = rows.n
    part = rows.having(rows.all, reason)
    k = int(part.sum())
    size = rows.size(part)
    lo, hi = wilson(k, n)
    small = 0 < size < min_group  # none at all names nobody: 0 is shown
    return {
        "count": f"<{min_group}" if small else k,
        "share": None if small else round(k / n, 4) if n else None,
        "ci_low": None if small else round(lo, 4),
        "ci_high": None if small else round(hi, 4),
    }


def _compare(rows: _Rows, within: np.ndarray, group: str, pa, pb, a: str, b: str, min_group, withheld=frozenset()):
    """Tests of each reason's share between periods a and b (rows `pa`, `pb`) within one group (none when either is
    too small).

    A reason is not tested when either period's count is below the minimum group size or `withheld` (period, reason)
    in the table over time: its shares (and p-value) would give the count back."""
    pa, pb = pa & within, pb & within
    if rows.size(pa) < min_group or rows.size(pb) < min_group:
        return []
    na, nb = int(pa.sum()), int(pb.sum())
    tests = []
    for r in rows.reasons:
        ha, hb = rows.having(pa, r), rows.having(pb, r)
        if (a, r) in withheld or (b, r) in withheld:
            continue
        if 0 < len(rows.people(ha)) < min_group or 0 < len(rows.people(hb)) < min_group:
            continue
        ka, kb = int(ha.sum()), int(hb.sum())
        tests.append(
            {
                "group": group,
                "reason": r,
                "from": a,
                "to": b,
                "share_from": round(ka / na, 4),
                "share_to": round(kb / nb, 4),
                "p_value": two_proportion_p(ka, na, kb, nb),
            }
        )
    return tests


def _over_time(rows: _Rows, periods: np.ndarray, min_group, segments: dict[str, np.ndarray]):
    """Shares per period; tests between consecutive periods, and first against last period overall and within each
    segment group (a slow drift shows there), all Holm-corrected together."""
    tests = []
    names = sorted(p for p in set(periods.tolist()) if isinstance(p, str) and p != "NaT")
    masks = {p: periods == p for p in names}
    table = _partition(rows, [(p, masks[p]) for p in names], "period", min_group)
    withheld = {
        (row["period"], r)
        for row in table.to_dict("records")
        for r in rows.reasons
        if isinstance(row[f"{r}_count"], str)
    }
    for a, b in zip(names, names[1:]):
        tests += _compare(rows, rows.all, "all", masks[a], masks[b], a, b, min_group, withheld)
    if len(names) > 2:
        first, last = names[0], names[-1]
        tests += _compare(rows, rows.all, "all", masks[first], masks[last], first, last, min_group, withheld)
        for col, labels in segments.items():
            for g, within in rows.groups(labels):
                tests += _compare(rows, within, f"{col}: {g}", masks[first], masks[last], first, last, min_group)
    changes = pd.DataFrame(tests)
    if len(changes):
        changes["p_adjusted"] = holm(changes["p_value"].tolist())
        changes["significant"] = changes["p_adjusted"] < ALPHA
        changes["direction"] = (changes["share_to"] > changes["share_from"]).map({True: "up", False: "down"})
    return table, changes


def _counts(rows: _Rows, series: pd.Series | None, name: str, min_group: int, top: int = 20) -> pd.DataFrame:
    """The most frequent items of ;-joined cells, each counted in rows; '<N' when fewer than N students have it."""
    if series is None:
        return pd.DataFrame(columns=[name, "count"])
    codes, cells = _distinct(series)
    vocab: dict[str, int] = {}
    items_of = [[vocab.setdefault(x, len(vocab)) for x in _split(c)] for c in cells]
    lengths = np.array([len(x) for x in items_of], dtype=np.intp)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.intp)
    flat = np.array([i for x in items_of for i in x], dtype=np.intp)
    per_row = lengths[codes]
    if not per_row.sum():
        return pd.DataFrame(columns=[name, "count"])
    # every (row, item) pair: the row's cell's items, in order
    row_of = np.repeat(np.arange(len(codes)), per_row)
    offset = np.arange(len(row_of)) - np.repeat(np.cumsum(per_row) - per_row, per_row)
    item = flat[starts[codes][row_of] + offset]
    n = np.bincount(item, minlength=len(vocab))
    # students per item: the distinct (item, student) pairs, found by sorting (a missing id is nobody)
    ids = rows.ids[row_of]
    present = ids >= 0
    width = int(ids.max(initial=0)) + 1
    pairs = np.sort(item[present].astype(np.int64) * width + ids[present])
    pairs = pairs[np.concatenate([[True], pairs[1:] != pairs[:-1]])] if len(pairs) else pairs
    people = np.bincount(pairs // width, minlength=len(vocab))
    names = list(vocab)
    order = sorted(range(len(names)), key=lambda i: (-n[i], names[i]))[:top]
    table = [{name: names[i], "count": int(n[i]) if people[i] >= min_group else f"<{min_group}"} for i in order]
    return pd.DataFrame(table, columns=[name, "count"])


def _employers(rows: _Rows, labels: np.ndarray | None, door: np.ndarray | None, min_group: int):
    if labels is None:
        return pd.DataFrame()
    parts = rows.groups(labels)
    people = [rows.people(m) for _, m in parts]
    hidden = secondary(people, {i for i, p in enumerate(people) if len(p) < min_group}, min_group)
    # a share times the group size is a count: each share column is protected like a column of counts
    flags = {"no_reason_share": rows.no_reason}
    if door is not None:
        flags["door_open_share"] = door
    withheld = {}
    for col, flag in flags.items():
        cells = [rows.people(m & flag) for _, m in parts]
        small = {i for i, c in enumerate(cells) if 0 < len(c) < min_group}
        withheld[col] = secondary(cells, small | hidden, min_group)
    count = "students" if rows.student else "rows"
    table = []
    for i, (name, mask) in enumerate(parts):
        row = {"employer": name, count: len(people[i])}
        if i in hidden:
            row[count] = _mark(people[i], min_group)
        for col in ("no_reason_share", "door_open_share"):
            if col not in flags or i in withheld[col]:
                row[col] = None
            else:
                row[col] = round(int((flags[col] & mask).sum()) / int(mask.sum()), 4)
        table.append(row)
    df = pd.DataFrame(table)
    if len(df):
        df = df.sort_values(["no_reason_share", "employer"], ascending=[False, True], na_position="last").reset_index(
            drop=True
        )
    return df


def _evidence(cells: list) -> list:
    """The JSON objects of the evidence cells (a cell that is not one is skipped), parsed as one array when it can be:
    a call per cell costs more than the parsing."""
    texts = [c for c in cells if isinstance(c, str)]
    try:
        values = json.loads("[" + ",".join(texts) + "]")
        if len(values) == len(texts):
            return [v for v in values if isinstance(v, dict)]
    except (json.JSONDecodeError, RecursionError):
        pass
    values = []
    for cell in texts:
        try:
            values.append(json.loads(cell))
        except json.JSONDecodeError:
            continue
    return [v for v in values if isinstance(v, dict)]


def _quotes(ok, reasons) -> dict[str, list[str]]:
    """A few short, redacted evidence sentences per reason (the shortest; of equal lengths, alphabetically)."""
    found: dict[str, set[str]] = {}
    for ev in _evidence(_distinct(ok["evidence"])[1]):
        for reason, sentences in ev.items():
            if isinstance(sentences, list):
                found.setdefault(reason, set()).update(
                    s for s in sentences if isinstance(s, str) and 45 <= len(s) <= 220
                )
    return {
        r: [redact(s) for s in sorted(found[r], key=lambda s: (len(s), s))[:MAX_QUOTES]]
        for r in reasons
        if found.get(r)
    }
