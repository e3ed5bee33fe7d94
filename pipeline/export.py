"""Export stage: annotated spaCy `Doc`s → the output tables, written atomically as Parquet and CSV."""

from __future__ import annotations

import bisect
import logging
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from spacy.tokens import Doc

from pipeline import schema
from pipeline.errors import InputError, OutputError
from pipeline.segment import doc_text

log = logging.getLogger(__name__)

FORMATS = ("parquet", "csv")
Rows = dict[str, list[dict[str, Any]]]


def empty_rows() -> Rows:
    """One empty row list per table."""
    return {name: [] for name in schema.TABLE_NAMES}


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
        "n_sentences": len(annotations["sentences"]) if annotations else 0,
        "n_tokens": len(annotations["tokens"]) if annotations else 0,
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
    rows = empty_rows()
    del rows["documents"]
    text = doc_text(doc)
    sent_starts: list[int] = []
    for sent in doc.sents:
        words = [t for t in sent if not t.is_space]
        if not words:
            continue
        start, end = words[0].idx, words[-1].idx + len(words[-1].text)
        sent_id = len(sent_starts)
        sent_starts.append(start)
        rows["sentences"].append(
            {"doc_id": doc_id, "sent_id": sent_id, "start": start, "end": end, "text": text[start:end]}
        )
        for token in words:
            rows["tokens"].append(
                {
                    "doc_id": doc_id,
                    "sent_id": sent_id,
                    "token_id": len(rows["tokens"]),
                    "start": token.idx,
                    "end": token.idx + len(token.text),
                    "text": token.text,
                    "ent_iob": (token.ent_iob_ or "O") if entities else "O",
                    "ent_label": (token.ent_type_ or None) if entities else None,
                }
            )

    def sent_of(offset: int) -> int:
        return max(bisect.bisect_right(sent_starts, offset) - 1, 0)

    if entities:
        for i, ent in enumerate(doc.ents):
            rows["entities"].append(
                {
                    "doc_id": doc_id,
                    "sent_id": sent_of(ent.start_char),
                    "entity_id": i,
                    "start": ent.start_char,
                    "end": ent.end_char,
                    "text": ent.text,
                    "label": ent.label_,
                    "source": ent._.source or "model",
                }
            )
    if dates:
        for d in doc._.dates or []:
            rows["dates"].append(
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
                }
            )
    return rows


def extend(rows: Rows, more: Mapping[str, list[dict[str, Any]]]) -> None:
    """Appends `more` to `rows`, table by table."""
    for name, extra in more.items():
        rows[name].extend(extra)


def frames(rows: Rows) -> dict[str, pd.DataFrame]:
    """The tables as DataFrames with their schema dtypes."""
    return {name: schema.to_frame(name, rows.get(name, [])) for name in schema.TABLE_NAMES}


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
        table = schema.to_arrow(name, rows.get(name, []))
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
