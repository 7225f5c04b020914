"""Tables: only the columns asked for, from every format, and a folder of Parquet part files read in part order."""

import json

import pandas as pd
import pytest

from analyser.tables import TableError, count_rows, parquet_columns, parquet_parts, read_table


def _frame(n: int = 25) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [f"R{i}" for i in range(n)],
            "feedback": [f"Thank you for applying, number {i}.\nA second line." for i in range(n)],
            "employer": ["Acme" if i % 3 else "" for i in range(n)],
            "score": [i / 10 for i in range(n)],
        }
    )


def _read(path, **kw) -> pd.DataFrame:
    return pd.concat(read_table(path, chunk_rows=7, **kw), ignore_index=True)


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl", ".parquet", ".xlsx"])
def test_only_the_columns_asked_for_the_same_cells(tmp_path, suffix):
    df = _frame()
    path = tmp_path / f"t{suffix}"
    if suffix == ".csv":
        df.to_csv(path, index=False)
    elif suffix == ".tsv":
        df.to_csv(path, index=False, sep="\t")
    elif suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in df.to_dict("records")))
    elif suffix == ".parquet":
        df.to_parquet(path, index=False)
    else:
        df.to_excel(path, index=False)
    whole = _read(path)
    # asked in another order and with a name the file lacks: the file's order, the missing one ignored
    some = _read(path, columns=["employer", "id", "region"])
    assert list(some.columns) == ["id", "employer"]
    pd.testing.assert_frame_equal(some, whole[["id", "employer"]])


def test_a_folder_of_parquet_parts_is_read_in_part_order(tmp_path):
    df = _frame(24)
    folder = tmp_path / "out.parquet"
    folder.mkdir()
    # Dask's own to_parquet does not pad its part numbers: part.10 comes after part.9, not after part.1
    for k in range(12):
        df.iloc[2 * k : 2 * k + 2].to_parquet(folder / f"part.{k}.parquet", index=False)
    (folder / "_metadata").write_bytes(b"not a part")
    (folder / "_common_metadata.parquet").write_bytes(b"not a part either")
    assert [p.name for p in parquet_parts(folder)][9:] == ["part.9.parquet", "part.10.parquet", "part.11.parquet"]
    pd.testing.assert_frame_equal(_read(folder), df)
    pd.testing.assert_frame_equal(_read(folder, columns=["score"]), df[["score"]])
    assert parquet_columns(folder) == list(df.columns) and count_rows(folder) == 24


def test_a_folder_without_parts_is_refused_in_one_line(tmp_path):
    (tmp_path / "empty.parquet").mkdir()
    with pytest.raises(TableError, match="folder without Parquet part files"):
        list(read_table(tmp_path / "empty.parquet"))
