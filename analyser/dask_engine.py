"""The Dask engine of `analyser batch`: the model runs as `analyse_frame` on the partitions of a Dask DataFrame.

The driver (this process) reads the input in row chunks with the same readers as the default engine, so quoted
multi-line cells, every encoding and every input format work (`dd.read_csv` with a blocksize splits quoted newlines:
"EOF inside string"). Per chunk it sends only the texts it has not analysed yet (the default engine's cache, so
identical texts are analysed once across partitions and the summary counts are the same), as partitions of a Dask
DataFrame mapped with `analyse_frame`, on a `distributed.LocalCluster` (one thread per worker process: the spaCy
pipeline belongs to its process) or on a running scheduler. It writes the rows in input order: CSV or XLSX as one
file, Parquet as a folder of part files.
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

import pandas as pd

from .tables import TableError, TableWriter

MISSING = "the Dask engine needs Dask: install analyser[dask] (pip install 'analyser[dask]')"
FORMATS = (".csv", ".parquet", ".xlsx")
TEXT = "text"  # the column of the frames sent to the workers
CONNECT_TIMEOUT = "15s"


class DaskMissing(TableError):
    """Dask or distributed is not installed."""


def require_dask() -> None:
    try:
        import dask.dataframe  # noqa: F401
        import distributed  # noqa: F401
    except ImportError:
        raise DaskMissing(MISSING) from None


def check_output(output: Path) -> None:
    """Refuse an output the engine cannot write, before a cluster is started."""
    if output.suffix.lower() not in FORMATS:
        raise TableError(
            f"{output.name}: --engine dask writes {', '.join(FORMATS)}; use the default engine for "
            f"'{output.suffix or '(none)'}'"
        )
    if output.suffix.lower() == ".parquet" and output.exists() and not _is_parts_folder(output):
        raise TableError(f"{output} exists and is not a folder of part files from --engine dask; choose another name")


def writer_for(output: Path, temp: Path):
    """One file for CSV and XLSX (the default engine's writer); a folder of Parquet part files for Parquet."""
    if output.suffix.lower() == ".parquet":
        return PartsWriter(temp)
    return TableWriter.for_output(output, temp)


def replace_output(temp: Path, output: Path) -> None:
    """Move the finished output into place; a folder of part files from an earlier run goes."""
    if temp.is_dir() and output.exists():
        shutil.rmtree(output)  # check_output made sure it holds only our part files
    temp.replace(output)


def _is_parts_folder(path: Path) -> bool:
    return path.is_dir() and all(p.name.startswith("part-") and p.suffix == ".parquet" for p in path.iterdir())


class PartsWriter:
    """Parquet output as a folder of part files, one per chunk, named in input order (part-00000.parquet, ...)."""

    fmt = ".parquet"

    def __init__(self, folder: Path):
        self.path, self.rows, self.parts = Path(folder), 0, 0

    def write(self, df: pd.DataFrame, records=None) -> None:
        self.path.mkdir(exist_ok=True)
        part = TableWriter(self.path / f"part-{self.parts:05d}.parquet", ".parquet")
        part.write(df)
        part.close()
        self.parts += 1
        self.rows += len(df)

    def close(self) -> None:
        self.path.mkdir(exist_ok=True)

    def abort(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


class DaskPool:
    """Stands in for the default engine's process pool: `map` analyses batches of texts on a Dask cluster.

    Table output only (JSONL's analysis objects stay with the default engine)."""

    def __init__(
        self,
        *,
        workers: int,
        scheduler: str | None,
        model: Path,
        actions: Path | None,
        max_chars: int,
    ):
        require_dask()
        from distributed import Client, LocalCluster

        self.options = {
            "model": str(Path(model).resolve()),
            "actions": str(Path(actions).resolve()) if actions else None,
            "max_chars": max_chars,
        }
        self.cluster = None
        if scheduler:
            try:
                self.client = Client(scheduler, timeout=CONNECT_TIMEOUT)
            except OSError as exc:
                raise TableError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        else:
            self.cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",  # any free port: a second cluster or a running one may hold 8787
                silence_logs=logging.ERROR,
            )
            self.client = Client(self.cluster)
        self.workers = len(self.client.scheduler_info()["workers"])
        if not self.workers:
            self.terminate()
            raise TableError(f"the Dask scheduler at {scheduler} has no workers; start some with `dask worker`")

    def map(self, _task, batches: list[list[str]]) -> list[tuple[list[dict], dict[str, float]]]:
        """Each batch's rows, as the default engine's worker task returns them.

        The texts go out as partitions of at most SUB_BATCH texts, at least two per worker when there are enough."""
        import dask
        import dask.dataframe as dd

        from .batch import SUB_BATCH, frame_of, output_columns

        texts = [t for b in batches for t in b]
        size = max(1, min(SUB_BATCH, -(-len(texts) // (2 * self.workers))))
        parts = [pd.DataFrame({TEXT: pd.Series(texts[k : k + size], dtype=object)}) for k in range(0, len(texts), size)]
        meta = frame_of(parts[0].iloc[:0], [], full=False)
        started = time.perf_counter()
        try:
            # Dask would turn object columns into Arrow strings; the frames stay as analyse_frame makes them.
            with dask.config.set({"dataframe.convert-string": False}):
                ddf = dd.from_delayed(self.client.scatter(parts), meta=parts[0].iloc[:0], verify_meta=False)
                out = ddf.map_partitions(_analyse_partition, meta=meta, **self.options)
                frames = self.client.gather(self.client.compute(out.to_delayed()))
        except (KeyboardInterrupt, TableError):
            raise
        except Exception as exc:  # noqa: BLE001 - whatever failed on a worker, said in one line
            raise TableError(f"the Dask cluster failed: {type(exc).__name__}: {exc}"[:300]) from None
        seconds = time.perf_counter() - started
        rows = [row for frame in frames for row in _rows(frame, output_columns())]
        results, k = [], 0
        for b in batches:
            results.append((rows[k : k + len(b)], {"model": seconds * len(b) / len(texts)}))
            k += len(b)
        return results

    def terminate(self) -> None:
        # After Ctrl-C a gather still waiting ends with AllExit as the client closes: expected, not worth a traceback.
        quiet = logging.getLogger("asyncio")
        level = quiet.level
        quiet.setLevel(logging.CRITICAL)
        try:
            self.client.close()
            if self.cluster is not None:
                self.cluster.close()
        finally:
            quiet.setLevel(level)

    def join(self) -> None:
        pass


def _analyse_partition(df: pd.DataFrame, **options) -> pd.DataFrame:
    from .frame import analyse_frame

    return analyse_frame(df, TEXT, **options)


def _rows(frame: pd.DataFrame, columns: list[str]) -> list[dict]:
    """A partition's analysis columns as the row dicts the batch keeps (missing values None, as the model gives)."""
    cells = frame[columns].astype(object)
    return cells.where(cells.notna(), None).to_dict(orient="records")
