"""Benchmark: the full run and underthesea's `ner()` on the same news articles, side by side."""

from __future__ import annotations

import itertools
import json
import multiprocessing
import resource
import tempfile
import time
import unicodedata
from dataclasses import asdict, dataclass
from pathlib import Path

from pipeline.inputs import read_inputs


@dataclass(frozen=True, slots=True)
class Measure:
    """One side of the benchmark, measured in a fresh process of its own."""

    name: str
    documents: int
    syllables: int
    seconds: float
    peak_mib: float

    @property
    def syllables_per_s(self) -> float:
        return self.syllables / self.seconds if self.seconds else 0.0

    @property
    def documents_per_s(self) -> float:
        return self.documents / self.seconds if self.seconds else 0.0


def _first_articles(corpus: Path, n: int) -> list[str]:
    with corpus.open(encoding="utf-8") as lines:
        return [line for line in itertools.islice(lines, n) if line.strip()]


def _syllable_count(texts: list[str]) -> int:
    from pipeline.segment import syllables

    return sum(len(syllables(t)) for t in texts)


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _measure_pipeline(lines: list[str]) -> dict:
    from pipeline.process import run

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "articles.jsonl"
        source.write_text("".join(lines), encoding="utf-8")
        texts = [str(item.fields.get("text", "")) for item in read_inputs(source)]
        started = time.perf_counter()
        summary = run(source, Path(tmp) / "out", progress=False)
        seconds = time.perf_counter() - started
    syllables = _syllable_count([unicodedata.normalize("NFC", t) for t in texts])
    return asdict(Measure("pipeline run", summary.ok, syllables, seconds, _peak_mib()))


def _measure_underthesea(lines: list[str]) -> dict:
    from underthesea import ner, sent_tokenize

    texts = [unicodedata.normalize("NFC", json.loads(line).get("text", "")) for line in lines]
    sentences = [s for t in texts for s in sent_tokenize(t)]
    ner("Khởi động.")  # load the models outside the timing, as the pipeline's run does not
    started = time.perf_counter()
    for sentence in sentences:
        ner(sentence)
    seconds = time.perf_counter() - started
    return asdict(Measure("underthesea ner()", len(texts), _syllable_count(texts), seconds, _peak_mib()))


def benchmark(corpus: Path, *, n: int = 200) -> list[Measure]:
    """Runs both sides on the first `n` articles of a JSONL corpus, each in its own process.

    Args:
        corpus: A JSONL file of articles (`id`, `title`, `text`).
        n: How many articles from the top.

    Returns:
        The pipeline's measure, then underthesea's.
    """
    lines = _first_articles(corpus, n)
    context = multiprocessing.get_context("spawn")
    results = []
    for side in (_measure_pipeline, _measure_underthesea):
        with context.Pool(1) as pool:
            results.append(Measure(**pool.apply(side, (lines,))))
    return results


def report(measures: list[Measure]) -> str:
    """A small table of the measures and the pipeline's speed as a multiple of the peer's."""
    rows = [
        f"{'':20} {'docs':>6} {'syllables':>10} {'seconds':>8} {'syll/s':>8} {'docs/s':>7} {'peak MiB':>9}"
    ]
    for m in measures:
        rows.append(
            f"{m.name:20} {m.documents:6d} {m.syllables:10d} {m.seconds:8.1f} "
            f"{m.syllables_per_s:8.0f} {m.documents_per_s:7.2f} {m.peak_mib:9.0f}"
        )
    ours, peer = measures[0], measures[1]
    if peer.syllables_per_s:
        rows.append(f"pipeline / underthesea syllables/s: {ours.syllables_per_s / peer.syllables_per_s:.1f}x")
    return "\n".join(rows)
