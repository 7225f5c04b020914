"""Tables in and out, streamed in chunks: CSV/TSV (encoding detected, delimiter sniffed), JSONL, Parquet, XLSX.

Readers yield pandas DataFrames of at most `chunk_rows` rows with every input column; writers append chunks.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

INPUT_FORMATS = (".csv", ".tsv", ".jsonl", ".parquet", ".xlsx")
OUTPUT_FORMATS = (".csv", ".jsonl", ".parquet", ".xlsx")
SNIFF_BYTES = 256 * 1024
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX_ROWS = 1_048_576
XLSX_MAX_CELL = 32_767  # Excel's limit on the characters in one cell
_SURROGATE = re.compile("[\ud800-\udfff]")


class TableError(ValueError):
    """An unusable file or argument; the message is one line that says what to do."""


def _suffix(path: Path, allowed: tuple[str, ...], what: str) -> str:
    suffix = path.suffix.lower()
    if suffix not in allowed:
        raise TableError(
            f"{path.name}: unsupported {what} format '{suffix or '(none)'}'; use one of {', '.join(allowed)}"
        )
    return suffix


def detect_encoding(sample: bytes) -> str:
    """UTF-8 (with or without BOM) when the sample decodes as such, else what charset-normalizer finds."""
    try:
        sample.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 4:  # the sample cut a multi-byte character in half
            return "utf-8-sig"
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    return best.encoding if best is not None else "cp1252"


def sniff_delimiter(text: str, default: str = ",") -> str:
    try:
        return csv.Sniffer().sniff(text[:20_000], delimiters=",;\t|").delimiter
    except csv.Error:
        return default


def count_rows(path: Path) -> int | None:
    """The number of data rows, for the progress bar (None when unknown).

    A CSV row ends at a newline outside quotes: a quoted newline is part of a cell, not a row (the demo file has 2,400
    rows on 26,982 lines). JSONL rows are its non-blank lines; Parquet and XLSX say how many rows they hold.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".tsv"):
            return _count_csv_rows(path)
        if suffix == ".jsonl":
            with open(path, "rb") as fh:
                return sum(1 for line in fh if line.strip())
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            parts = parquet_parts(path) if path.is_dir() else [path]
            return sum(pq.ParquetFile(p).metadata.num_rows for p in parts)
        if suffix == ".xlsx":
            from openpyxl import load_workbook

            wb = load_workbook(path, read_only=True)
            try:
                rows = wb.active.max_row
            finally:
                wb.close()
            return max(0, rows - 1) if rows else None
    except Exception:  # noqa: BLE001 - an unreadable file is reported by read_table, with its reason
        return None
    return None


def _count_csv_rows(path: Path) -> int | None:
    rows, quoted, tail, saw_newline = 0, False, b"", False
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            pieces = (tail + block).split(b"\n")
            tail = pieces.pop()  # no newline after it yet
            saw_newline = saw_newline or bool(pieces)
            for piece in pieces:
                if piece.count(b'"') % 2:
                    quoted = not quoted
                if not quoted and piece.strip():
                    rows += 1
    if tail.strip() and not quoted:
        rows += 1
    if not saw_newline and b"\r" in tail:
        return None  # old Mac line endings: the reader copes, the count would not
    return max(0, rows - 1)


def read_table(path: Path, chunk_rows: int = 2000, *, columns: list[str] | None = None) -> Iterator[pd.DataFrame]:
    """Chunks of the table at `path`, all cells as read (CSV cells as strings, blanks as ''). A folder of Parquet part
    files (what `batch --engine dask` writes) is read part after part, in their names' order.

    `columns`: only these columns (or, of JSONL, fields), the others not converted; in the file's order."""
    path = Path(path)
    suffix = ".parquet" if path.is_dir() else _suffix(path, INPUT_FORMATS, "input")
    try:
        if suffix in (".csv", ".tsv"):
            yield from _read_csv(path, chunk_rows, tab=suffix == ".tsv", columns=columns)
        elif suffix == ".jsonl":
            yield from _read_jsonl(path, chunk_rows, columns=columns)
        elif suffix == ".parquet":
            import pyarrow.parquet as pq

            for part in parquet_parts(path) if path.is_dir() else [path]:
                file = pq.ParquetFile(part)
                names = file.schema_arrow.names
                chosen = None if columns is None else [c for c in names if c in set(columns)]
                for batch in file.iter_batches(batch_size=chunk_rows, columns=chosen):
                    yield batch.to_pandas()
        else:
            chunks = _read_xlsx(path, chunk_rows)
            yield from chunks if columns is None else (c[[x for x in c.columns if x in set(columns)]] for c in chunks)
    except TableError:
        raise
    except (OSError, ValueError, KeyError, pd.errors.ParserError) as exc:
        raise TableError(f"cannot read {path.name} as {suffix[1:].upper()}: {str(exc).splitlines()[0][:200]}") from None
    except Exception as exc:  # noqa: BLE001 - format libraries raise their own types (zipfile, pyarrow, openpyxl)
        raise TableError(
            f"cannot read {path.name} as {suffix[1:].upper()}: {type(exc).__name__}: {exc}"[:300]
        ) from None


def _natural(name: str) -> list:
    """A sort key in which part.10 comes after part.9 (Dask's own to_parquet does not pad its numbers)."""
    return [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", name)]


def parquet_parts(folder: Path) -> list[Path]:
    """The Parquet files of a folder in part order: `batch --engine dask` writes part-00000.parquet, ...; Dask's
    to_parquet part.0.parquet, ... beside _metadata files, which are not parts."""
    folder = Path(folder)
    parts = sorted(
        (p for p in folder.iterdir() if p.suffix == ".parquet" and p.is_file() and not p.name.startswith(("_", "."))),
        key=lambda p: _natural(p.name),
    )
    if not parts:
        raise TableError(f"{folder.name} is a folder without Parquet part files; give a table file or such a folder")
    return parts


def parquet_columns(path: Path) -> list[str]:
    """The column names of a Parquet file, or of a folder of part files (the first part's, then any the others add)."""
    import pyarrow.parquet as pq

    path = Path(path)
    names: list[str] = []
    try:
        for part in parquet_parts(path) if path.is_dir() else [path]:
            names += [n for n in pq.read_schema(part).names if n not in names]
    except TableError:
        raise
    except Exception as exc:  # noqa: BLE001 - pyarrow raises its own types
        raise TableError(f"cannot read {path.name} as PARQUET: {type(exc).__name__}: {exc}"[:300]) from None
    return names


def _read_csv(path: Path, chunk_rows: int, tab: bool, columns: list[str] | None = None) -> Iterator[pd.DataFrame]:
    with open(path, "rb") as fh:
        sample = fh.read(SNIFF_BYTES)
    if not sample.strip():
        raise TableError(f"{path.name} is empty")
    if b"\x00" in sample and not sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise TableError(f"{path.name} is not a text file (binary content); export it as CSV, XLSX or Parquet")
    encoding = detect_encoding(sample)
    delimiter = "\t" if tab else sniff_delimiter(sample.decode(encoding, errors="replace"))
    reader = pd.read_csv(
        path,
        sep=delimiter,
        encoding=encoding,
        encoding_errors="replace",
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        chunksize=chunk_rows,
        engine="c",
        on_bad_lines="error",
        usecols=None if columns is None else set(columns).__contains__,
    )
    with reader:
        yield from reader


def _read_jsonl(path: Path, chunk_rows: int, columns: list[str] | None = None) -> Iterator[pd.DataFrame]:
    """Chunks of JSON objects. Values keep their JSON types (object columns, so a column may mix them); lone
    surrogates (from "\\ud800" escapes, which no file can encode) become U+FFFD and the chunk's
    `attrs["repaired_rows"]` lists those rows, so the batch can mark them instead of failing the whole file.
    With `columns`, only those fields of each object are kept (the others are parsed but never become cells)."""
    keep = None if columns is None else set(columns)
    rows: list[dict] = []
    repaired: list[int] = []

    def chunk() -> pd.DataFrame:
        df = pd.DataFrame.from_records(rows).astype(object)
        df = df.where(df.notna(), None)
        df.attrs["repaired_rows"] = list(repaired)
        return df

    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        for line in fh:
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                value = {"_raw_line": line.rstrip("\n")}
            if "\\u" in line:
                value, changed = _without_surrogates(value)
                if changed:
                    repaired.append(len(rows))
            value = value if isinstance(value, dict) else {"_value": value}
            rows.append(value if keep is None else {k: v for k, v in value.items() if k in keep})
            if len(rows) >= chunk_rows:
                yield chunk()
                rows, repaired = [], []
    if rows:
        yield chunk()


def _without_surrogates(value):
    """The JSON value with lone surrogates replaced by U+FFFD, and whether any were."""
    if isinstance(value, str):
        fixed = _SURROGATE.sub("\ufffd", value)
        return fixed, fixed != value
    if isinstance(value, list):
        pairs = [_without_surrogates(v) for v in value]
        return [v for v, _ in pairs], any(c for _, c in pairs)
    if isinstance(value, dict):
        pairs = {_without_surrogates(k)[0]: _without_surrogates(v) for k, v in value.items()}
        changed = any(c for _, c in pairs.values()) or any(_SURROGATE.search(k) for k in value)
        return {k: v for k, (v, _) in pairs.items()}, bool(changed)
    return value, False


def _read_xlsx(path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = wb.active.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise TableError(f"{path.name} has no rows")
        columns = _unique([str(h) if h is not None else f"column_{i + 1}" for i, h in enumerate(header)])
        chunk = []
        for row in rows:
            chunk.append(list(row[: len(columns)]) + [None] * (len(columns) - len(row)))
            if len(chunk) >= chunk_rows:
                yield pd.DataFrame(chunk, columns=columns, dtype=object)
                chunk = []
        if chunk:
            yield pd.DataFrame(chunk, columns=columns, dtype=object)
    finally:
        wb.close()


def _unique(names: list[str]) -> list[str]:
    """Header names made unique the way pandas does for CSV ('a', 'a.1'), so every column can be addressed."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        n = seen.get(name, 0)
        seen[name] = n + 1
        out.append(name if n == 0 else f"{name}.{n}")
    return out


def neutralise(value):
    """A cell that a spreadsheet would run as a formula, made inert with a leading apostrophe.

    A formula is recognised after whatever a spreadsheet skips or drops: spaces, newlines and control characters
    ("\\x01=1+1" is a formula once Excel's writer strips the \\x01), and fullwidth or small forms of = + - @.
    """
    if not isinstance(value, str) or not value:
        return value
    if value.startswith(FORMULA_START):
        return "'" + value
    for ch in value:
        if ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf"):
            continue
        if unicodedata.normalize("NFKC", ch) in ("=", "+", "-", "@"):
            return "'" + value
        break
    return value


def sheet_cell(value):
    """A cell as written to a spreadsheet file: control characters Excel refuses removed, then neutralised."""
    if isinstance(value, str):
        value = _CONTROL.sub("", value)
    return neutralise(value)


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class TableWriter:
    """Appends chunks to one output file; the caller closes it (and renames it into place)."""

    def __init__(self, path: Path, fmt: str):
        self.path, self.fmt, self.rows = Path(path), fmt, 0
        self._fh = self._writer = self._wb = self._ws = self._schema = None

    @classmethod
    def for_output(cls, final: Path, temp: Path) -> TableWriter:
        return cls(temp, _suffix(Path(final), OUTPUT_FORMATS, "output"))

    def write(self, df: pd.DataFrame, records: list[dict] | None = None) -> None:
        if self.fmt == ".csv":
            if self._fh is None:
                self._fh = open(self.path, "w", encoding="utf-8-sig", newline="")
                write_csv_header(self._fh, df.columns)
            write_csv_rows(self._fh, df)
        elif self.fmt == ".jsonl":
            if self._fh is None:
                self._fh = open(self.path, "w", encoding="utf-8")
            for rec in records or df.to_dict(orient="records"):
                self._fh.write(json.dumps(rec, ensure_ascii=False, default=str) + "\n")
        elif self.fmt == ".parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            df = _arrow_ready(df)
            if self._writer is None:
                table = pa.Table.from_pandas(df, preserve_index=False)
                # a column with no values yet (all blank in the first chunk) is text, not Arrow's null type
                fields = [pa.field(f.name, pa.string()) if pa.types.is_null(f.type) else f for f in table.schema]
                self._schema = pa.schema(fields)
                self._writer = pq.ParquetWriter(self.path, self._schema)
            table = pa.Table.from_pandas(df, preserve_index=False, schema=self._schema, safe=False)
            self._writer.write_table(table)
        else:
            self._write_xlsx(df)
        self.rows += len(df)

    def _write_xlsx(self, df: pd.DataFrame) -> None:
        from openpyxl import Workbook

        if self._wb is None:
            self._wb = Workbook(write_only=True)
            self._ws = self._wb.create_sheet("analysed")
            self._ws.append([sheet_cell(str(c)) for c in df.columns])
        if self.rows + len(df) >= XLSX_MAX_ROWS:
            raise TableError(
                f"more than {XLSX_MAX_ROWS - 1:,} rows do not fit in an Excel sheet; write .csv or .parquet instead"
            )
        for row in df.itertuples(index=False):
            self._ws.append([_xlsx_cell(v) for v in row])

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
        if self._writer is not None:
            self._writer.close()
        if self._wb is not None:
            self._wb.save(self.path)
        if self.rows == 0 and not self.path.exists():
            self.path.touch()

    def abort(self) -> None:
        """Close what is open and remove the partial file."""
        for closer in (self._fh, self._writer):
            try:
                if closer is not None:
                    closer.close()
            except Exception:  # noqa: BLE001 - best effort on the way out
                pass
        self.path.unlink(missing_ok=True)


def _xlsx_cell(value):
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, (bool, int, float)):
        return value
    return sheet_cell(str(value))[:XLSX_MAX_CELL]


def xlsx_overflow(value) -> bool:
    """Whether a cell is longer than an Excel cell holds (it is cut when written to XLSX)."""
    return isinstance(value, str) and len(sheet_cell(value)) > XLSX_MAX_CELL


def write_csv_header(fh, columns) -> None:
    csv.writer(fh, lineterminator="\r\n").writerow([neutralise(str(c)) for c in columns])


def write_csv_rows(fh, df: pd.DataFrame) -> None:
    """Rows as CSV, every cell neutralised. CRLF line ends make the writer quote every field holding a CR, an LF or
    the delimiter, so a bare CR inside a cell can neither split its row nor start a new line with a formula."""
    df.map(neutralise).to_csv(fh, index=False, header=False, lineterminator="\r\n")


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """One whole table as a CSV file that is safe to open in a spreadsheet (headers and cells neutralised)."""
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        write_csv_header(fh, df.columns)
        write_csv_rows(fh, df)


def _plain(value):
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _arrow_ready(df: pd.DataFrame) -> pd.DataFrame:
    """Object columns as text, so values of mixed types (JSONL, XLSX) do not stop Parquet (ArrowInvalid)."""
    objects = [c for c in df.columns if df[c].dtype == object]
    if not objects:
        return df
    df = df.copy()
    for c in objects:
        df[c] = pd.Series([_plain(v) for v in df[c]], index=df.index, dtype=object)
    return df
