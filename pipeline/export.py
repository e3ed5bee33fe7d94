"""Export stage: annotated spaCy `Doc`s → the output tables, written atomically as Parquet and CSV."""

from __future__ import annotations

import bisect
import logging
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from spacy.attrs import ENT_IOB, ENT_TYPE, IDX, IS_SPACE, LENGTH, SENT_START
from spacy.tokens import Doc

from pipeline import schema
from pipeline.errors import InputError, OutputError
from pipeline.segment import doc_text

log = logging.getLogger(__name__)

FORMATS = ("parquet", "csv")


# spaCy's ENT_IOB codes (0: unset, 1: I, 2: O, 3: B) as the tokens table writes them.
_IOB = np.array(["O", "I", "O", "B"], dtype=object)


class Rows:
    """Rows of every output table, kept column by column: a document's tokens are added as
    whole columns, and a part becomes Arrow without a dict per row (`schema.TABLES` names the
    columns)."""

    def __init__(self) -> None:
        self._columns = {name: {c.name: [] for c in schema.TABLES[name]} for name in schema.TABLE_NAMES}

    def add(self, table: str, row: Mapping[str, Any]) -> None:
        """Appends one row; columns it lacks are null.

        Raises:
            KeyError: A column the table does not have.
        """
        columns = self._columns[table]
        if unknown := row.keys() - columns.keys():
            raise KeyError(f"{table} has no column {', '.join(sorted(unknown))}")
        for name, values in columns.items():
            values.append(row.get(name))

    def add_columns(self, table: str, values: Mapping[str, list[Any]]) -> None:
        """Appends rows given as one list per column (every column, all of the same length)."""
        columns = self._columns[table]
        if values.keys() != columns.keys() or len({len(v) for v in values.values()}) > 1:
            raise ValueError(f"{table}: give every column, all of the same length")
        for name, more in values.items():
            columns[name].extend(more)

    def extend(self, other: Rows) -> None:
        """Appends all of `other`'s rows, table by table."""
        for table, columns in other._columns.items():
            for name, values in columns.items():
                self._columns[table][name].extend(values)

    def count(self, table: str) -> int:
        """How many rows `table` has."""
        first = next(iter(self._columns[table].values()))
        return len(first)

    def records(self, table: str) -> list[dict[str, Any]]:
        """The rows of `table` as dicts."""
        columns = self._columns[table]
        return [dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)]

    def arrow(self, table: str) -> pa.Table:
        """`table` as Arrow, typed by its schema."""
        return pa.Table.from_pydict(self._columns[table], schema=schema.arrow_schema(table))

    def frames(self) -> dict[str, pd.DataFrame]:
        """Every table as a DataFrame with its schema dtypes."""
        return {name: schema.to_frame(name, self.arrow(name)) for name in schema.TABLE_NAMES}


def document_row(
    doc_id: str,
    source: str,
    *,
    article: Any | None = None,
    annotations: Rows | None = None,
    status: str = "ok",
    error: str | None = None,
) -> dict[str, Any]:
    """The `documents` row of one document.

    Args:
        doc_id: The document's id.
        source: Where it came from.
        article: The `CleanedArticle`, when cleaning worked.
        annotations: Its `annotation_rows`, when it was segmented (they give the counts).
        status: `ok`, `empty` or `failed`.
        error: Why it is not `ok`.
    """
    return {
        "doc_id": doc_id,
        "source": source,
        "title": (article.title or None) if article else None,
        "published": article.published if article else None,
        "outlet": article.outlet if article else None,
        "author": article.author if article else None,
        "url": article.url if article else None,
        "text": article.text if article else None,
        "encoding": article.encoding if article else None,
        "n_sentences": annotations.count("sentences") if annotations else 0,
        "n_tokens": annotations.count("tokens") if annotations else 0,
        "status": status,
        "error": error,
    }


def annotation_rows(doc_id: str, doc: Doc, *, entities: bool = True, dates: bool = True) -> Rows:
    """The `sentences`, `tokens`, `entities` and `dates` rows of one annotated document.

    Args:
        doc_id: The document's id.
        doc: The document, segmented, with `doc.ents` and `doc._.dates` when those stages ran.
        entities: Whether the NER stage ran (else tokens carry no entity tags).
        dates: Whether the dates stage ran.

    Returns:
        Rows per table; whitespace tokens and empty sentences are left out.
    """
    rows = Rows()
    text = doc_text(doc)
    # Columns, not Token or Span objects: this runs for every word of every document.
    columns = doc.to_array([IDX, LENGTH, IS_SPACE, ENT_IOB, SENT_START]).astype(np.int64)
    kept = np.flatnonzero(columns[:, 2] == 0)  # whitespace tokens are left out
    firsts = np.flatnonzero(columns[:, 4] == 1)
    if len(doc) and (not len(firsts) or firsts[0] != 0):
        firsts = np.concatenate([[0], firsts])  # the first token starts a sentence
    # Sentences without a word are left out: the others are numbered in order.
    _, first_of, sentence_of = np.unique(
        np.searchsorted(firsts, kept, side="right") - 1, return_index=True, return_inverse=True
    )
    starts = columns[kept, 0].tolist()
    ends = (columns[kept, 0] + columns[kept, 1]).tolist()
    last_of = np.concatenate([first_of[1:], [len(kept)]])[: len(first_of)] - 1
    sent_starts = [starts[i] for i in first_of.tolist()]
    sent_ends = [ends[i] for i in last_of.tolist()]
    rows.add_columns(
        "sentences",
        {
            "doc_id": [doc_id] * len(sent_starts),
            "sent_id": list(range(len(sent_starts))),
            "start": sent_starts,
            "end": sent_ends,
            "text": [text[a:b] for a, b in zip(sent_starts, sent_ends, strict=True)],
        },
    )
    if entities:
        iob = _IOB[columns[kept, 3]].tolist()
        strings = doc.vocab.strings
        labels = [strings[h] if h else None for h in doc.to_array(ENT_TYPE)[kept].tolist()]
    else:
        iob, labels = ["O"] * len(kept), [None] * len(kept)
    rows.add_columns(
        "tokens",
        {
            "doc_id": [doc_id] * len(kept),
            "sent_id": sentence_of.tolist(),
            "token_id": list(range(len(kept))),
            "start": starts,
            "end": ends,
            "text": [text[a:b] for a, b in zip(starts, ends, strict=True)],
            "ent_iob": iob,
            "ent_label": labels,
        },
    )

    def sent_of(offset: int) -> int:
        return max(bisect.bisect_right(sent_starts, offset) - 1, 0)

    if entities:
        ents = doc.ents
        firsts = [ent.start for ent in ents]
        lasts = [ent.end - 1 for ent in ents]
        ent_starts = columns[firsts, 0].tolist()
        ent_ends = (columns[lasts, 0] + columns[lasts, 1]).tolist()
        rows.add_columns(
            "entities",
            {
                "doc_id": [doc_id] * len(ents),
                "sent_id": [sent_of(a) for a in ent_starts],
                "entity_id": list(range(len(ents))),
                "start": ent_starts,
                "end": ent_ends,
                "text": [text[a:b] for a, b in zip(ent_starts, ent_ends, strict=True)],
                "label": [ent.label_ for ent in ents],
                "source": [ent._.source or "model" for ent in ents],
            },
        )
    if dates:
        for d in doc._.dates or []:
            rows.add(
                "dates",
                {
                    "doc_id": doc_id,
                    "sent_id": sent_of(d.start),
                    "start": d.start,
                    "end": d.end,
                    "text": d.text,
                    "type": d.type,
                    "value": d.value,
                    "grain": d.grain,
                    "mod": d.mod,
                    "range_start": d.range_start,
                    "range_end": d.range_end,
                    "anchor": d.anchor,
                },
            )
    return rows


def write_tables(
    rows: Rows,
    output: Path,
    *,
    formats: Iterable[str] = FORMATS,
    tables: Iterable[str] = schema.TABLE_NAMES,
) -> list[Path]:
    """Writes each table atomically: to a temporary file beside it, then renamed into place.

    Args:
        rows: Rows per table.
        output: The output folder (created if missing).
        formats: `parquet`, `csv` or both.
        tables: Which tables to write.

    Returns:
        The files written.

    Raises:
        OutputError: The folder cannot be created or written.
    """
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"cannot create output folder {output}: {exc.strerror}; choose a writable path"
        ) from exc
    written = []
    for name in tables:
        table = rows.arrow(name)
        for fmt in formats:
            target = output / f"{name}.{fmt}"
            atomic_write(target, lambda path, t=table, f=fmt: write_file(t, path, f))
            written.append(target)
            log.debug("wrote %s (%d rows)", target, table.num_rows)
    return written


def write_file(table: Any, path: Path, fmt: str) -> None:
    """Writes an Arrow table to `path` as Parquet or CSV."""
    if fmt == "parquet":
        pq.write_table(table, path, row_group_size=100_000)
    elif fmt == "csv":
        pa_csv.write_csv(table, path)
    else:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def atomic_write(target: Path, write: Any) -> None:
    """Calls `write(tmp)` on a temporary file beside `target`, then renames it into place.

    Raises:
        OutputError: The folder cannot be written.
    """
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
    except OSError as exc:
        raise OutputError(
            f"cannot write in {target.parent}: {exc.strerror}; choose a writable folder"
        ) from exc
    try:
        write(Path(tmp))
        os.replace(tmp, target)
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror}") from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def load(output: str | Path) -> dict[str, pd.DataFrame]:
    """Reads the tables of a finished run back with their schema dtypes.

    Args:
        output: The folder a run wrote: one folder of Parquet parts per table (CSV parts under
            `csv/` otherwise), or single `<table>.parquet`/`.csv` files (`write_tables`).

    Returns:
        One DataFrame per table found, its parts in order.

    Raises:
        InputError: The folder holds none of the tables.
    """
    tables = {}
    for name, parts in table_parts(output).items():
        arrow = pa.concat_tables([_read_file(name, part) for part in parts] or [schema.to_arrow(name, [])])
        tables[name] = schema.to_frame(name, arrow)
    return tables


def table_parts(output: str | Path) -> dict[str, list[Path]]:
    """The files holding each table of a finished run, in order: its Parquet parts, else its
    CSV parts, else a single `<table>.parquet` or `.csv` (an empty list: a table with no rows).

    Raises:
        InputError: The folder holds none of the tables.
    """
    output = Path(output)
    found = {}
    for name in schema.TABLE_NAMES:
        candidates = [
            sorted((output / name).glob("*.parquet")),
            sorted((output / "csv" / name).glob("*.csv")),
            [p for p in (output / f"{name}.parquet",) if p.is_file()],
            [p for p in (output / f"{name}.csv",) if p.is_file()],
        ]
        parts = next((files for files in candidates if files), None)
        if parts is not None or (output / name).is_dir():
            found[name] = parts or []
    if not found:
        raise InputError(f"no tables in {output}; run `python -m pipeline run INPUT {output}` first")
    return found


def combine(
    output: str | Path,
    dest: str | Path,
    *,
    formats: Iterable[str] = ("csv",),
    tables: Iterable[str] | None = None,
) -> list[Path]:
    """Writes each table of a finished run as one file (`DEST/entities.csv`), for spreadsheets
    and tools that read one file per table.

    Parts are copied one at a time, so memory does not grow with the table; each file is
    written atomically.

    Args:
        output: The folder a run wrote.
        dest: Where to write the files (created if needed); not inside `output`, whose stale
            files a later run removes.
        formats: `csv`, `parquet` or both.
        tables: Which tables (default: every table the run wrote).

    Returns:
        The files written.

    Raises:
        InputError: `output` holds none of the tables, or not one that was asked for.
        OutputError: `dest` cannot be written.
        ValueError: An unknown format.
    """
    formats = tuple(dict.fromkeys(formats))
    if unknown := set(formats) - set(FORMATS):
        raise ValueError(f"unknown format(s) {', '.join(sorted(unknown))}; choose from parquet, csv")
    parts = table_parts(output)
    names = list(parts) if tables is None else list(dict.fromkeys(tables))
    if missing := [name for name in names if name not in parts]:
        raise InputError(f"{output} has no {', '.join(missing)} table; it has {', '.join(parts)}")
    dest = Path(dest)
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create {dest}: {exc.strerror}; choose a writable folder") from exc
    written = []
    for name in names:
        for fmt in formats:
            target = dest / f"{name}.{fmt}"
            atomic_write(target, lambda path, n=name, f=fmt: _concatenate(n, parts[n], path, f))
            written.append(target)
    return written


def _concatenate(table: str, parts: list[Path], path: Path, fmt: str) -> None:
    arrow_schema = schema.arrow_schema(table)
    writer_class = pq.ParquetWriter if fmt == "parquet" else pa_csv.CSVWriter
    with writer_class(path, arrow_schema) as writer:
        for part in parts:
            writer.write_table(_read_file(table, part))


def _read_file(table: str, path: Path) -> pa.Table:
    if path.suffix == ".parquet":
        return pq.read_table(path, schema=schema.arrow_schema(table))
    # `write_csv` writes a null as nothing and an empty string as `""`: read them back apart.
    options = pa_csv.ConvertOptions(
        column_types=schema.arrow_schema(table), strings_can_be_null=True, quoted_strings_can_be_null=False
    )
    return pa_csv.read_csv(path, convert_options=options).cast(schema.arrow_schema(table))
