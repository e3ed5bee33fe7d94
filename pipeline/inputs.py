"""Input discovery: a file or folder → one `InputDocument` per page or table row, never dropping one."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from pipeline.errors import InputError

log = logging.getLogger(__name__)

PAGE_SUFFIXES = frozenset({".txt", ""})
HTML_SUFFIXES = frozenset({".html", ".htm"})
TABLE_SUFFIXES = frozenset({".jsonl", ".csv", ".parquet"})


@dataclass(frozen=True, slots=True)
class Columns:
    """Which table columns hold each field (`--id-column` and friends override them)."""

    id: str = "id"
    title: str = "title"
    text: str = "text"
    published: str = "published"
    url: str = "url"


@dataclass(frozen=True, slots=True)
class InputDocument:
    """One document to process, or the reason it could not even be read."""

    doc_id: str
    source: str
    kind: str  # "page", "html", "record" or "unreadable"
    data: bytes = b""
    fields: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def discover(path: Path) -> list[Path]:
    """All input files under `path` (itself when a file), sorted, hidden files skipped.

    Raises:
        InputError: `path` does not exist.
    """
    if not path.exists():
        raise InputError(f"input {path} does not exist; give a folder or a file of pages or tables")
    if path.is_file():
        return [path]
    return sorted(
        p
        for p in path.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
    )


def input_root(path: Path) -> Path:
    """The folder document ids and sources are relative to: `path` itself, or a file's folder."""
    return path if path.is_dir() else path.parent


def is_table(file: Path) -> bool:
    """Whether `file` holds one article per row (`.jsonl`, `.csv`, `.parquet`) rather than one page."""
    return file.suffix.lower() in TABLE_SUFFIXES


def read_file(file: Path, rel: str, *, columns: Columns = Columns()) -> Iterator[InputDocument]:
    """The documents of one input file: one for a page, one per row for a table (streamed).

    Args:
        file: The file.
        rel: Its path relative to the input root (ids and sources are made from it).
        columns: Column names for tables.

    Raises:
        InputError: A table lacks a column the options name.
    """
    try:
        if is_table(file):
            yield from _read_table(file, rel, columns)
        else:
            kind = "html" if file.suffix.lower() in HTML_SUFFIXES else "page"
            yield InputDocument(rel, rel, kind, data=file.read_bytes())
    except InputError:
        raise
    except (OSError, ValueError) as exc:
        log.warning("%s: cannot read: %s", rel, exc)
        yield InputDocument(rel, rel, "unreadable", error=f"cannot read {rel}: {exc}")


# Rows read from a table at a time: a table larger than memory streams through.
_TABLE_CHUNK_ROWS = 1000


def _read_table(file: Path, rel: str, columns: Columns) -> Iterator[InputDocument]:
    number = 0
    for position, frame in enumerate(_table_frames(file, rel)):
        if position == 0:
            _check_columns(frame, rel, columns)
        for row in frame.to_dict("records"):
            row_id = row.get(columns.id)
            doc_id = str(row_id) if _present(row_id) else f"{rel}#{number}"
            source = f"{rel}#{number}"
            number += 1
            if _present(row.get("__error__")):
                yield InputDocument(doc_id, source, "unreadable", error=row["__error__"])
                continue
            fields = {
                key: row.get(getattr(columns, key))
                for key in ("title", "text", "published", "url")
                if _present(row.get(getattr(columns, key)))
            }
            yield InputDocument(doc_id, source, "record", fields=fields)


def _check_columns(frame: pd.DataFrame, rel: str, columns: Columns) -> None:
    if columns.text not in frame.columns and "__error__" not in frame.columns:
        raise InputError(
            f"{rel}: no column {columns.text!r} (columns: {', '.join(map(str, frame.columns))}); "
            "name the text column with --text-column"
        )
    for option in ("id", "title", "published", "url"):
        name = getattr(columns, option)
        if name != getattr(Columns(), option) and name not in frame.columns:
            raise InputError(
                f"{rel}: no column {name!r} for --{option}-column; columns: {', '.join(frame.columns)}"
            )


def _table_frames(file: Path, rel: str) -> Iterator[pd.DataFrame]:
    """The table in frames of at most `_TABLE_CHUNK_ROWS` rows (at least one frame, maybe empty)."""
    suffix = file.suffix.lower()
    if suffix == ".parquet":
        parquet = pq.ParquetFile(file)
        batches = parquet.iter_batches(batch_size=_TABLE_CHUNK_ROWS)
        yield from (batch.to_pandas() for batch in batches)
        if parquet.metadata.num_rows == 0:
            yield parquet.schema_arrow.empty_table().to_pandas()
    elif suffix == ".csv":
        yield from pd.read_csv(file, dtype=str, keep_default_na=False, chunksize=_TABLE_CHUNK_ROWS)
    else:
        yield from _jsonl_frames(file, rel)


def _jsonl_frames(file: Path, rel: str) -> Iterator[pd.DataFrame]:
    records: list[dict] = []
    yielded = False
    with file.open(encoding="utf-8-sig") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                record = {"__error__": f"{rel}:{number}: not JSON ({exc.msg})"}
            records.append(
                record if isinstance(record, dict) else {"__error__": f"{rel}:{number}: not an object"}
            )
            if len(records) == _TABLE_CHUNK_ROWS:
                yield pd.DataFrame.from_records(records)
                records, yielded = [], True
    if records or not yielded:
        frame = pd.DataFrame.from_records(records)
        yield frame if len(frame.columns) else pd.DataFrame({"text": []})


def _present(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, float) and pd.isna(value):
        return False
    return not (isinstance(value, str) and not value.strip())
