"""Wiring: input documents → clean → segment → ner → dates → tables; the one-call library API."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import spacy
from spacy.language import Language
from spacy.tokens import Doc

import pipeline.dates  # (registers the dates component)
import pipeline.ner  # noqa: F401  (registers the NER components)
from pipeline import export
from pipeline.clean import CleanedArticle, clean_html, clean_page, clean_record
from pipeline.errors import DocumentError, EmptyDocumentError
from pipeline.inputs import Columns, InputDocument, read_inputs
from pipeline.segment import DEFAULT_MODEL, default_segmenter  # (registers the tokenizers too)

log = logging.getLogger(__name__)

STAGES = ("clean", "segment", "ner", "dates")
# What each stage needs before it can run: NER reads words, dates are placed in sentences.
_NEEDS = {"ner": ("segment",), "segment": (), "dates": ("segment",), "clean": ()}


def resolve_stages(stages: Iterable[str]) -> tuple[str, ...]:
    """Validates a stage list and adds what the chosen stages need, in pipeline order.

    Raises:
        ValueError: An unknown stage name.
    """
    chosen = set(stages) | {"clean"}
    unknown = chosen - set(STAGES)
    if unknown:
        raise ValueError(f"unknown stage(s) {', '.join(sorted(unknown))}; choose from {', '.join(STAGES)}")
    for stage in list(chosen):
        chosen.update(_NEEDS[stage])
    return tuple(s for s in STAGES if s in chosen)


NER_BACKENDS = ("model", "crf")


def build_nlp(
    *,
    stages: Iterable[str] = STAGES,
    ner: str = "model",
    model: str | Path | None = None,
    segmenter: str | None = None,
) -> Language:
    """The spaCy pipeline behind the segment, dates and NER stages.

    Args:
        stages: Which stages to run (see `STAGES`).
        ner: The NER backend: `model` (the trained model in `models/ner-vi`, then the rules)
            or `crf` (underthesea's 2017 CRF, then the rules: the baseline).
        model: Another trained pipeline folder (word tagger and NER) instead of `models/ner-vi`.
        segmenter: Word segmentation by `model` (the trained model's word tagger, sharing its
            network with the NER) or `crf` (underthesea's CRF). Default: `crf` for the `crf`
            backend, else `model` when the model has a word tagger.

    Returns:
        A `Language` whose tokenizer segments words and sentences.

    Raises:
        ValueError: An unknown stage or backend.
        InputError: `model` holds no trained pipeline.
    """
    stages = resolve_stages(stages)
    if ner not in NER_BACKENDS:
        raise ValueError(f"unknown NER backend {ner!r}; choose from {', '.join(NER_BACKENDS)}")
    model = str(model or DEFAULT_MODEL)
    if segmenter is None:  # the CRF baseline keeps underthesea's words too
        segmenter = "crf" if ner == "crf" else default_segmenter(model)
    tokenizer = {"@tokenizers": "vi_news.word_tokenizer.v1", "segmenter": segmenter, "model": model}
    nlp = spacy.blank("vi", config={"nlp": {"tokenizer": tokenizer}})
    if "dates" in stages:
        nlp.add_pipe("vi_news_dates")
    if "ner" in stages:
        if ner == "model":
            nlp.add_pipe("vi_news_model_ner", config={"model": model})
            # Measured on the dev sets (`make evaluate`): repeats help the trained model,
            # listed places are neutral, the other steps undo what it learnt from VLSP.
            rules = {"prefer": "candidates", "fix": False, "fill": "places", "consistent": False}
            nlp.add_pipe("vi_news_entity_rules", config=rules)
        else:
            nlp.add_pipe("vi_news_crf_ner")
            nlp.add_pipe("vi_news_entity_rules", config={"prefer": "rules"})
    return nlp


def clean_input(item: InputDocument) -> CleanedArticle:
    """Runs the clean stage on one input document.

    Raises:
        DocumentError: The document cannot be cleaned (its message says why).
    """
    if item.kind == "unreadable":
        raise DocumentError(item.error or f"{item.source}: cannot be read")
    if item.kind == "html":
        return clean_html(item.data, source=item.source)
    if item.kind == "record":
        fields = item.fields
        return clean_record(
            fields.get("title"),
            str(fields.get("text", "")),
            published=fields.get("published"),
            url=fields.get("url"),
            source=item.source,
        )
    return clean_page(item.data, source=item.source)


# The stage each spaCy component belongs to, for the per-stage timings.
_STAGE_OF = {"vi_news_dates": "dates"}


def annotate_text(
    nlp: Language, text: str, *, anchor: datetime | None = None, timings: dict[str, float] | None = None
) -> Doc:
    """Segments `text` and runs the pipeline's components (dates, NER) on it.

    Args:
        nlp: A pipeline from `build_nlp`.
        text: The cleaned text.
        anchor: The date relative expressions are resolved against.
        timings: Seconds spent per stage (`segment`, `ner`, `dates`) are added here.
    """
    timings = timings if timings is not None else {}
    started = time.perf_counter()
    doc = nlp.make_doc(text)
    doc._.anchor = anchor
    lap = time.perf_counter()
    timings["segment"] = timings.get("segment", 0.0) + lap - started
    for name, component in nlp.pipeline:
        doc = component(doc)
        now = time.perf_counter()
        stage = _STAGE_OF.get(name, "ner")
        timings[stage] = timings.get(stage, 0.0) + now - lap
        lap = now
    return doc


@dataclass
class RunSummary:
    """What a run did: counts per status, mentions found, seconds (in all and per stage), files written."""

    documents: int = 0
    ok: int = 0
    empty: int = 0
    failed: int = 0
    entities: int = 0
    dates: int = 0
    seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)

    def add_time(self, stage: str, seconds: float) -> None:
        self.stage_seconds[stage] = self.stage_seconds.get(stage, 0.0) + seconds

    def line(self) -> str:
        """A one-line summary for the terminal."""
        return (
            f"{self.documents} documents: {self.ok} ok, {self.empty} empty, {self.failed} failed; "
            f"{self.entities} entities, {self.dates} dates; {self.seconds:.1f} s"
        )


def process_documents(
    items: Iterable[InputDocument],
    *,
    nlp: Language | None = None,
    stages: Iterable[str] = STAGES,
    reference_date: date | datetime | None = None,
    summary: RunSummary | None = None,
) -> Iterator[export.Rows]:
    """Runs every stage on each input document and yields its table rows.

    A document that fails is recorded in `documents` with its status and error; the others go on.
    """
    stages = resolve_stages(stages)
    if nlp is None and "segment" in stages:  # a clean-only run loads no model
        nlp = build_nlp(stages=stages)
    reference = _as_datetime(reference_date)
    summary = summary if summary is not None else RunSummary()
    for item in items:
        summary.documents += 1
        rows = export.empty_rows()
        started = time.perf_counter()
        try:
            article = clean_input(item)
        except EmptyDocumentError as exc:
            summary.empty += 1
            rows["documents"].append(
                export.document_row(item.doc_id, item.source, status="empty", error=str(exc))
            )
            yield rows
            continue
        except DocumentError as exc:
            summary.failed += 1
            log.warning("%s", exc)
            rows["documents"].append(
                export.document_row(item.doc_id, item.source, status="failed", error=str(exc))
            )
            yield rows
            continue
        summary.add_time("clean", time.perf_counter() - started)
        if "segment" not in stages:  # a clean-only run: the documents table is all there is
            summary.ok += 1
            rows["documents"].append(export.document_row(item.doc_id, item.source, article=article))
            yield rows
            continue
        try:
            doc = annotate_text(
                nlp, article.text, anchor=article.published or reference, timings=summary.stage_seconds
            )
        except Exception as exc:  # one broken document must not stop the batch
            summary.failed += 1
            log.exception("%s: annotation failed", item.source)
            error = (
                f"{item.source}: annotation failed ({type(exc).__name__}: {exc}); please report this document"
            )
            rows["documents"].append(
                export.document_row(item.doc_id, item.source, article=article, status="failed", error=error)
            )
            yield rows
            continue
        summary.ok += 1
        started = time.perf_counter()
        rows["documents"].append(export.document_row(item.doc_id, item.source, article=article, doc=doc))
        export.extend(
            rows, export.annotation_rows(item.doc_id, doc, entities="ner" in stages, dates="dates" in stages)
        )
        summary.add_time("export", time.perf_counter() - started)
        summary.entities += len(rows["entities"])
        summary.dates += len(rows["dates"])
        yield rows


def annotate(
    data: str | Iterable[str] | pd.DataFrame,
    *,
    reference_date: date | datetime | None = None,
    stages: Iterable[str] = STAGES,
    columns: Columns = Columns(),
    nlp: Language | None = None,
) -> dict[str, pd.DataFrame]:
    """Runs the whole pipeline on texts or a DataFrame of articles and returns the tables.

    Args:
        data: One text, a list of texts (article bodies, possibly with a first title line), or
            a DataFrame with a text column and optionally id, title, published and url.
        reference_date: Anchor for relative dates when a document has no publication date.
        stages: Which stages to run.
        columns: Column names in `data` when it is a DataFrame.
        nlp: A pipeline from `build_nlp`, to reuse across calls.

    Returns:
        One DataFrame per table (`documents`, `sentences`, `tokens`, `entities`, `dates`).

    Example:
        >>> tables = annotate(["Ngày 19/6, Tổng thống Nga Vladimir Putin thăm Bình Nhưỡng."])
        >>> tables["entities"]["text"].tolist()
        ['Nga', 'Vladimir Putin', 'Bình Nhưỡng']
    """
    if isinstance(data, str):
        data = [data]
    if isinstance(data, pd.DataFrame):
        items = list(_frame_inputs(data, columns))
    else:
        items = [InputDocument(str(i), f"#{i}", "record", fields={"text": t}) for i, t in enumerate(data)]
    rows = export.empty_rows()
    for doc_rows in process_documents(items, nlp=nlp, stages=stages, reference_date=reference_date):
        export.extend(rows, doc_rows)
    return export.frames(rows)


def _frame_inputs(frame: pd.DataFrame, columns: Columns) -> Iterator[InputDocument]:
    if columns.text not in frame.columns:
        raise ValueError(f"the DataFrame has no column {columns.text!r}; pass columns=Columns(text=...)")
    for number, row in enumerate(frame.to_dict("records")):
        doc_id = row.get(columns.id, number)
        fields = {k: row.get(getattr(columns, k)) for k in ("title", "text", "published", "url")}
        fields = {
            k: v for k, v in fields.items() if v is not None and not (isinstance(v, float) and pd.isna(v))
        }
        yield InputDocument(str(doc_id), f"#{number}", "record", fields=fields)


def run(
    input_path: Path,
    output: Path,
    *,
    formats: Iterable[str] = export.FORMATS,
    stages: Iterable[str] = STAGES,
    reference_date: date | datetime | None = None,
    columns: Columns = Columns(),
    batch_size: int = 64,
    progress: bool = True,
    ner: str = "model",
    model: str | Path | None = None,
) -> RunSummary:
    """Processes every document under `input_path` and writes the tables to `output`.

    Args:
        input_path: A folder (searched recursively) or one file: pages (`.txt`, `.html`) or
            tables (`.jsonl`, `.csv`, `.parquet`) with one article per row.
        output: The folder for the tables.
        formats: `parquet`, `csv` or both.
        stages: Which stages to run; the tables they fill are written.
        reference_date: Anchor for documents without a publication date.
        columns: Column names for table inputs.
        batch_size: Documents read and annotated between two progress updates.
        progress: Show a progress bar on stderr (after two seconds).
        ner: The NER backend (`model` or `crf`, see `build_nlp`).
        model: Another trained NER model folder.

    Returns:
        The run's summary.

    Raises:
        InputError: The input is missing or a table lacks a named column.
        OutputError: The output cannot be written.
    """
    from tqdm import tqdm

    stages = resolve_stages(stages)
    started = time.perf_counter()
    summary = RunSummary()
    nlp = build_nlp(stages=stages, ner=ner, model=model) if "segment" in stages else None
    rows = export.empty_rows()
    items = read_inputs(input_path, columns=columns)
    with tqdm(desc="documents", unit="doc", delay=2, disable=not progress, miniters=batch_size) as bar:
        for doc_rows in process_documents(
            items, nlp=nlp, stages=stages, reference_date=reference_date, summary=summary
        ):
            export.extend(rows, doc_rows)
            bar.update(1)
    tables = ["documents"]
    tables += ["sentences", "tokens"] if "segment" in stages else []
    tables += ["entities"] if "ner" in stages else []
    tables += ["dates"] if "dates" in stages else []
    writing = time.perf_counter()
    summary.files = export.write_tables(rows, output, formats=formats, tables=tables)
    summary.add_time("export", time.perf_counter() - writing)
    summary.seconds = time.perf_counter() - started
    return summary


def _as_datetime(value: date | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime(value.year, value.month, value.day)
