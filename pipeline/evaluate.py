"""NER evaluation: gold corpora scored from raw text through the product's own path.

The pipeline sees only each document's text; its entities are compared with the gold
character spans (exact start, end and label) for PER, LOC and ORG. underthesea's `ner()`
can be scored on the same documents in the same run, as the peer to beat.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from spacy.language import Language

from pipeline.errors import InputError
from pipeline.vlsp import (
    LABELS,
    GoldDoc,
    bio_spans,
    drop_title,
    read_conll,
    read_vlsp2016,
    read_vlsp2018,
    split_vlsp2016,
)

FORMATS = ("auto", "vlsp2016", "vlsp2018", "conll")
SPLITS = ("all", "train", "dev")
# A system under test: document text → (start, end, label) mentions; `syllables` counts its work.
Tagger = Callable[[str], Iterable[tuple[int, int, str]]]


def detect_format(path: Path) -> str:
    """Guesses a gold corpus's format from its files.

    VLSP 2018 files hold inline `<ENAMEX>` tags; VLSP 2016 files have a `-DOCSTART-` line and
    5 tab-separated columns; anything else with tab- or space-separated `token … tag` lines
    is read as CoNLL.

    Raises:
        InputError: `path` does not exist or holds no text files.
    """
    if path.is_file():
        files = [path]
    elif path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))[:5]
    else:
        raise InputError(f"{path}: no such file or folder")
    if not files:
        raise InputError(f"{path}: no files to evaluate on")
    head = "\n".join(f.read_text(encoding="utf-8-sig", errors="replace")[:5000] for f in files)
    if "<ENAMEX" in head:
        return "vlsp2018"
    if "-DOCSTART-" in head and any(line.count("\t") >= 4 for line in head.splitlines()):
        return "vlsp2016"
    return "conll"


def read_gold(path: Path, *, format: str = "auto", split: str = "all") -> list[GoldDoc]:
    """Reads a gold NER corpus.

    Args:
        path: A corpus folder or file.
        format: One of `FORMATS`; `auto` looks at the files.
        split: For VLSP 2016, `dev` keeps the held-out documents (every 8th by id, see
            `pipeline.vlsp.split_vlsp2016`), `train` the others; VLSP 2016 titles are
            dropped (unannotated). Other formats only accept `all`.

    Raises:
        InputError: Unknown format or split, or a file that does not parse.
    """
    if format not in FORMATS:
        raise InputError(f"unknown format {format!r}; choose from {', '.join(FORMATS)}")
    if split not in SPLITS:
        raise InputError(f"unknown split {split!r}; choose from {', '.join(SPLITS)}")
    format = detect_format(path) if format == "auto" else format
    if format == "vlsp2016":
        docs = [drop_title(doc) for doc in read_vlsp2016(path)]
        if split != "all":
            train, dev = split_vlsp2016(docs)
            docs = dev if split == "dev" else train
        return docs
    if split != "all":
        raise InputError(f"--split {split} applies to VLSP 2016 only; {path} is {format}")
    return list(read_vlsp2018(path) if format == "vlsp2018" else read_conll(path))


def pipeline_tagger(nlp: Language) -> Tagger:
    """The product's path: segmentation, dates, NER model and rules on the raw text."""
    from pipeline.process import annotate_text

    def tag(text: str) -> list[tuple[int, int, str]]:
        return [(e.start_char, e.end_char, e.label_) for e in annotate_text(nlp, text).ents]

    return tag


def underthesea_tagger() -> Tagger:
    """underthesea's `ner()`, sentence by sentence, its words mapped back onto the text.

    underthesea rewrites spellings ("hoà" → "hòa"); words are found in a copy of the text
    normalised syllable by syllable the same way, which keeps every offset.
    """
    from underthesea import ner

    from pipeline.segment import split_sentences

    def tag(text: str) -> list[tuple[int, int, str]]:
        plain = _underthesea_spelling(text)
        tagged: list[tuple[int, int, str] | None] = []
        for start, end in split_sentences(text):
            sentence = ner(text[start:end])
            spans = _locate(plain, [word for word, *_ in sentence], start, end)
            tagged += [(a, b, tags[-1]) for (a, b), (_, *tags) in zip(spans, sentence, strict=True) if a >= 0]
            tagged.append(None)
        return [span for span in bio_spans(tagged) if span[2] in LABELS]

    return tag


def _underthesea_spelling(text: str) -> str:
    """`text` with each syllable spelt as underthesea returns it ("hoà" → "hòa"), same offsets."""
    from underthesea.pipeline.text_normalize import token_normalize

    from pipeline.segment import syllables

    chars = list(text)
    for a, b in syllables(text):
        token = token_normalize(text[a:b])
        if len(token) == b - a:
            chars[a:b] = token
    return "".join(chars)


def _locate(plain: str, words: list[str], start: int, end: int) -> list[tuple[int, int]]:
    """Finds underthesea's words, in order, in `plain[start:end]` (the text in its spelling);
    a word it rewrote beyond recognition gets `(-1, -1)`."""
    spans, cursor = [], start
    for word in words:
        found = plain.find(unicodedata.normalize("NFC", word), cursor, end)
        if found < 0:
            spans.append((-1, -1))
            continue
        cursor = found + len(word)
        spans.append((found, cursor))
    return spans


def score_words(
    segmenters: dict[str, Callable[[str], Iterable[tuple[int, int]]]], docs: list[GoldDoc]
) -> dict:
    """Word segmentation precision, recall and F1 (exact word spans) and syllables/s.

    Args:
        segmenters: `{name: text → word (start, end) spans}`.
        docs: Gold documents with `words`.

    Returns:
        `{name: {"p", "r", "f", "tp", "gold", "pred", "syllables_per_s"}}`.
    """
    from pipeline.segment import syllables

    count = sum(len(syllables(doc.text)) for doc in docs)
    results = {}
    for name, segment in segmenters.items():
        tp = gold = pred = 0
        started = time.perf_counter()
        found = [set(segment(doc.text)) for doc in docs]
        seconds = time.perf_counter() - started
        for doc, words in zip(docs, found, strict=True):
            truth = set(doc.words)
            tp, gold, pred = tp + len(truth & words), gold + len(truth), pred + len(words)
        results[name] = {**_prf(tp, gold, pred), "syllables_per_s": round(count / seconds) if seconds else 0}
    return results


def word_segmenters(model: str | Path | None = None) -> dict[str, Callable[[str], list[tuple[int, int]]]]:
    """The segmenters to compare: the model's word tagger (when it has one), the CRF path,
    and underthesea's own `word_tokenize` (its words found back in the text)."""
    from underthesea import word_tokenize

    from pipeline.inference import DEFAULT_MODEL, load_model
    from pipeline.segment import split_sentences, word_segmenter

    def ours(kind: str) -> Callable[[str], list[tuple[int, int]]]:
        segmenter = word_segmenter(kind, model or DEFAULT_MODEL)
        return lambda text: [
            (w.start, w.end) for s in segmenter.segment(text, split_sentences(text)) for w in s.words
        ]

    def peer(text: str) -> list[tuple[int, int]]:
        spans = _locate(_underthesea_spelling(text), word_tokenize(text), 0, len(text))
        return [span for span in spans if span[0] >= 0]

    systems = {}
    if "tagger" in load_model(model or DEFAULT_MODEL).pipe_names:
        systems["pipeline (model)"] = ours("model")
    systems["pipeline (crf)"] = ours("crf")
    systems["underthesea word_tokenize()"] = peer
    for segment in systems.values():
        segment("Khởi động ở Hà Nội.")  # load the models outside the timing
    return systems


def score(tagger: Tagger, docs: Iterable[GoldDoc], *, errors: list[dict] | None = None) -> dict:
    """Precision, recall and F1 (percent) per label and micro-averaged, plus speed.

    Args:
        tagger: The system under test.
        docs: Gold documents.
        errors: If given, each disagreement is appended to it as a row (see `mismatches`).

    Returns:
        `{"micro": {...}, "PER": {...}, "LOC": {...}, "ORG": {...}, "documents", "syllables",
        "seconds", "syllables_per_s"}`, each label with `p`, `r`, `f`, `tp`, `gold`, `pred`.
    """
    from pipeline.segment import syllables

    gold = dict.fromkeys(LABELS, 0)
    pred = dict.fromkeys(LABELS, 0)
    tp = dict.fromkeys(LABELS, 0)
    documents = count = 0
    seconds = 0.0
    for doc in docs:
        documents += 1
        count += len(syllables(doc.text))
        started = time.perf_counter()
        found = {m for m in tagger(doc.text) if m[2] in LABELS}
        seconds += time.perf_counter() - started
        truth = {m for m in doc.entities if m[2] in LABELS}
        if errors is not None:
            errors.extend(mismatches(doc, truth, found))
        for label in LABELS:
            gold[label] += sum(1 for m in truth if m[2] == label)
            pred[label] += sum(1 for m in found if m[2] == label)
            tp[label] += sum(1 for m in truth & found if m[2] == label)
    scores: dict = {label: _prf(tp[label], gold[label], pred[label]) for label in LABELS}
    scores["micro"] = _prf(sum(tp.values()), sum(gold.values()), sum(pred.values()))
    scores.update(
        documents=documents,
        syllables=count,
        seconds=round(seconds, 2),
        syllables_per_s=round(count / seconds) if seconds else 0,
    )
    return scores


ERROR_KINDS = ("missed", "spurious", "boundary", "label")
# The columns of `pipeline evaluate --errors`: `corpus`, then a row of `mismatches`.
ERROR_COLUMNS = ("corpus", "document", "kind", "start", "end", "text", "label", "found", "context")


def mismatches(
    doc: GoldDoc,
    truth: set[tuple[int, int, str]],
    found: set[tuple[int, int, str]],
    *,
    context: int = 40,
) -> list[dict]:
    """Where a system and the gold disagree on a document, one row per disagreement.

    Each gold mention that was not found exactly is `label` (same span, another label),
    `boundary` (overlapped by found mentions of other extents) or `missed` (nothing found
    there); each found mention that overlaps no gold one is `spurious`.

    Returns:
        Rows of `document`, `kind`, `start`, `end`, `text`, `label` (the gold mention's, or the
        spurious one's), `found` (overlapping found mentions as "text/LABEL", "; "-joined) and
        `context` (up to `context` characters either side, in whole words, on one line), in text order.
    """
    text = doc.text

    def row(kind: str, start: int, end: int, label: str, overlapping: list) -> dict:
        return {
            "document": doc.doc_id,
            "kind": kind,
            "start": start,
            "end": end,
            "text": text[start:end],
            "label": label,
            "found": "; ".join(f"{text[a:b]}/{tag}" for a, b, tag in sorted(overlapping)),
            "context": _around(text, start, end, context),
        }

    rows = []
    for start, end, label in truth - found:
        overlapping = [f for f in found if f[0] < end and start < f[1]]
        if any((a, b) == (start, end) for a, b, _ in overlapping):
            kind = "label"
        else:
            kind = "boundary" if overlapping else "missed"
        rows.append(row(kind, start, end, label, overlapping))
    for start, end, label in found - truth:
        if not any(a < end and start < b for a, b, _ in truth):
            rows.append(row("spurious", start, end, label, []))
    return sorted(rows, key=lambda r: (r["start"], r["end"], r["kind"]))


def _around(text: str, start: int, end: int, width: int) -> str:
    """`text[start:end]` with up to `width` characters either side, in whole words, on one line."""
    left, right = max(0, start - width), min(len(text), end + width)
    while 0 < left < start and not text[left - 1].isspace():
        left += 1
    while end < right < len(text) and not text[right].isspace():
        right -= 1
    return " ".join(text[left:right].split())


def dev_sets(shared: Path) -> dict[str, list[GoldDoc]]:
    """The two development sets: VLSP 2016's held-out training documents and VLSP 2018 dev.

    Raises:
        InputError: The shared folder has no VLSP corpora.
    """
    data = shared / "data"
    if not (data / "vlsp2016" / "train").is_dir() or not (data / "vlsp2018" / "dev").is_dir():
        raise InputError(f"{data}: no vlsp2016/train and vlsp2018/dev here; set VI_NER_SHARED")
    return {
        "vlsp2016-dev": read_gold(data / "vlsp2016" / "train", format="vlsp2016", split="dev"),
        "vlsp2018-dev": read_gold(data / "vlsp2018" / "dev", format="vlsp2018"),
    }


def evaluate_corpora(
    corpora: dict[str, list[GoldDoc]],
    *,
    ner: str = "model",
    model: str | Path | None = None,
    peer: bool = False,
    errors: list[dict] | None = None,
) -> dict[str, dict[str, dict]]:
    """Scores the product's path (and underthesea's `ner()` with `peer`) on each corpus.

    Args:
        errors: If given, the product's disagreements with the gold are appended to it, as rows
            of `mismatches` with a `corpus` column first.

    Returns:
        `{corpus: {"pipeline": scores, "underthesea": scores}}`, scores as from `score()`.
    """
    from pipeline.process import build_nlp

    nlp = build_nlp(stages=("segment", "ner", "dates"), ner=ner, model=model)
    pipeline_tag = pipeline_tagger(nlp)
    pipeline_tag("Khởi động ở Hà Nội.")  # load everything outside the timing
    systems: dict[str, Tagger] = {f"pipeline ({ner})": pipeline_tag}
    if peer:
        systems["underthesea ner()"] = underthesea_tagger()
        systems["underthesea ner()"]("Khởi động ở Hà Nội.")
    results: dict[str, dict[str, dict]] = {}
    for name, docs in corpora.items():
        results[name] = {}
        for system, tag in systems.items():
            rows: list[dict] | None = [] if errors is not None and tag is pipeline_tag else None
            results[name][system] = score(tag, docs, errors=rows)
            if rows is not None:
                errors.extend({"corpus": name, **r} for r in rows)
    return results


def _prf(tp: int, gold: int, pred: int) -> dict[str, float | int]:
    p = tp / pred if pred else 0.0
    r = tp / gold if gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {
        "p": round(100 * p, 2),
        "r": round(100 * r, 2),
        "f": round(100 * f, 2),
        "tp": tp,
        "gold": gold,
        "pred": pred,
    }


def report(results: dict[str, dict[str, dict]]) -> str:
    """A table: one row per (corpus, system) with micro and per-label F1 and syllables/s.

    Args:
        results: `{corpus name: {system name: scores from score()}}`.
    """
    header = f"{'corpus':<14} {'system':<18} {'P':>6} {'R':>6} {'F1':>6}" + "".join(
        f" {label + ' F1':>7}" for label in LABELS
    )
    rows = [header + f" {'syll/s':>8}"]
    for corpus, systems in results.items():
        for system, s in systems.items():
            micro = s["micro"]
            rows.append(
                f"{corpus:<14} {system:<18} {micro['p']:6.2f} {micro['r']:6.2f} {micro['f']:6.2f}"
                + "".join(f" {s[label]['f']:7.2f}" for label in LABELS)
                + f" {s['syllables_per_s']:8d}"
            )
        names = list(systems)
        for name in names[1:]:  # the first system against each of the others
            ours, peer = systems[names[0]], systems[name]
            gain = ours["micro"]["f"] - peer["micro"]["f"]
            speed = ours["syllables_per_s"] / peer["syllables_per_s"] if peer["syllables_per_s"] else 0.0
            rows.append(f"{corpus:<14} {names[0]} vs {name}: F1 {gain:+.2f}, speed {speed:.1f}x")
    return "\n".join(rows)


# --- dates against Duckling's Vietnamese corpus -------------------------------------------------

_ISO_LENGTH = {"year": 4, "month": 7, "day": 10, "hour": 13, "minute": 16, "second": 19}


def _duckling_value(value: str, grain: str) -> str:
    """Duckling's value ("2017-02-06T00:00:00", grain day) in our TIMEX form ("2017-02-06")."""
    when = datetime.fromisoformat(value)
    if grain == "week":
        year, week, _ = when.isocalendar()
        return f"{year:04d}-W{week:02d}"
    if grain == "quarter":
        return f"{when.year:04d}-Q{(when.month - 1) // 3 + 1}"
    text = when.strftime("%Y-%m-%dT%H:%M")
    if grain == "hour":
        return text[:13] + ":00"
    return text[: _ISO_LENGTH.get(grain, 16)]


def duckling_agreement(path: Path) -> dict:
    """Runs the dates engine on Duckling's Vietnamese corpus and sorts every phrase.

    Each phrase is searched alone with its reference time as the anchor. Outcomes: `agree`
    (one mention covering the phrase with Duckling's value, or no mention for its negative
    example), `policy` (same day or month, other year/week: Duckling resolves to the future
    by default, the engine to the past for news), `differ` (another value, or an interval
    where the engine gives one value), `partial` (the mention covers only part of the phrase),
    `missed`.

    Returns:
        `{"counts": {outcome: n}, "cases": [{"text", "expected", "found", "outcome"}, ...]}`.
    """
    import json

    from pipeline.dates import find_dates

    counts: dict[str, int] = {}
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        anchor = datetime.fromisoformat(row["reference"]).replace(tzinfo=None)
        found = find_dates(row["text"], anchor=anchor)
        if row.get("negative"):
            expected, outcome = None, "agree" if not found else "differ"
        else:
            if "value" in row:
                expected = _duckling_value(row["value"], row["grain"])
            else:
                start, end = (_duckling_value(row[k], row["grain"]) for k in ("start", "end"))
                expected = f"{start}/{end}"
            outcome = _outcome(row["text"], found, expected)
        counts[outcome] = counts.get(outcome, 0) + 1
        cases.append(
            {"text": row["text"], "expected": expected, "found": [m.value for m in found], "outcome": outcome}
        )
    return {"counts": counts, "cases": cases}


def _outcome(text: str, found: list, expected: str) -> str:
    if not found:
        return "missed"
    if len(found) > 1 or found[0].start > 0 or found[0].end < len(text.rstrip()):
        return "partial"
    value = found[0].value
    if value == expected:
        return "agree"
    if "/" not in expected and len(value) == len(expected) and value[4:] == expected[4:]:
        return "policy"  # same month-day (or week, quarter), another year: past vs future
    if value[:4] == expected[:4] and len(value) == len(expected) == 10:
        return "policy" if value[5:7] != expected[5:7] or value[8:] != expected[8:] else "differ"
    return "differ"
