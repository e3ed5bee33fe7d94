"""VLSP NER corpora → raw text with gold entity character spans."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import InputError

logger = logging.getLogger(__name__)

LABELS = ("PER", "LOC", "ORG")

_VLSP2018_LABELS = {
    "PERSON": "PER",
    "LOCATION": "LOC",
    "ORGANIZATION": "ORG",
    "MISCELLANEOUS": "MISC",
}

# `<title>`, and the release's typos `<titles>` and `</stitle` (no closing bracket).
_TITLE_TAG_RE = re.compile(r"</?s?titles?>?")
_EDITOR_RE = re.compile(r"^<editor>.*</editor>$")
_UNDERSCORES_RE = re.compile(r"_+")
_SPACES_RE = re.compile(r"\s+")
_ENAMEX_RE = re.compile(r'<ENAMEX\s+TYPE\s*=\s*"([A-Z]+)"\s*>|</ENAMEX\s*>')
# Tokens written without a space before them: closing punctuation, ellipses, percent.
_ATTACH_LEFT_RE = re.compile(r"[.,:;!?…%)\]}”’»]+")
_ATTACH_RIGHT = frozenset({"(", "[", "{", "“", "‘", "«"})
_STRAIGHT_QUOTES = frozenset({'"', "'", "''"})


@dataclass(frozen=True, slots=True)
class GoldDoc:
    """A document's text, its gold entities as `(start, end, label)` character spans and,
    where the corpus is word-segmented, its gold words as `(start, end)` spans."""

    doc_id: str
    text: str
    entities: tuple[tuple[int, int, str], ...]
    words: tuple[tuple[int, int], ...] = ()


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


class _TextBuilder:
    """Joins tokens into running text the way news is written, returning each token's span.

    Straight quotes are ambiguous: they alternate between opening and closing within a
    document, which is right whenever the document's quotes are balanced.
    """

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0
        self._glue_next = True  # nothing before the first token
        self._quote_open = False

    def newline(self) -> None:
        if self._parts:
            self._append("\n")
            self._glue_next = True
            self._quote_open = False

    def add(self, token: str) -> tuple[int, int]:
        if token in _STRAIGHT_QUOTES:
            closing = self._quote_open
            self._quote_open = not self._quote_open
            attach_left, attach_right = closing, not closing
        else:
            attach_left = _ATTACH_LEFT_RE.fullmatch(token) is not None
            attach_right = token in _ATTACH_RIGHT
        if not (self._glue_next or attach_left):
            self._append(" ")
        start = self._length
        self._append(token)
        self._glue_next = attach_right
        return start, self._length

    def text(self) -> str:
        return "".join(self._parts)

    def _append(self, piece: str) -> None:
        self._parts.append(piece)
        self._length += len(piece)


def _files(path: Path, pattern: str) -> list[tuple[str, Path]]:
    """`(doc_id, file)` pairs: a folder's matching files by relative path, or one file."""
    if path.is_file():
        return [(path.stem, path)]
    if not path.is_dir():
        raise InputError(f"{path}: no such file or folder; point to the corpus folder.")
    found = sorted(path.glob(pattern))
    return [(f.relative_to(path).with_suffix("").as_posix(), f) for f in found]


def _vlsp2016_word(column: str) -> str:
    """A word of the word-segmented release as written: `_` joins syllables."""
    return _nfc(_SPACES_RE.sub(" ", _UNDERSCORES_RE.sub(" ", column)).strip())


def bio_spans(tagged: list[tuple[int, int, str] | None]) -> Iterator[tuple[int, int, str]]:
    """Mentions from BIO-tagged words; an `I-` tag that continues nothing starts a mention."""
    current: tuple[int, int, str] | None = None
    for item in tagged:
        prefix, _, label = item[2].partition("-") if item else ("O", "", "")
        if item and prefix == "I" and current and current[2] == label:
            current = (current[0], item[1], label)
            continue
        if current:
            yield current
        current = (item[0], item[1], label) if item and prefix in ("B", "I") and label else None
    if current:
        yield current


def _parse_vlsp2016(doc_id: str, lines: list[str]) -> GoldDoc:
    try:
        docstart = next(i for i, line in enumerate(lines) if line.strip() == "-DOCSTART-")
    except StopIteration:
        raise InputError(f"{doc_id}: no -DOCSTART- line; is this a VLSP 2016 NER file?") from None
    header = [line for line in lines[:docstart] if not _EDITOR_RE.match(line.strip())]
    title = _TITLE_TAG_RE.sub(" ", " ".join(header))

    builder = _TextBuilder()
    for token in title.split():
        builder.add(_vlsp2016_word(token))
    builder.newline()

    # (start, end, BIO tag) per word; None marks a sentence boundary.
    tagged: list[tuple[int, int, str] | None] = []
    words: list[tuple[int, int]] = []
    for line in lines[docstart + 1 :]:
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith(("<s>", "</s>")):
            tagged.append(None)
            # Two lines of the release glue `<s>` to the sentence's first token line.
            line = stripped[3:] if stripped.startswith("<s>") else ""
            if not line.strip():
                continue
        columns = line.split("\t")
        word = _vlsp2016_word(columns[0])
        if word:
            start, end = builder.add(word)
            words.append((start, end))
            tagged.append((start, end, columns[3].strip() if len(columns) > 3 else "O"))
    entities = tuple(span for span in bio_spans(tagged) if span[2] in LABELS)
    return GoldDoc(doc_id, builder.text().rstrip(), entities, tuple(words))


def read_vlsp2016(path: Path) -> Iterator[GoldDoc]:
    """Reads the VLSP 2016 NER release (5 tab-separated columns, word-segmented).

    One file is one document. The text is rebuilt: the title on its own line, then the
    sentences joined by spaces, `_` inside words turned into spaces, punctuation attached
    as in running text. The title carries no annotation in the release.

    Args:
        path: The folder of `*.txt` files (or one file).

    Yields:
        One `GoldDoc` per file, in file name order; MISC mentions are dropped.
    """
    for doc_id, file in _files(path, "*.txt"):
        lines = file.read_text(encoding="utf-8-sig").splitlines()
        yield _parse_vlsp2016(doc_id, lines)


def _parse_vlsp2018(doc_id: str, raw: str) -> GoldDoc:
    raw = raw.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    parts: list[str] = []
    length = 0
    stack: list[tuple[str, int]] = []
    entities: list[tuple[int, int, str]] = []
    cursor = 0
    for match in _ENAMEX_RE.finditer(raw):
        # Each piece is normalised on its own so offsets are counted in the NFC text.
        piece = _nfc(raw[cursor : match.start()])
        parts.append(piece)
        length += len(piece)
        cursor = match.end()
        if match.group(1) is not None:
            stack.append((match.group(1), length))
            continue
        if not stack:
            logger.warning("%s: </ENAMEX> without an opening tag at %d; ignored", doc_id, cursor)
            continue
        kind, start = stack.pop()
        if stack:  # an inner mention: only the outermost one is scored
            continue
        label = _VLSP2018_LABELS.get(kind)
        if label is None:
            logger.warning("%s: unknown ENAMEX TYPE %r; mention dropped", doc_id, kind)
            continue
        if label in LABELS:
            entities.append((start, length, label))
    if stack:
        logger.warning("%s: %d <ENAMEX> tags never closed; dropped", doc_id, len(stack))
    parts.append(_nfc(raw[cursor:]))
    text = "".join(parts).rstrip()
    trimmed = []
    for start, end, label in entities:
        surface = text[start:end]
        start += len(surface) - len(surface.lstrip())
        end -= len(surface) - len(surface.rstrip())
        if start < end:
            trimmed.append((start, end, label))
    return GoldDoc(doc_id, text, tuple(trimmed))


def read_vlsp2018(path: Path) -> Iterator[GoldDoc]:
    """Reads the VLSP 2018 NER release (raw text with inline `<ENAMEX>` tags).

    Tags are stripped and only the outermost mention of a nest is kept. When the outermost
    mention is MISC it is dropped and the mentions inside it are not promoted: the outer
    mention is what VLSP scores, and a place inside a MISC name ("Giải Ngoại hạng Anh")
    is not a mention a reader of the text would mark.

    Args:
        path: `vlsp2018/train` or `vlsp2018/dev` (files under `<domain>/*.txt`), or one file.

    Yields:
        One `GoldDoc` per file, ordered by `<domain>/<name>`, which is also its `doc_id`.
    """
    for doc_id, file in _files(path, "*/*.txt"):
        yield _parse_vlsp2018(doc_id, file.read_text(encoding="utf-8-sig"))


_CONLL_SUFFIXES = frozenset((".conll", ".conllu", ".txt", ".bio", ".tsv", ".iob", ".iob2"))


def _conll_label(tag: str) -> str:
    prefix, _, label = tag.partition("-")
    if not label:
        return "O"
    label = _VLSP2018_LABELS.get(label, label)
    return f"{prefix}-{label}"


def _parse_conll(doc_id: str, lines: list[str]) -> GoldDoc:
    builder = _TextBuilder()
    tagged: list[tuple[int, int, str] | None] = []
    for line in lines:
        columns = line.split("\t") if "\t" in line else line.split()
        if not line.strip():
            if tagged and tagged[-1] is not None:
                tagged.append(None)
                builder.newline()
            continue
        if len(columns) < 2:
            raise InputError(f"{doc_id}: {line.strip()!r} is not a `token … tag` line")
        word = _vlsp2016_word(columns[0])
        if word:
            start, end = builder.add(word)
            tagged.append((start, end, _conll_label(columns[-1].strip())))
    entities = tuple(span for span in bio_spans(tagged) if span[2] in LABELS)
    return GoldDoc(doc_id, builder.text().rstrip(), entities)


def read_conll(path: Path) -> Iterator[GoldDoc]:
    """Reads CoNLL-style NER files: one `token … tag` line per token, the tag in the last column.

    Columns are separated by tabs (or spaces when a line has no tab); `_` inside a token
    joins syllables; a blank line ends a sentence (sentences become lines of the text);
    `-DOCSTART-` starts a new document, else a file is one document. Tags are BIO or IOB1,
    with `PER`/`PERSON`, `LOC`/`LOCATION`, `ORG`/`ORGANIZATION` labels; others are dropped.

    Args:
        path: A folder of `*.conll`, `*.txt`, `*.bio` or `*.tsv` files (or one file).

    Yields:
        One `GoldDoc` per document.
    """
    files = _files(path, "**/*")
    for doc_id, file in files:
        if (
            file.suffix not in (".conll", ".conllu", ".txt", ".bio", ".tsv", ".iob", ".iob2")
            and path.is_dir()
        ):
            continue
        lines = file.read_text(encoding="utf-8-sig").splitlines()
        part, current = 0, []
        for line in lines:
            if line.strip().startswith("-DOCSTART-"):
                if any(x.strip() for x in current):
                    yield _parse_conll(f"{doc_id}#{part}", current)
                    part += 1
                current = []
                continue
            current.append(line)
        if any(x.strip() for x in current):
            yield _parse_conll(f"{doc_id}#{part}" if part else doc_id, current)


def read_conllu_words(path: Path) -> Iterator[GoldDoc]:
    """Reads word segmentation from a CoNLL-U file (UD Vietnamese VTB): one sentence per doc.

    A word's FORM holds its syllables separated by spaces ("chủ tịch"); the text is rebuilt
    the way `read_vlsp2016` does. Multiword-token and empty-node lines are skipped.

    Args:
        path: A `.conllu` file.

    Yields:
        One `GoldDoc` per sentence (its `sent_id`), with `words` and no entities.
    """
    builder, words, sent_id = _TextBuilder(), [], ""
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        if line.startswith("# sent_id"):
            sent_id = line.partition("=")[2].strip()
        elif not line.strip():
            if words:
                yield GoldDoc(sent_id, builder.text().rstrip(), (), tuple(words))
            builder, words = _TextBuilder(), []
        elif not line.startswith("#"):
            columns = line.split("\t")
            if len(columns) > 1 and columns[0].isdigit():
                word = _vlsp2016_word(columns[1])
                if word:
                    words.append(builder.add(word))
    if words:
        yield GoldDoc(sent_id, builder.text().rstrip(), (), tuple(words))


def split_vlsp2016(docs: Iterable[GoldDoc]) -> tuple[list[GoldDoc], list[GoldDoc]]:
    """Holds out whole documents: every 8th document by `doc_id` goes to dev.

    Args:
        docs: The VLSP 2016 documents.

    Returns:
        `(train, dev)`, each sorted by `doc_id`.
    """
    ordered = sorted(docs, key=lambda doc: doc.doc_id)
    train = [doc for i, doc in enumerate(ordered) if i % 8 != 7]
    dev = [doc for i, doc in enumerate(ordered) if i % 8 == 7]
    return train, dev


def drop_title(doc: GoldDoc) -> GoldDoc:
    """The document without its first line, spans shifted to match.

    VLSP 2016 titles carry no annotation: train and score on the body only.
    """
    cut = doc.text.find("\n") + 1
    if cut == 0:
        return doc
    entities = tuple((s - cut, e - cut, label) for s, e, label in doc.entities if s >= cut)
    words = tuple((s - cut, e - cut) for s, e in doc.words if s >= cut)
    return GoldDoc(doc.doc_id, doc.text[cut:], entities, words)
