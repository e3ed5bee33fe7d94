"""Wiring: input documents → clean → segment → ner → dates → tables; the one-call library API."""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, as_completed, wait
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import spacy
from spacy.language import Language
from spacy.tokens import Doc

import pipeline.dates  # (registers the dates component)
import pipeline.ner  # noqa: F401  (registers the NER components)
from pipeline import dataset, export
from pipeline.clean import CleanedArticle, clean_html, clean_page, clean_record
from pipeline.errors import DocumentError, EmptyDocumentError, PipelineError
from pipeline.inference import DEFAULT_MODEL
from pipeline.inputs import Columns, InputDocument
from pipeline.segment import default_segmenter  # (registers the tokenizers too)

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
    # The model segmenter also runs the NER layer, so that no word crosses a mention's edge.
    entities = "ner" in stages and ner == "model" and segmenter == "model"
    tokenizer = {
        "@tokenizers": "vi_news.word_tokenizer.v1",
        "segmenter": segmenter,
        "model": model,
        "entities": entities,
    }
    nlp = spacy.blank("vi", config={"nlp": {"tokenizer": tokenizer}})
    if "dates" in stages:
        nlp.add_pipe("vi_news_dates")
    if "ner" in stages:
        if ner == "model":
            nlp.add_pipe("vi_news_model_ner", config={"model": model})
            # Measured on the dev sets (`make evaluate`): repeats help the trained model,
            # listed places are neutral, titled names fix its only organisation that runs into
            # a person (one on the dev sets, and the sample page's "Bộ Quốc phòng Alexei
            # Krivoruchko"), place heads its organisations that are places (one on the dev
            # sets, and the sample page's "Quảng trường Đỏ"), given names a person's name alone
            # (+0.69 / +0.19 F1: "Mỹ" the girl, not the country), the other steps undo what it
            # learnt from VLSP.
            rules = {
                "prefer": "candidates",
                "fix": False,
                "fill": "places",
                "consistent": False,
                "titled_names": True,
                "place_heads": True,
                "given_names": True,
            }
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
    parts: int = 0  # parts (units of work) written
    skipped: int = 0  # documents of unchanged inputs, their parts kept from an earlier run
    removed: int = 0  # part files deleted because their inputs are gone

    def add_time(self, stage: str, seconds: float) -> None:
        self.stage_seconds[stage] = self.stage_seconds.get(stage, 0.0) + seconds

    def merge(self, other: RunSummary) -> None:
        """Adds another summary's counts and stage times (a worker's) to this one."""
        for name in (
            "documents",
            "ok",
            "empty",
            "failed",
            "entities",
            "dates",
            "parts",
            "skipped",
            "removed",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for stage, seconds in other.stage_seconds.items():
            self.add_time(stage, seconds)

    def line(self) -> str:
        """A one-line summary for the terminal."""
        if self.documents == 0 and self.skipped:
            line = f"nothing changed: {self.skipped} documents up to date; {self.seconds:.1f} s"
        else:
            line = (
                f"{self.documents} documents: {self.ok} ok, {self.empty} empty, {self.failed} failed; "
                f"{self.entities} entities, {self.dates} dates; {self.seconds:.1f} s"
            )
            line += f"; {self.skipped} unchanged documents skipped" if self.skipped else ""
        return line + (f"; {self.removed} stale part files removed" if self.removed else "")


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
        rows = export.Rows()
        started = time.perf_counter()
        try:
            article = clean_input(item)
        except EmptyDocumentError as exc:
            summary.empty += 1
            rows.add(
                "documents", export.document_row(item.doc_id, item.source, status="empty", error=str(exc))
            )
            yield rows
            continue
        except DocumentError as exc:
            summary.failed += 1
            log.warning("%s", exc)
            rows.add(
                "documents", export.document_row(item.doc_id, item.source, status="failed", error=str(exc))
            )
            yield rows
            continue
        summary.add_time("clean", time.perf_counter() - started)
        if "segment" not in stages:  # a clean-only run: the documents table is all there is
            summary.ok += 1
            rows.add("documents", export.document_row(item.doc_id, item.source, article=article))
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
            rows.add(
                "documents",
                export.document_row(item.doc_id, item.source, article=article, status="failed", error=error),
            )
            yield rows
            continue
        summary.ok += 1
        started = time.perf_counter()
        annotations = export.annotation_rows(
            item.doc_id, doc, entities="ner" in stages, dates="dates" in stages
        )
        rows.add(
            "documents",
            export.document_row(item.doc_id, item.source, article=article, annotations=annotations),
        )
        rows.extend(annotations)
        summary.add_time("export", time.perf_counter() - started)
        summary.entities += rows.count("entities")
        summary.dates += rows.count("dates")
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
    rows = export.Rows()
    for doc_rows in process_documents(items, nlp=nlp, stages=stages, reference_date=reference_date):
        rows.extend(doc_rows)
    return rows.frames()


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


ENGINES = ("local", "dask")


@dataclass(frozen=True, slots=True)
class RunSettings:
    """What a worker needs to turn a unit of input into its part of every table."""

    output: Path
    stages: tuple[str, ...]
    tables: tuple[str, ...]
    formats: tuple[str, ...]
    ner: str = "model"
    model: str | None = None
    reference_date: datetime | None = None


@dataclass(frozen=True, slots=True)
class UnitResult:
    """A finished part: its key and fingerprint (for the manifest) and what processing it did."""

    key: str
    fingerprint: str
    summary: RunSummary


# One pipeline per worker process and settings, built on its first unit.
_NLP_CACHE: dict[tuple, Language] = {}


def _worker_nlp(settings: RunSettings) -> Language | None:
    if "segment" not in settings.stages:
        return None
    key = (settings.stages, settings.ner, settings.model)
    if key not in _NLP_CACHE:
        _NLP_CACHE[key] = build_nlp(stages=settings.stages, ner=settings.ner, model=settings.model)
    return _NLP_CACHE[key]


def process_unit(unit: dataset.Unit, settings: RunSettings) -> UnitResult:
    """Processes one unit of work and writes its part of every table: the function each engine runs.

    Args:
        unit: The documents of one part.
        settings: The run's stages, tables, formats, NER backend and output folder.

    Returns:
        The part's key and fingerprint, with the counts and stage timings of its documents.
    """
    summary = RunSummary()
    rows = export.Rows()
    nlp = _worker_nlp(settings)
    for doc_rows in process_documents(
        unit.documents,
        nlp=nlp,
        stages=settings.stages,
        reference_date=settings.reference_date,
        summary=summary,
    ):
        rows.extend(doc_rows)
    started = time.perf_counter()
    dataset.write_part(settings.output, unit.key, rows, tables=settings.tables, formats=settings.formats)
    summary.add_time("export", time.perf_counter() - started)
    summary.parts = 1
    return UnitResult(unit.key, unit.fingerprint, summary)


def run(
    input_path: Path,
    output: Path,
    *,
    formats: Iterable[str] = ("parquet",),
    stages: Iterable[str] = STAGES,
    reference_date: date | datetime | None = None,
    columns: Columns = Columns(),
    chunk_size: int = 100,
    workers: int = 1,
    engine: str = "local",
    scheduler: str | None = None,
    force: bool = False,
    progress: bool = True,
    ner: str = "model",
    model: str | Path | None = None,
) -> RunSummary:
    """Processes every document under `input_path` into the tables in `output`, incrementally.

    Each table is a folder of Parquet parts (see `pipeline.dataset`); a manifest of the inputs'
    content hashes lets a re-run skip what has not changed, and a run killed mid-way resume
    where it stopped, ending with exactly the rows of a clean run.

    Args:
        input_path: A folder (searched recursively) or one file: pages (`.txt`, `.html`) or
            tables (`.jsonl`, `.csv`, `.parquet`) with one article per row, streamed.
        output: The folder for the tables.
        formats: `parquet`, `csv` or both.
        stages: Which stages to run; the tables they fill are written.
        reference_date: Anchor for documents without a publication date.
        columns: Column names for table inputs.
        chunk_size: Documents per part (the unit of work, of resuming and of memory).
        workers: Processes working in parallel, each loading the model once (local engine)
            or, for the dask engine, the workers of the local cluster it starts.
        engine: `local` (this machine) or `dask` (a Dask distributed cluster).
        scheduler: The Dask scheduler's address; default: a local cluster of `workers`.
        force: Process every input again, whatever the manifest says.
        progress: Show a progress bar on stderr (after two seconds).
        ner: The NER backend (`model` or `crf`, see `build_nlp`).
        model: Another trained NER model folder.

    Returns:
        The run's summary (documents processed now, and those skipped as unchanged).

    Raises:
        InputError: The input is missing or a table lacks a named column.
        OutputError: The output cannot be written.
        ValueError: An unknown stage, format, backend or engine.
    """
    from tqdm import tqdm

    stages = resolve_stages(stages)
    formats = tuple(dict.fromkeys(formats))
    if unknown := set(formats) - set(export.FORMATS):
        raise ValueError(f"unknown format(s) {', '.join(sorted(unknown))}; choose from parquet, csv")
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
    if ner not in NER_BACKENDS:
        raise ValueError(f"unknown NER backend {ner!r}; choose from {', '.join(NER_BACKENDS)}")
    started = time.perf_counter()
    tables = ["documents"]
    tables += ["sentences", "tokens"] if "segment" in stages else []
    tables += ["entities"] if "ner" in stages else []
    tables += ["dates"] if "dates" in stages else []
    reference = _as_datetime(reference_date)
    settings = RunSettings(
        output, stages, tuple(tables), formats, ner, str(model) if model else None, reference
    )
    manifest = dataset.Manifest(
        output,
        {
            "stages": list(stages),
            "formats": list(formats),
            "ner": ner,
            "model": str(Path(model).resolve()) if model else None,
            "reference_date": reference.isoformat() if reference else None,
            "columns": asdict(columns),
            "chunk_size": chunk_size,
            "code": dataset.settings_fingerprint(model),
        },
        fresh=force,
    )
    plan = dataset.Plan()
    units = dataset.plan_units(
        input_path, manifest, plan, chunk_size=chunk_size, columns=columns, tables=tables, formats=formats
    )
    summary = RunSummary()
    with tqdm(desc="documents", unit="doc", delay=2, disable=not progress) as bar:
        for result in _execute(units, settings, engine=engine, workers=workers, scheduler=scheduler):
            manifest.record(result.key, result.fingerprint, result.summary.documents)
            summary.merge(result.summary)
            bar.update(result.summary.documents)
    summary.removed = dataset.remove_stale(output, plan.keys, tables, formats)
    manifest.save(keep=plan.keys)
    summary.skipped = plan.skipped_documents
    summary.seconds = time.perf_counter() - started
    return summary


def _execute(
    units: Iterator[dataset.Unit], settings: RunSettings, *, engine: str, workers: int, scheduler: str | None
) -> Iterator[UnitResult]:
    """Runs `process_unit` on every unit: here, in a pool of processes, or on a Dask cluster.

    At most two units per worker are in flight, so memory stays flat however long the input.
    """
    units = iter(units)
    first = list(itertools.islice(units, 2))
    if not first:  # nothing to do: no worker started, no model loaded
        return
    units = itertools.chain(first, units)
    if engine == "dask":
        yield from _execute_dask(units, settings, workers=workers, scheduler=scheduler)
    elif workers <= 1 or len(first) == 1:
        for unit in units:
            yield process_unit(unit, settings)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            pending: set = set()
            for unit in units:
                pending.add(pool.submit(process_unit, unit, settings))
                if len(pending) >= 2 * workers:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    yield from (future.result() for future in done)
            yield from (future.result() for future in as_completed(pending))


def _execute_dask(
    units: Iterator[dataset.Unit], settings: RunSettings, *, workers: int, scheduler: str | None
) -> Iterator[UnitResult]:
    try:
        from dask.distributed import Client, LocalCluster
        from dask.distributed import as_completed as dask_completed
    except ImportError as exc:
        raise PipelineError(
            "the dask engine needs dask.distributed: pip install 'vi-news-ner[dask]'"
        ) from exc
    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(
            n_workers=max(1, workers), threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
    try:
        slots = 2 * max(1, len(client.scheduler_info().get("workers", {})) or workers)
        finished = dask_completed()
        for unit in units:
            finished.add(client.submit(process_unit, unit, settings, pure=False))
            while finished.count() >= slots:
                yield next(finished).result()
        yield from (future.result() for future in finished)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _as_datetime(value: date | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime(value.year, value.month, value.day)
