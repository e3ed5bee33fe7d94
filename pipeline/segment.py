"""Segment stage: text → sentences and Vietnamese words with character offsets (and a spaCy tokenizer)."""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import joblib
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import get_words_and_spaces, registry
from spacy.vocab import Vocab
from underthesea.pipeline.sent_tokenize import sent_tokenize
from underthesea.pipeline.text_normalize import token_normalize
from underthesea.pipeline.word_tokenize import regex_tokenize

from pipeline import resources

# underthesea's own syllable grammar (dates like 18/7, URLs, abbreviations kept whole), compiled
# here once and run on the text as given, so every match carries offsets into it.
_SYLLABLE_RE = re.compile(regex_tokenize.regex_patterns_combine, re.VERBOSE | re.UNICODE)
_LINE_RE = re.compile(r"[^\n]+")
_UPPER = "A-ZÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬĐÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
_WS_MODEL = Path(regex_tokenize.__file__).parent / "models" / "ws_crf_vlsp2013_20230727"


@dataclass(frozen=True, slots=True)
class Word:
    """A Vietnamese word: one or more syllables; `text` is the exact slice of the document."""

    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence with its words; offsets index into the text that was segmented."""

    start: int
    end: int
    text: str
    words: tuple[Word, ...]


# Abbreviations that stand before a name and keep their full stop ("TP. Hồ Chí Minh", "ThS. Lan").
_PREFIX_ABBREVIATIONS = frozenset(
    ("TP.", "Tp.", "Mr.", "Mrs.", "Ms.", "Dr.", "ThS.", "TS.", "PGS.", "GS.", "BS.", "KS.", "NXB.", "St.")
)
# After an abbreviation's full stop: the text ends, a line ends, or a new sentence starts.
_SENTENCE_AFTER_RE = re.compile(rf"\s*(?:$|\n|[\"“'‘(]?[{_UPPER}0-9])")


def syllables(text: str, *, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Finds syllables and punctuation tokens.

    underthesea's grammar glues a full stop to a capitalised abbreviation ("VN.", "TP.HCM.");
    where that stop ends the sentence it is cut off as its own token, so "… tại VN. Ông …"
    gives "VN" and ".". Initials ("A.") and prefixes ("TP. Hồ Chí Minh") keep theirs.

    Args:
        text: The text (NFC, as produced by the clean stage).
        start: Where to start looking.
        end: Where to stop looking (default: the end of the text).

    Returns:
        `(start, end)` offsets of each syllable, number, date-like token or punctuation mark.
    """
    end = len(text) if end is None else end
    spans = []
    for m in _SYLLABLE_RE.finditer(text, start, end):
        a, b = m.span()
        if (
            m.group("abbr")
            and b - a > 2
            and text[b - 1] == "."
            and m.group() not in _PREFIX_ABBREVIATIONS
            and _SENTENCE_AFTER_RE.match(text, b, end)
        ):
            spans += [(a, b - 1), (b - 1, b)]
        else:
            spans.append((a, b))
    return spans


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Splits text into sentences; a line break always ends a sentence.

    Args:
        text: The text to split.

    Returns:
        `(start, end)` offsets of each sentence, stripped of surrounding white space.
    """
    spans: list[tuple[int, int]] = []
    for line in _LINE_RE.finditer(text):
        line_text = line.group()
        cursor = 0
        for sentence in sent_tokenize(line_text):
            found = line_text.find(sentence, cursor)
            if found < 0:  # the splitter changed the text: keep the rest of the line whole
                break
            spans.append((line.start() + found, line.start() + found + len(sentence)))
            cursor = found + len(sentence)
        rest = line_text[cursor:]
        if rest.strip():
            lead = len(rest) - len(rest.lstrip())
            spans.append((line.start() + cursor + lead, line.start() + len(line_text.rstrip())))
    return spans


class WordSegmenter:
    """underthesea's CRF word segmenter, fed syllables with offsets so words align to the text.

    underthesea's `word_tokenize` rewrites what it returns ("Hoà" → "Hòa", spacing around
    punctuation); here the CRF sees the normalised syllables but words are cut from the text.
    """

    def __init__(self) -> None:
        from underthesea.models.fast_crf_sequence_tagger import FastCRFSequenceTagger

        tagger = FastCRFSequenceTagger()
        tagger.load(str(_WS_MODEL))
        self._featurizer = tagger.featurizer
        self._crf = tagger.estimator
        self._places = resources.place_names()

    def segment(self, text: str, sentence_spans: list[tuple[int, int]]) -> list[Sentence]:
        """Cuts each sentence span of `text` into words."""
        syllable_spans = [syllables(text, start=s, end=e) for s, e in sentence_spans]
        features = self._featurizer.process(
            [[[token_normalize(text[a:b])] for a, b in spans] for spans in syllable_spans]
        )
        sentences = []
        for (s, e), spans, feats in zip(sentence_spans, syllable_spans, features, strict=True):
            tags = self._crf.tag(feats) if spans else []
            words = self._words(text, spans, tags)
            sentences.append(Sentence(s, e, text[s:e], tuple(words)))
        return sentences

    def _words(self, text: str, spans: list[tuple[int, int]], tags: list[str]) -> list[Word]:
        groups: list[list[tuple[int, int]]] = []
        for span, tag in zip(spans, tags, strict=True):
            # Only a single space may sit inside a word: the tokens table shows words as
            # syllables separated by spaces, and a word never crosses other punctuation.
            if tag == "I-W" and groups and text[groups[-1][-1][1] : span[0]] == " ":
                groups[-1].append(span)
            else:
                groups.append([span])
        words = []
        for group in groups:
            for a, b in self._split_glued_names(text, group):
                words.append(Word(a, b, text[a:b]))
        return words

    def _split_glued_names(self, text: str, group: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Splits a word that glues a known place to a following name ("Triều Tiên Kim Jong")."""
        if len(group) < 3:
            return [(group[0][0], group[-1][1])]
        for cut in range(len(group) - 1, 0, -1):
            head = text[group[0][0] : group[cut - 1][1]]
            if head in self._places and text[group[cut][0]].isupper():
                rest = group[cut:]
                return [(group[0][0], group[cut - 1][1]), (rest[0][0], rest[-1][1])]
        return [(group[0][0], group[-1][1])]


@functools.cache
def word_dictionary() -> frozenset[str]:
    """The lowercase words of underthesea's segmentation dictionary ("quốc phòng", "bác sĩ")."""
    return frozenset(joblib.load(_WS_MODEL / "dictionary.bin"))


@functools.cache
def word_segmenter() -> WordSegmenter:
    """The word segmenter, loaded once per process."""
    return WordSegmenter()


def segment(text: str) -> list[Sentence]:
    """Splits text into sentences and Vietnamese words.

    Args:
        text: The document text.

    Returns:
        The sentences, each with its words; every offset slices back to the text.

    Example:
        >>> [w.text for w in segment("Hoà Bình là một tỉnh.")[0].words]
        ['Hoà Bình', 'là', 'một', 'tỉnh', '.']
    """
    return word_segmenter().segment(text, split_sentences(text))


def spans_to_doc(vocab: Vocab, text: str, spans: list[tuple[int, int]]) -> Doc:
    """A `Doc` with one token per `(start, end)` span of `text` (sorted, not overlapping).

    Where only nothing or a single space separates two spans, the tokens are built directly;
    any other gap (line breaks, several spaces) becomes spaCy's whitespace tokens.
    """
    if not spans:
        return Doc(vocab, words=[text] if text else [], spaces=[False] if text else [])
    gaps = [text[b:a] for (_, b), (a, _) in itertools.pairwise(spans)]
    if spans[0][0] == 0 and all(gap in ("", " ") for gap in gaps) and text[spans[-1][1] :] in ("", " "):
        words = [text[a:b] for a, b in spans]
        spaces = [gap == " " for gap in gaps] + [spans[-1][1] < len(text)]
        return Doc(vocab, words=words, spaces=spaces)
    words, spaces = get_words_and_spaces([text[a:b] for a, b in spans], text)
    return Doc(vocab, words=words, spaces=spaces)


def to_doc(vocab: Vocab, text: str, sentences: list[Sentence]) -> Doc:
    """Builds a spaCy `Doc` whose tokens are the words and whose sentences are the sentences."""
    doc = spans_to_doc(vocab, text, [(w.start, w.end) for s in sentences for w in s.words])
    starts = {s.words[0].start for s in sentences if s.words}
    for token in doc:
        token.is_sent_start = token.i == 0 or token.idx in starts
    return doc


class _StatelessTokenizer:
    """What spaCy asks of a tokenizer besides `__call__`; these hold no state to save."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab

    def __call__(self, text: str) -> Doc:
        raise NotImplementedError

    def pipe(self, texts: Iterable[str], batch_size: int = 1000) -> Iterator[Doc]:
        for text in texts:
            yield self(text)

    def to_bytes(self, **kwargs: object) -> bytes:
        return b""

    def from_bytes(self, data: bytes, **kwargs: object) -> _StatelessTokenizer:
        return self

    def to_disk(self, path: str | Path, **kwargs: object) -> None:
        Path(path).mkdir(parents=True, exist_ok=True)

    def from_disk(self, path: str | Path, **kwargs: object) -> _StatelessTokenizer:
        return self


class VietnameseTokenizer(_StatelessTokenizer):
    """A spaCy tokenizer: Vietnamese words as tokens, sentence boundaries already set."""

    def __call__(self, text: str) -> Doc:
        return to_doc(self.vocab, text, segment(text))


class SyllableTokenizer(_StatelessTokenizer):
    """A spaCy tokenizer with one token per syllable or punctuation mark.

    The NER model reads syllables, not words: a word segment that glues two names together
    ("Triều Tiên Kim Jong") cannot then hide an entity boundary.
    """

    def __call__(self, text: str) -> Doc:
        return spans_to_doc(self.vocab, text, syllables(text))


@registry.tokenizers("vi_news.word_tokenizer.v1")
def create_word_tokenizer() -> Callable[[Language], VietnameseTokenizer]:
    """spaCy config hook: `[nlp.tokenizer] @tokenizers = "vi_news.word_tokenizer.v1"`."""
    return lambda nlp: VietnameseTokenizer(nlp.vocab)


@registry.tokenizers("vi_news.syllable_tokenizer.v1")
def create_syllable_tokenizer() -> Callable[[Language], SyllableTokenizer]:
    """spaCy config hook: `[nlp.tokenizer] @tokenizers = "vi_news.syllable_tokenizer.v1"`."""
    return lambda nlp: SyllableTokenizer(nlp.vocab)
