"""The output tables: every column's name, type and meaning, defined once for export, load, tests and docs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa


@dataclass(frozen=True, slots=True)
class Column:
    """One column of an output table."""

    name: str
    type: pa.DataType
    description: str
    nullable: bool = False


_STR = pa.string()
_INT = pa.int32()

TABLES: dict[str, tuple[Column, ...]] = {
    "documents": (
        Column("doc_id", _STR, "Stable id: the input path relative to INPUT (tables: the row id)."),
        Column("source", _STR, "Where the document came from: relative path, plus `#row` for tables."),
        Column("title", _STR, "Article title.", nullable=True),
        Column(
            "published", pa.timestamp("us"), "Publication date-time as written (local time).", nullable=True
        ),
        Column("outlet", _STR, "Publishing outlet, when the page names it.", nullable=True),
        Column("author", _STR, "Author, when the page names one.", nullable=True),
        Column("url", _STR, "Source URL, when known.", nullable=True),
        Column(
            "text",
            _STR,
            "The analysed text (title, blank line, body); all offsets index into it.",
            nullable=True,
        ),
        Column("encoding", _STR, "Encoding the input was decoded from.", nullable=True),
        Column("n_sentences", _INT, "Number of sentences."),
        Column("n_tokens", _INT, "Number of word tokens."),
        Column("status", _STR, "`ok`, `empty` (no text) or `failed` (see `error`)."),
        Column("error", _STR, "Why the document could not be processed.", nullable=True),
    ),
    "sentences": (
        Column("doc_id", _STR, "Document id."),
        Column("sent_id", _INT, "Sentence number in the document, from 0."),
        Column("start", _INT, "Start offset in `documents.text`."),
        Column("end", _INT, "End offset in `documents.text` (exclusive)."),
        Column("text", _STR, "The sentence: `documents.text[start:end]`."),
    ),
    "tokens": (
        Column("doc_id", _STR, "Document id."),
        Column("sent_id", _INT, "Sentence number."),
        Column("token_id", _INT, "Token number in the document, from 0."),
        Column("start", _INT, "Start offset in `documents.text`."),
        Column("end", _INT, "End offset in `documents.text` (exclusive)."),
        Column("text", _STR, "A Vietnamese word: its syllables separated by spaces."),
        Column("ent_iob", _STR, "`B`, `I` or `O`: the token's place in an entity."),
        Column("ent_label", _STR, "Entity label of the token (`PER`, `LOC`, `ORG`).", nullable=True),
    ),
    "entities": (
        Column("doc_id", _STR, "Document id."),
        Column("sent_id", _INT, "Sentence number."),
        Column("entity_id", _INT, "Entity number in the document, from 0."),
        Column("start", _INT, "Start offset in `documents.text`."),
        Column("end", _INT, "End offset in `documents.text` (exclusive)."),
        Column("text", _STR, "The mention: `documents.text[start:end]`."),
        Column("label", _STR, "`PER` (person), `LOC` (place) or `ORG` (organisation)."),
        Column("source", _STR, "The component that found it (`model`, `crf`, `rules`)."),
    ),
    "dates": (
        Column("doc_id", _STR, "Document id."),
        Column("sent_id", _INT, "Sentence number."),
        Column("start", _INT, "Start offset in `documents.text`."),
        Column("end", _INT, "End offset in `documents.text` (exclusive)."),
        Column("text", _STR, "The expression: `documents.text[start:end]`."),
        Column("type", _STR, "`DATE`, `TIME`, `DURATION` or `SET` (TIMEX3)."),
        Column(
            "value",
            _STR,
            "TIMEX3-style ISO value (`2024-06-19`, `2024-06`, `2024-06-19TMO`, `2024-SU`, `P3D`,"
            " `XXXX-06-19`).",
            nullable=True,
        ),
        Column(
            "grain",
            _STR,
            "Finest unit the value states: `second`, `minute`, `hour`, `part_of_day`, `day`, `week`,"
            " `month`, `season`, `quarter`, `year`, `decade`, `century`.",
        ),
        Column(
            "mod",
            _STR,
            "TIMEX3 modifier: `APPROX` (khoảng, gần), `MORE_THAN` (hơn, trên), `EQUAL_OR_MORE` "
            "(ít nhất), `START`/`MID`/`END` (đầu/giữa/cuối tháng 6); empty when exact.",
            nullable=True,
        ),
        Column("range_start", _STR, "First value of a range.", nullable=True),
        Column("range_end", _STR, "Last value of a range.", nullable=True),
        Column("anchor", _STR, "The date-time relative expressions were resolved against.", nullable=True),
    ),
}

TABLE_NAMES: tuple[str, ...] = tuple(TABLES)


def arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema of one table (what the Parquet files hold)."""
    return pa.schema([pa.field(c.name, c.type, nullable=c.nullable) for c in TABLES[table]])


def pandas_dtypes(table: str) -> dict[str, Any]:
    """The pandas dtypes of one table's columns (nullable extension types)."""
    dtypes: dict[str, Any] = {}
    for column in TABLES[table]:
        if pa.types.is_string(column.type):
            dtypes[column.name] = pd.StringDtype()
        elif pa.types.is_integer(column.type):
            dtypes[column.name] = pd.Int32Dtype() if column.nullable else "int32"
        elif pa.types.is_timestamp(column.type):
            dtypes[column.name] = "datetime64[us]"
        else:  # pragma: no cover - every type in TABLES is handled above
            raise TypeError(f"no pandas dtype for {column.type}")
    return dtypes


def to_arrow(table: str, rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """Builds an Arrow table from row dicts, checking names and types against the schema."""
    return pa.Table.from_pylist(list(rows), schema=arrow_schema(table))


def to_frame(table: str, data: pa.Table | Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Builds a DataFrame with the table's fixed dtypes from row dicts or an Arrow table."""
    arrow = data if isinstance(data, pa.Table) else to_arrow(table, data)
    frame = arrow.to_pandas()
    return frame.astype(pandas_dtypes(table)) if len(frame.columns) else frame


def empty_frame(table: str) -> pd.DataFrame:
    """An empty DataFrame with the table's columns and dtypes."""
    return to_frame(table, [])


def data_dictionary() -> str:
    """The data dictionary as Markdown, one section per table (the README embeds it)."""
    lines: list[str] = []
    for table, columns in TABLES.items():
        lines += [f"### `{table}`", "", "| column | type | null | meaning |", "|---|---|---|---|"]
        for c in columns:
            lines.append(f"| `{c.name}` | {c.type} | {'yes' if c.nullable else 'no'} | {c.description} |")
        lines.append("")
    return "\n".join(lines)
