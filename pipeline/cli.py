"""Command line: thin typer wrappers over the library functions (`python -m pipeline --help`)."""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from pipeline import config
from pipeline.errors import InputError, PipelineError

app = typer.Typer(
    help="Vietnamese news → tables of people, places, organisations and dates.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class Format(StrEnum):
    parquet = "parquet"
    csv = "csv"
    both = "both"


class NerBackend(StrEnum):
    model = "model"
    crf = "crf"


class Engine(StrEnum):
    local = "local"
    dask = "dask"


class Checkpoint(StrEnum):
    last = "last"
    best = "best"


class GoldFormat(StrEnum):
    auto = "auto"
    vlsp2016 = "vlsp2016"
    vlsp2018 = "vlsp2018"
    conll = "conll"


class Split(StrEnum):
    all = "all"
    train = "train"
    dev = "dev"


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _reference(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        _fail(f"--reference-date {value!r} is not a date; write it as 2024-07-19 or 2024-07-19T08:30")
    return None


@app.command()
def run(
    input_path: Annotated[
        Path,
        typer.Argument(help="Folder (recursive) or file: .txt/.html pages, .jsonl/.csv/.parquet tables."),
    ] = config.DATA_RAW,
    output: Annotated[Path, typer.Argument(help="Folder for the tables.")] = config.DATA_PROCESSED,
    format: Annotated[
        Format, typer.Option("--format", help="Parquet parts, CSV parts (under OUTPUT/csv/) or both.")
    ] = Format.parquet,
    reference_date: Annotated[
        str | None, typer.Option(help="Anchor for documents without a publication date (ISO).")
    ] = None,
    stages: Annotated[
        str, typer.Option(help="Comma-separated subset of clean,segment,ner,dates.")
    ] = "clean,segment,ner,dates",
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Worker processes, each loading the model once. [default: cores]"),
    ] = None,
    chunk_size: Annotated[
        int, typer.Option(min=1, help="Documents per part: the unit of work, of resuming and of memory.")
    ] = 100,
    engine: Annotated[Engine, typer.Option(help="local (this machine) or dask (a Dask cluster).")] = (
        Engine.local
    ),
    scheduler: Annotated[
        str | None, typer.Option(help="Dask scheduler address (tcp://host:8786); default: a local cluster.")
    ] = None,
    force: Annotated[bool, typer.Option(help="Process every input again, ignoring the manifest.")] = False,
    id_column: Annotated[str, typer.Option(help="Id column of table inputs.")] = "id",
    title_column: Annotated[str, typer.Option(help="Title column of table inputs.")] = "title",
    text_column: Annotated[str, typer.Option(help="Text column of table inputs.")] = "text",
    published_column: Annotated[
        str, typer.Option(help="Publication date column of table inputs.")
    ] = "published",
    url_column: Annotated[str, typer.Option(help="URL column of table inputs.")] = "url",
    log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = "WARNING",
    progress: Annotated[bool, typer.Option(help="Progress bar on stderr for long runs.")] = True,
    ner: Annotated[NerBackend, typer.Option(help="NER backend: the trained model or underthesea's CRF.")] = (
        NerBackend.model
    ),
    model: Annotated[Path | None, typer.Option(help="Another trained NER model folder.")] = None,
) -> None:
    """Process INPUT into the documents, sentences, tokens, entities and dates tables in OUTPUT."""
    _logging(log_level)
    from pipeline.inputs import Columns
    from pipeline.process import run as run_pipeline

    formats = ("parquet", "csv") if format is Format.both else (format.value,)
    columns = Columns(
        id=id_column, title=title_column, text=text_column, published=published_column, url=url_column
    )
    try:
        summary = run_pipeline(
            input_path,
            output,
            formats=formats,
            stages=[s.strip() for s in stages.split(",") if s.strip()],
            reference_date=_reference(reference_date),
            columns=columns,
            chunk_size=chunk_size,
            workers=workers or _cores(),
            engine=engine.value,
            scheduler=scheduler,
            force=force,
            progress=progress and sys.stderr.isatty(),
            ner=ner.value,
            model=model,
        )
    except (PipelineError, ValueError) as exc:
        _fail(str(exc))
        return
    typer.echo(f"{summary.line()} → {output}")
    if summary.documents == 0 and summary.skipped == 0:
        _fail(f"no input documents found in {input_path}")
    if summary.ok == 0 and summary.empty < summary.documents:
        raise typer.Exit(1)


@app.command()
def clean(
    page: Annotated[Path, typer.Argument(help="A scraped page (.txt or .html).")],
) -> None:
    """Clean one page and print the article as JSON (title, metadata, text)."""
    from pipeline.clean import clean_html, clean_page
    from pipeline.errors import DocumentError

    if not page.is_file():
        _fail(f"{page} is not a file; give one scraped page")
    data = page.read_bytes()
    try:
        cleaner = clean_html if page.suffix.lower() in (".html", ".htm") else clean_page
        article = cleaner(data, source=str(page))
    except DocumentError as exc:
        _fail(str(exc))
        return
    fields = {
        "title": article.title,
        "published": article.published.isoformat() if article.published else None,
        "outlet": article.outlet,
        "author": article.author,
        "url": article.url,
        "encoding": article.encoding,
        "captions": list(article.captions),
        "text": article.text,
    }
    typer.echo(json.dumps(fields, ensure_ascii=False, indent=2))


@app.command()
def annotate(
    text: Annotated[str, typer.Argument(help="Vietnamese text; '-' reads standard input.")],
    reference_date: Annotated[str | None, typer.Option(help="Anchor for relative dates (ISO).")] = None,
) -> None:
    """Print the entities and dates of a text, one per line (label, offsets, text, value)."""
    from pipeline.process import annotate as annotate_texts

    body = sys.stdin.read() if text == "-" else text
    tables = annotate_texts([body], reference_date=_reference(reference_date))
    for row in tables["entities"].itertuples():
        typer.echo(f"{row.label}\t{row.start}\t{row.end}\t{row.text}")
    for row in tables["dates"].itertuples():
        typer.echo(f"{row.type}\t{row.start}\t{row.end}\t{row.text}\t{row.value}")


@app.command()
def bench(
    corpus: Annotated[Path, typer.Argument(help="JSONL articles.")] = config.SHARED
    / "data"
    / "corpus"
    / "vietnews-5k.jsonl",
    n: Annotated[int, typer.Option("--n", min=1, help="How many articles from the top.")] = 200,
    model: Annotated[Path | None, typer.Option(help="Another trained NER model folder.")] = None,
    repeat: Annotated[int, typer.Option(min=1, help="Rounds, the sides taking turns; the median ratio.")] = 1,
) -> None:
    """Time the full run and underthesea's ner() on the same articles; print the ratio."""
    from pipeline.bench import benchmark, report

    if not corpus.is_file():
        _fail(f"{corpus} not found; give a JSONL corpus or set VI_NER_SHARED")
    typer.echo(report(benchmark(corpus, n=n, model=model, repeat=repeat)))


@app.command("bench-scale")
def bench_scale(
    corpus: Annotated[Path, typer.Argument(help="JSONL articles.")] = config.SHARED
    / "data"
    / "corpus"
    / "vietnews-5k.jsonl",
    sizes: Annotated[str, typer.Option(help="Comma-separated article counts from the top.")] = "500,5000",
    workers: Annotated[str, typer.Option(help="Comma-separated worker counts.")] = "1,2",
) -> None:
    """Peak memory as the corpus grows, speed-up with workers, and the time of a re-run."""
    from pipeline.bench import report_scale, scale

    if not corpus.is_file():
        _fail(f"{corpus} not found; give a JSONL corpus or set VI_NER_SHARED")
    try:
        size_list = tuple(int(x) for x in sizes.split(","))
        worker_list = tuple(int(x) for x in workers.split(","))
    except ValueError:
        _fail("--sizes and --workers take comma-separated whole numbers, e.g. 500,5000")
        return
    typer.echo(report_scale(scale(corpus, sizes=size_list, workers=worker_list)))


@app.command()
def evaluate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Gold corpora (VLSP 2016, VLSP 2018 or CoNLL folders/files). "
            "Default: the dev sets, VLSP 2016 held-out documents and VLSP 2018 dev, from VI_NER_SHARED."
        ),
    ] = None,
    format: Annotated[GoldFormat, typer.Option("--format", help="Corpus format.")] = GoldFormat.auto,
    split: Annotated[
        Split, typer.Option(help="VLSP 2016 only: all documents, or the train/dev split of `make train`.")
    ] = Split.all,
    ner: Annotated[NerBackend, typer.Option(help="NER backend to score.")] = NerBackend.model,
    model: Annotated[Path | None, typer.Option(help="Another trained NER model folder.")] = None,
    peer: Annotated[bool, typer.Option(help="Also score underthesea's ner() on the same documents.")] = False,
    limit: Annotated[
        int | None, typer.Option(min=1, help="Only the first N documents of each corpus.")
    ] = None,
    words: Annotated[
        bool,
        typer.Option(help="Also score word segmentation on UD Vietnamese VTB test, next to underthesea."),
    ] = False,
    output: Annotated[Path | None, typer.Option(help="Also write the scores here as JSON.")] = None,
    errors: Annotated[
        Path | None,
        typer.Option(
            help="Also write the pipeline's disagreements with the gold here as CSV: one row per "
            "missed, spurious, boundary or label error, with its context."
        ),
    ] = None,
) -> None:
    """Score the NER stage from raw text: precision, recall, F1 per label, and syllables/s."""
    import pandas as pd

    from pipeline.evaluate import (
        ERROR_COLUMNS,
        ERROR_KINDS,
        dev_sets,
        evaluate_corpora,
        read_gold,
        report,
        score_words,
        word_segmenters,
    )
    from pipeline.export import atomic_write
    from pipeline.vlsp import read_conllu_words

    try:
        if paths:
            corpora = {
                str(path): read_gold(path, format=format.value, split=split.value)[:limit] for path in paths
            }
        else:
            corpora = {name: docs[:limit] for name, docs in dev_sets(config.SHARED).items()}
        mismatches: list[dict] = []
        results = evaluate_corpora(
            corpora, ner=ner.value, model=model, peer=peer, errors=mismatches if errors else None
        )
        typer.echo(report(results))
        if errors:
            errors.parent.mkdir(parents=True, exist_ok=True)
            table = pd.DataFrame(mismatches, columns=list(ERROR_COLUMNS))
            atomic_write(errors, lambda tmp: table.to_csv(tmp, index=False))
            counts = table["kind"].value_counts()
            typer.echo(
                f"errors: {', '.join(f'{kind} {counts.get(kind, 0)}' for kind in ERROR_KINDS)} → {errors}"
            )
        if words:
            test = config.SHARED / "data" / "ud-vtb" / "vi_vtb-ud-test.conllu"
            if not test.is_file():
                raise InputError(f"{test}: not found; set VI_NER_SHARED")
            segmentation = score_words(word_segmenters(model), list(read_conllu_words(test))[:limit])
            results["words (UD-VTB test)"] = segmentation
            typer.echo(f"\nword segmentation, UD-VTB test ({test.name}):")
            for name, s in segmentation.items():
                typer.echo(
                    f"  {name:<28} P {s['p']:6.2f}  R {s['r']:6.2f}  F1 {s['f']:6.2f}"
                    f"  {s['syllables_per_s']:6d} syll/s"
                )
    except PipelineError as exc:
        _fail(str(exc))
        return
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        saved = json.dumps(results, indent=2, ensure_ascii=False) + "\n"
        try:
            atomic_write(output, lambda tmp: tmp.write_text(saved, encoding="utf-8"))
        except PipelineError as exc:
            _fail(str(exc))
            return
        typer.echo(f"scores → {output}")


@app.command("evaluate-dates")
def evaluate_dates(
    corpus: Annotated[Path, typer.Argument(help="Duckling's Vietnamese corpus (JSONL).")] = config.SHARED
    / "data"
    / "dates"
    / "duckling-vi-corpus.jsonl",
    show: Annotated[bool, typer.Option(help="List every phrase that does not agree.")] = True,
) -> None:
    """Run the dates engine on Duckling's Vietnamese phrases and sort the outcomes."""
    from pipeline.evaluate import duckling_agreement

    if not corpus.is_file():
        _fail(f"{corpus} not found; set VI_NER_SHARED")
    result = duckling_agreement(corpus)
    total = sum(result["counts"].values())
    typer.echo(
        f"Duckling VI corpus, {total} phrases: "
        + ", ".join(f"{k} {v}" for k, v in sorted(result["counts"].items(), key=lambda kv: -kv[1]))
    )
    if show:
        for case in result["cases"]:
            if case["outcome"] != "agree":
                found = ", ".join(case["found"]) or "-"
                typer.echo(
                    f"  {case['outcome']:<8} {case['text']!r}: Duckling {case['expected']}, ours {found}"
                )


@app.command()
def train(
    output: Annotated[Path, typer.Argument(help="Working folder: corpus, vectors, training runs.")] = Path(
        "build/ner"
    ),
    config_file: Annotated[Path, typer.Option("--config", help="spaCy training config.")] = Path(
        "configs/ner-tagger.cfg"
    ),
    extra: Annotated[
        list[Path] | None,
        typer.Option(help="One's own annotated corpus (CoNLL, VLSP) to add to the training set; repeatable."),
    ] = None,
    shared: Annotated[
        Path, typer.Option(help="The shared data folder (VLSP corpora, news).")
    ] = config.SHARED,
    vectors: Annotated[
        Path | None, typer.Option(help="Ready spaCy vectors folder; default: train them (needs floret).")
    ] = None,
    install: Annotated[
        Path | None, typer.Option(help="Copy the trained model here when done (e.g. models/ner-vi).")
    ] = None,
    checkpoint: Annotated[
        Checkpoint, typer.Option(help="Keep the `last` weights (averaged) or the `best` dev checkpoint.")
    ] = Checkpoint.last,
    corpus: Annotated[
        Path | None,
        typer.Option(help="DocBins written by an earlier run (OUTPUT/corpus): train on them, build nothing."),
    ] = None,
    settings: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="spaCy config override KEY=VALUE (JSON values), e.g. training.max_steps=12000; repeatable.",
        ),
    ] = None,
) -> None:
    """Train the model (word tagger + NER): VLSP and UD corpora → DocBins → syllable vectors → spaCy."""
    from pipeline.train import train_all

    overrides = {}
    for setting in settings or ():
        key, equals, value = setting.partition("=")
        if not equals or not key:
            _fail(f"--set {setting!r}: expected KEY=VALUE, e.g. training.max_steps=12000")
        overrides[key] = _config_value(value)
    try:
        trained = train_all(
            shared,
            output,
            config=config_file,
            vectors=vectors,
            install=install,
            extra=extra or (),
            corpus=corpus,
            overrides=overrides,
            checkpoint=checkpoint.value,
        )
    except PipelineError as exc:
        _fail(str(exc))
        return
    typer.echo(f"model → {trained}")


@app.command("bench-dates")
def bench_dates(
    cases: Annotated[Path, typer.Argument(help="The case table (JSON).")] = config.PROJECT_ROOT
    / "tests"
    / "data"
    / "date_cases.json",
) -> None:
    """Run the dates engine and dateparser on the case table: span P/R, value accuracy, traps, speed."""
    from pipeline.bench import bench_dates as run_bench
    from pipeline.bench import report_dates

    if not cases.is_file():
        _fail(f"{cases} not found")
    try:
        import dateparser  # noqa: F401
    except ImportError:
        _fail("dateparser is not installed: pip install dateparser (it is in the dev extra)")
    typer.echo(report_dates(run_bench(cases)))


@app.command()
def combine(
    output: Annotated[Path, typer.Argument(help="The folder a run wrote (its table parts).")],
    dest: Annotated[Path, typer.Argument(help="Where to write one file per table.")],
    format: Annotated[
        Format, typer.Option("--format", help="One CSV, one Parquet file or both per table.")
    ] = (Format.csv),
    table: Annotated[
        list[str] | None, typer.Option("--table", help="Only this table (repeatable); default: all.")
    ] = None,
) -> None:
    """Write each table of a run as one file (DEST/entities.csv …), for spreadsheets."""
    from pipeline.export import combine as combine_tables

    formats = ("parquet", "csv") if format is Format.both else (format.value,)
    try:
        written = combine_tables(output, dest, formats=formats, tables=table)
    except PipelineError as exc:
        _fail(str(exc))
        return
    for path in written:
        typer.echo(str(path))


@app.command()
def schema() -> None:
    """Print the data dictionary of the output tables (Markdown)."""
    from pipeline.schema import data_dictionary

    typer.echo(data_dictionary())


def _config_value(value: str) -> object:
    """A config override value as spaCy's CLI reads it: JSON when it parses, else a string."""
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def _logging(level: str) -> None:
    numeric = getattr(logging, level.upper(), None)
    if not isinstance(numeric, int):
        _fail(f"--log-level {level!r} is not a level; use DEBUG, INFO, WARNING or ERROR")
    logging.basicConfig(level=numeric, format="%(levelname)s %(name)s: %(message)s")


def main() -> None:
    """Console-script entry point."""
    app()


__all__ = ["app", "main"]
