"""Tables in and out, streamed in chunks: CSV/TSV (encoding detected, delimiter sniffed), JSONL, Parquet, XLSX.

Readers yield pandas DataFrames of at most `chunk_rows` rows with every input column; writers append chunks.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

INPUT_FORMATS = (".csv", ".tsv", ".jsonl", ".parquet", ".xlsx")
OUTPUT_FORMATS = (".csv", ".jsonl", ".parquet", ".xlsx")
SNIFF_BYTES = 256 * 1024
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX_ROWS = 1_048_576


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
    """A quick estimate of the number of data rows, for the progress bar (None when unknown)."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".jsonl"):
        n = 0
        with open(path, "rb") as fh:
            while block := fh.read(1 << 20):
                n += block.count(b"\n")
        return max(0, n - (suffix != ".jsonl"))
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            return pq.ParquetFile(path).metadata.num_rows
        except Exception:  # noqa: BLE001 - an unreadable file is reported by read_table, with its reason
            return None
    return None


def read_table(path: Path, chunk_rows: int = 2000) -> Iterator[pd.DataFrame]:
    """Chunks of the table at `path`, all cells as read (CSV cells as strings, blanks as '')."""
    path = Path(path)
    suffix = _suffix(path, INPUT_FORMATS, "input")
    try:
        if suffix in (".csv", ".tsv"):
            yield from _read_csv(path, chunk_rows, tab=suffix == ".tsv")
        elif suffix == ".jsonl":
            yield from _read_jsonl(path, chunk_rows)
        elif suffix == ".parquet":
            import pyarrow.parquet as pq

            for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows):
                yield batch.to_pandas()
        else:
            yield from _read_xlsx(path, chunk_rows)
    except TableError:
        raise
    except (OSError, ValueError, KeyError, pd.errors.ParserError) as exc:
        raise TableError(f"cannot read {path.name} as {suffix[1:].upper()}: {str(exc).splitlines()[0][:200]}") from None
    except Exception as exc:  # noqa: BLE001 - format libraries raise their own types (zipfile, pyarrow, openpyxl)
        raise TableError(
            f"cannot read {path.name} as {suffix[1:].upper()}: {type(exc).__name__}: {exc}"[:300]
        ) from None


def _read_csv(path: Path, chunk_rows: int, tab: bool) -> Iterator[pd.DataFrame]:
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
    )
    with reader:
        yield from reader


def _read_jsonl(path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    rows: list[dict] = []
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        for line in fh:
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                value = {"_raw_line": line.rstrip("\n")}
            rows.append(value if isinstance(value, dict) else {"_value": value})
            if len(rows) >= chunk_rows:
                yield pd.DataFrame.from_records(rows)
                rows = []
    if rows:
        yield pd.DataFrame.from_records(rows)


def _read_xlsx(path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = wb.active.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise TableError(f"{path.name} has no rows")
        columns = [str(h) if h is not None else f"column_{i + 1}" for i, h in enumerate(header)]
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


def neutralise(value):
    """A cell that a spreadsheet would run as a formula, made inert with a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


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
                df.iloc[:0].to_csv(self._fh, index=False)
            df.map(neutralise).to_csv(self._fh, index=False, header=False)
        elif self.fmt == ".jsonl":
            if self._fh is None:
                self._fh = open(self.path, "w", encoding="utf-8")
            for rec in records or df.to_dict(orient="records"):
                self._fh.write(json.dumps(rec, ensure_ascii=False, default=str) + "\n")
        elif self.fmt == ".parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(df, preserve_index=False, schema=self._schema)
            if self._writer is None:
                self._schema = table.schema
                self._writer = pq.ParquetWriter(self.path, self._schema)
            self._writer.write_table(table)
        else:
            self._write_xlsx(df)
        self.rows += len(df)

    def _write_xlsx(self, df: pd.DataFrame) -> None:
        from openpyxl import Workbook

        if self._wb is None:
            self._wb = Workbook(write_only=True)
            self._ws = self._wb.create_sheet("analysed")
            self._ws.append([str(c) for c in df.columns])
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
    text = neutralise(str(value))
    # Excel refuses control characters in cells
    return "".join(ch for ch in text if ch >= " " or ch in "\t\n\r")[:32767]
