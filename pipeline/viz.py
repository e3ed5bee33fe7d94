"""Notebook view: one document's entities and dates from the output tables, rendered with displaCy."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from spacy import displacy

COLORS = {
    "PER": "#f4a6a6",
    "LOC": "#9fd3a7",
    "ORG": "#9cc3f0",
    "DATE": "#f5d68a",
    "TIME": "#f5d68a",
    "DURATION": "#e5c3f0",
    "SET": "#e5c3f0",
}


def render(
    tables: Mapping[str, pd.DataFrame], doc_id: str, *, dates: bool = True, jupyter: bool | None = None
) -> str:
    """Renders one document with its entities (and date expressions) highlighted.

    Args:
        tables: The tables of a run (`load(OUTPUT)` or `annotate(...)`).
        doc_id: The document to show.
        dates: Also highlight date/time expressions, labelled by their ISO value.
        jupyter: Display inline in a notebook (default: when running in one).

    Returns:
        The HTML markup.

    Raises:
        KeyError: No document with that id.
    """
    documents = tables["documents"]
    match = documents[documents["doc_id"] == doc_id]
    if match.empty:
        raise KeyError(f"no document {doc_id!r}; ids look like {documents['doc_id'].head(3).tolist()}")
    text = match["text"].iloc[0] or ""
    spans = []
    entities = tables.get("entities")
    if entities is not None:
        for row in entities[entities["doc_id"] == doc_id].itertuples():
            spans.append({"start": int(row.start), "end": int(row.end), "label": row.label})
    found_dates = tables.get("dates")
    if dates and found_dates is not None:
        for row in found_dates[found_dates["doc_id"] == doc_id].itertuples():
            label = f"{row.type} {row.value}" if isinstance(row.value, str) else row.type
            spans.append({"start": int(row.start), "end": int(row.end), "label": label})
    spans = _non_overlapping(spans)
    colors = dict(COLORS)
    colors.update({s["label"]: COLORS.get(s["label"].split(" ")[0], "#ddd") for s in spans})
    data = {"text": text, "ents": spans, "title": match["title"].iloc[0]}
    return displacy.render(data, style="ent", manual=True, jupyter=jupyter, options={"colors": colors})


def _non_overlapping(spans: list[dict]) -> list[dict]:
    kept: list[dict] = []
    for span in sorted(spans, key=lambda s: (s["start"], -(s["end"] - s["start"]))):
        if not kept or span["start"] >= kept[-1]["end"]:
            kept.append(span)
    return kept
