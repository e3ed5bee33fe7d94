"""Benchmark: the full run and underthesea's `ner()` on the same news articles, side by side."""

from __future__ import annotations

import itertools
import json
import multiprocessing
import resource
import subprocess
import sys
import tempfile
import time
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Measure:
    """One side of the benchmark, measured in a fresh process of its own."""

    name: str
    documents: int
    syllables: int
    seconds: float
    peak_mib: float
    stage_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def syllables_per_s(self) -> float:
        return self.syllables / self.seconds if self.seconds else 0.0

    @property
    def documents_per_s(self) -> float:
        return self.documents / self.seconds if self.seconds else 0.0


def _first_articles(corpus: Path, n: int) -> list[str]:
    with corpus.open(encoding="utf-8") as lines:
        return [line for line in itertools.islice(lines, n) if line.strip()]


def _texts(lines: list[str]) -> list[str]:
    return [unicodedata.normalize("NFC", json.loads(line).get("text", "")) for line in lines]


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _measure_pipeline(lines: list[str], model: str | None = None) -> dict:
    """The full `run` (model loading included) on the articles as a JSONL file."""
    from pipeline.process import run

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "articles.jsonl"
        source.write_text("".join(lines), encoding="utf-8")
        started = time.perf_counter()
        summary = run(source, Path(tmp) / "out", progress=False, model=model)
        seconds = time.perf_counter() - started
    return {
        "documents": summary.ok,
        "seconds": seconds,
        "peak_mib": _peak_mib(),
        "stage_seconds": dict(summary.stage_seconds),
    }


def _measure_underthesea(lines: list[str]) -> dict:
    """underthesea's `ner()` sentence by sentence (its models loaded before the clock starts)."""
    from underthesea import ner, sent_tokenize

    texts = _texts(lines)
    sentences = [s for t in texts for s in sent_tokenize(t)]
    ner("Khởi động.")
    started = time.perf_counter()
    for sentence in sentences:
        ner(sentence)
    seconds = time.perf_counter() - started
    return {"documents": len(texts), "seconds": seconds, "peak_mib": _peak_mib()}


def benchmark(corpus: Path, *, n: int = 200, model: Path | None = None, repeat: int = 1) -> list[Measure]:
    """Runs both sides on the first `n` articles of a JSONL corpus, each in its own process.

    Args:
        corpus: A JSONL file of articles (`id`, `title`, `text`).
        n: How many articles from the top.
        model: Another trained model folder for the pipeline (default: `models/ner-vi`).
        repeat: Rounds, the two sides taking turns: on a noisy machine the median ratio of
            several rounds says more than one.

    Returns:
        Per round, the pipeline's measure, then underthesea's; both count the syllables of the
        article bodies (the pipeline also reads the titles, a few percent more text).
    """
    from pipeline.segment import syllables

    lines = _first_articles(corpus, n)
    count = sum(len(syllables(text)) for text in _texts(lines))
    context = multiprocessing.get_context("spawn")
    results = []
    sides = (
        ("pipeline run", _measure_pipeline, (lines, str(model) if model else None)),
        ("underthesea ner()", _measure_underthesea, (lines,)),
    )
    for _ in range(repeat):
        for name, side, args in sides:
            with context.Pool(1) as pool:
                results.append(Measure(name=name, syllables=count, **pool.apply(side, args)))
    return results


def report(measures: list[Measure]) -> str:
    """A table of the measures, the pipeline's speed as a multiple of the peer's (when `benchmark`
    ran several rounds: the median ratio, the lower middle one for an even count, and every
    round's, smallest first), and the stage shares of the median round."""
    rows = [
        f"{'':20} {'docs':>6} {'syllables':>10} {'seconds':>8} {'syll/s':>8} {'docs/s':>7} {'peak MiB':>9}"
    ]
    for m in measures:
        rows.append(
            f"{m.name:20} {m.documents:6d} {m.syllables:10d} {m.seconds:8.1f} "
            f"{m.syllables_per_s:8.0f} {m.documents_per_s:7.2f} {m.peak_mib:9.0f}"
        )
    rounds = sorted(
        (
            (ours.syllables_per_s / peer.syllables_per_s, ours)
            for ours, peer in zip(measures[::2], measures[1::2], strict=True)
            if peer.syllables_per_s
        ),
        key=lambda pair: pair[0],  # by ratio alone: two equal ratios must not compare Measures
    )
    if not rounds:
        return "\n".join(rows)
    ratio, ours = rounds[(len(rounds) - 1) // 2]
    if len(rounds) == 1:
        rows.append(f"pipeline / underthesea syllables/s: {ratio:.1f}x")
    else:
        each = ", ".join(f"{r:.1f}x" for r, _ in rounds)
        rows.append(
            f"pipeline / underthesea syllables/s: median {ratio:.1f}x over {len(rounds)} rounds ({each})"
        )
    if ours.stage_seconds and ours.seconds:
        shares = [f"{stage} {100 * sec / ours.seconds:.0f}%" for stage, sec in ours.stage_seconds.items()]
        other = ours.seconds - sum(ours.stage_seconds.values())
        shares.append(f"other (reading, model loading) {100 * other / ours.seconds:.0f}%")
        rows.append("pipeline time by stage: " + ", ".join(shares))
    return "\n".join(rows)


# --- scale: memory as the corpus grows, speed-up with workers, the cost of a re-run -----------


@dataclass(frozen=True, slots=True)
class ScaleMeasure:
    """One full run (fresh process, fresh output) and an immediate re-run of it."""

    documents: int
    workers: int
    syllables: int
    seconds: float
    rerun_seconds: float  # `python -m pipeline run` again on the same folders, nothing changed
    peak_mib: float  # the run's own process
    worker_peak_mib: float  # the largest worker process (0 with one worker: it runs in-process)

    @property
    def syllables_per_s(self) -> float:
        return self.syllables / self.seconds if self.seconds else 0.0


def _measure_scale(source: str, workers: int) -> dict:
    from pipeline.process import run

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        run(Path(source), Path(tmp) / "out", workers=workers, progress=False)
        seconds = time.perf_counter() - started
        peak, children = _peak_mib(), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        # The re-run as a user types it: a new `python -m pipeline run`, imports included.
        command = [sys.executable, "-m", "pipeline", "run", source, str(Path(tmp) / "out")]
        command += ["--workers", str(workers)]
        started = time.perf_counter()
        again = subprocess.run(command, capture_output=True, text=True, check=True)
        rerun = time.perf_counter() - started
        assert again.stdout.startswith("nothing changed"), again.stdout
    return {"seconds": seconds, "rerun_seconds": rerun, "peak_mib": peak, "worker_peak_mib": children}


def scale(
    corpus: Path, *, sizes: tuple[int, ...] = (500, 5000), workers: tuple[int, ...] = (1, 2)
) -> list[ScaleMeasure]:
    """Runs the pipeline on the first `size` articles for each size and worker count.

    Each run is a fresh process on a fresh output folder, followed by a re-run of the same
    command (nothing changed: the manifest should skip everything).
    """
    from pipeline.segment import syllables

    results = []
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            lines = _first_articles(corpus, size)
            source = Path(tmp) / f"first-{size}.jsonl"
            source.write_text("".join(lines), encoding="utf-8")
            count = sum(len(syllables(text)) for text in _texts(lines))
            for n in workers:
                # Not a multiprocessing.Pool: its processes are daemons, which may not start workers.
                with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
                    measured = pool.submit(_measure_scale, str(source), n).result()
                results.append(ScaleMeasure(documents=len(lines), workers=n, syllables=count, **measured))
    return results


def report_scale(measures: list[ScaleMeasure]) -> str:
    """The scale table, then peak memory as the corpus grows and the speed-up with workers."""
    header = ("docs", 6), ("workers", 7), ("seconds", 8), ("syll/s", 8), ("re-run s", 9), ("peak MiB", 9)
    rows = [" ".join(f"{name:>{width}}" for name, width in header) + f" {'worker MiB':>11}"]
    for m in measures:
        rows.append(
            f"{m.documents:6d} {m.workers:7d} {m.seconds:8.1f} {m.syllables_per_s:8.0f} "
            f"{m.rerun_seconds:9.2f} {m.peak_mib:9.0f} {m.worker_peak_mib:11.0f}"
        )
    single = [m for m in measures if m.workers == 1]
    if len(single) > 1:
        rows.append(
            f"peak memory, {single[-1].documents} vs {single[0].documents} documents (one worker): "
            f"{single[-1].peak_mib / single[0].peak_mib:.2f}x"
        )
    for m in measures:
        base = next((b for b in single if b.documents == m.documents), None)
        if m.workers > 1 and base:
            speedup = m.syllables_per_s / base.syllables_per_s
            rows.append(f"{m.workers} workers vs 1 on {m.documents} documents: {speedup:.2f}x")
    return "\n".join(rows)


# --- dates: the engine and dateparser on the team's case table --------------------------------

_GRAIN_FORMATS = {"year": "%Y", "month": "%Y-%m", "day": "%Y-%m-%d", "hour": "%Y-%m-%dT%H:00"}


def bench_dates(cases_path: Path, *, repeat: int = 3) -> dict[str, dict]:
    """Runs `find_dates` and dateparser's `search_dates(languages=["vi"])` on every case.

    Args:
        cases_path: The case table (`tests/data/date_cases.json`): sentence, anchor, expected
            `(span, type, value, grain)` list, `trap` for sentences that hold no date.
        repeat: Passes over the table for the timing.

    Returns:
        Per system: span precision/recall (exact spans), value accuracy over the expected
        mentions (dateparser's datetime written at the expected grain), false positives on
        the traps, sentences/s.
    """
    from datetime import datetime

    from dateparser.search import search_dates

    from pipeline.dates import find_dates

    cases = json.loads(cases_path.read_text(encoding="utf-8"))

    def ours(text: str, anchor: datetime | None) -> list[tuple[str, str]]:
        return [(m.text, m.value) for m in find_dates(text, anchor=anchor)]

    def dateparser_(text: str, anchor: datetime | None) -> list[tuple[str, datetime]]:
        settings = {"RELATIVE_BASE": anchor} if anchor else {}
        return search_dates(text, languages=["vi"], settings=settings) or []

    results = {}
    for name, system in (("dates engine", ours), ("dateparser 1.x", dateparser_)):
        gold = pred = span_tp = value_tp = trap_fp = 0
        started = time.perf_counter()
        for _ in range(repeat):
            outputs = [
                system(c["text"], datetime.fromisoformat(c["anchor"]) if c["anchor"] else None) for c in cases
            ]
        seconds = (time.perf_counter() - started) / repeat
        for case, found in zip(cases, outputs, strict=True):
            if case.get("trap"):
                trap_fp += len(found)
                continue
            gold += len(case["expected"])
            pred += len(found)
            by_span = dict(found)
            for span, _type, value, grain in case["expected"]:
                if span not in by_span:
                    continue
                span_tp += 1
                got = by_span[span]
                if isinstance(got, datetime):
                    got = got.strftime(_GRAIN_FORMATS[grain]) if grain in _GRAIN_FORMATS else got.isoformat()
                value_tp += got == value
        results[name] = {
            "span_p": round(100 * span_tp / pred, 1) if pred else 0.0,
            "span_r": round(100 * span_tp / gold, 1) if gold else 0.0,
            "value_accuracy": round(100 * value_tp / gold, 1) if gold else 0.0,
            "trap_false_positives": trap_fp,
            "sentences_per_s": round(len(cases) / seconds) if seconds else 0,
            "sentences": len(cases),
        }
    return results


def report_dates(results: dict[str, dict]) -> str:
    """A table of `bench_dates` results and the engine's speed as a multiple of dateparser's."""
    rows = [f"{'':16} {'span P':>7} {'span R':>7} {'value acc':>10} {'trap FP':>8} {'sent/s':>8}"]
    for name, r in results.items():
        rows.append(
            f"{name:16} {r['span_p']:7.1f} {r['span_r']:7.1f} {r['value_accuracy']:10.1f}"
            f" {r['trap_false_positives']:8d} {r['sentences_per_s']:8d}"
        )
    ours, peer = (results[k]["sentences_per_s"] for k in ("dates engine", "dateparser 1.x"))
    if peer:
        count = next(iter(results.values()))["sentences"]
        rows.append(f"engine / dateparser sentences/s: {ours / peer:.1f}x  ({count} sentences)")
    return "\n".join(rows)
