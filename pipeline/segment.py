"""Segment stage: text → sentences and Vietnamese words with character offsets (and a spaCy tokenizer)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np
from spacy.attrs import IDX, IS_SPACE, LENGTH
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import registry
from spacy.vocab import Vocab
from underthesea.pipeline.sent_tokenize import sent_tokenize
from underthesea.pipeline.text_normalize import token_normalize
from underthesea.pipeline.word_tokenize import regex_tokenize

from pipeline import resources
from pipeline.errors import InputError
from pipeline.inference import DEFAULT_MODEL, load_model, one_blas_thread

# underthesea's own syllable grammar (dates like 18/7, URLs, abbreviations kept whole), compiled
# here once and run on the text as given, so every match carries offsets into it.
_SYLLABLE_RE = re.compile(regex_tokenize.regex_patterns_combine, re.VERBOSE | re.UNICODE)
_LINE_RE = re.compile(r"[^\n]+")
# The capital letters of Vietnamese, as the inside of a regex character class.
UPPERCASE_LETTERS = "A-ZÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬĐÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
_WS_MODEL = Path(regex_tokenize.__file__).parent / "models" / "ws_crf_vlsp2013_20230727"
SEGMENTERS = ("model", "crf")

# The model segmenter's tagged syllable Docs, one per sentence: `(sentence start, Doc)`.
if not Doc.has_extension("syllable_docs"):
    Doc.set_extension("syllable_docs", default=None)


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
_SENTENCE_AFTER_RE = re.compile(rf"\s*(?:$|\n|[\"“'‘(]?[{UPPERCASE_LETTERS}0-9])")


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
    spans: list[tuple[int, int]] = []
    resume = start  # where the grammar's scan goes on, as `finditer` would
    for chunk in _CHUNK_RE.finditer(text, start, end):
        a, b = chunk.span()
        if b <= resume:  # taken whole by a match that crossed a space ("Th S…")
            continue
        if a >= resume and (tokens := _plain_chunk(chunk.group())) is not None:
            if len(tokens) == 1:
                spans.append((a, b))
            else:
                spans += [(a + x, a + y) for x, y in tokens]
            resume = b
            continue
        while resume < b and (m := _SYLLABLE_RE.search(text, resume, end)) and m.start() < b:
            x, y = m.span()
            if (
                m.group("abbr")
                and y - x > 2
                and text[y - 1] == "."
                and m.group() not in _PREFIX_ABBREVIATIONS
                and _SENTENCE_AFTER_RE.match(text, y, end)
            ):
                spans += [(x, y - 1), (y - 1, y)]
            else:
                spans.append((x, y))
            resume = y
    return spans


_CHUNK_RE = re.compile(r"\S+")
# Letters, with an opening or closing mark: no alternative of the grammar looks past such a chunk
# (the ones that do need a dot, "@", "-", "/" or a digit), except "Th.S", whose dot may be the
# space after letters ending in "Th".
_PLAIN_CHUNK_RE = re.compile(r"[(“\"‘']?[^\W\d_]+(?<!Th)[,;:!?)”\"’']?")


@functools.lru_cache(maxsize=100_000)
def _plain_chunk(chunk: str) -> tuple[tuple[int, int], ...] | None:
    """The grammar's tokens in a chunk of text between spaces, when they are the same wherever
    the chunk stands: the chunk scanned alone; otherwise None."""
    if _PLAIN_CHUNK_RE.fullmatch(chunk) is None:
        return None
    return tuple(m.span() for m in _SYLLABLE_RE.finditer(chunk))


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
        spaces = _space_mask(text)
        sentences = []
        for (s, e), spans, feats in zip(sentence_spans, syllable_spans, features, strict=True):
            tags = self._crf.tag(feats) if spans else []
            bounds = np.array(spans, dtype=np.int64).reshape(-1, 2)
            continues = np.array([tag == "I-W" for tag in tags], dtype=bool)
            words = _words(text, spaces, bounds[:, 0], bounds[:, 1], continues, self._places)
            sentences.append(Sentence(s, e, text[s:e], tuple(words)))
        return sentences


class ModelSegmenter:
    """Word segmentation by the trained model's `tagger`: each syllable is tagged `B` (starts a
    word) or `I` (continues one), by the same network that then finds the entities.

    The syllable Docs it ran the network on (with their `tok2vec` output in `doc.tensor`) are
    handed on in `Doc._.syllable_docs`, so the NER stage only runs the model's last layer. With
    `entities`, that layer runs here too: the syllable Docs carry the mentions, and no word
    crosses a mention's edge (the NER stage then never has to cut a word in two). The word tags
    are read off the tagger's predictions and not set on the syllable Docs: spaCy sets a tag
    with a string lookup per syllable.
    """

    def __init__(
        self, model: str | Path = DEFAULT_MODEL, batch_size: int = 64, *, entities: bool = False
    ) -> None:
        self.model_path = Path(model)
        self._nlp = load_model(self.model_path)
        if "tagger" not in self._nlp.pipe_names:
            raise InputError(f"{model}: this model has no word tagger; use the CRF segmenter")
        self._batch_size = batch_size
        self._places = resources.place_names()
        self._entities = entities and "ner" in self._nlp.pipe_names

    def segment(self, text: str, sentence_spans: list[tuple[int, int]]) -> list[Sentence]:
        """Cuts each sentence span of `text` into words."""
        return self.parse(text, sentence_spans)[0]

    def _syllable_doc(self, sentence: str) -> Doc:
        """What the model's tokenizer makes of `sentence` respelt (`model_spelling`), each
        syllable respelt alone: respelling changes letters for letters, never a syllable's edges."""
        return _spans_to_doc(self._nlp.vocab, sentence, syllables(sentence), None, spell=model_word)

    def parse(self, text: str, sentence_spans: list[tuple[int, int]]) -> tuple[list[Sentence], list[Doc]]:
        """The sentences with their words, and the syllable Doc of each sentence."""
        docs = [self._syllable_doc(text[s:e]) for s, e in sentence_spans]
        with one_blas_thread():
            docs = list(self._nlp.get_pipe("tok2vec").pipe(docs, batch_size=self._batch_size))
            tagger = self._nlp.get_pipe("tagger")
            inside = tagger.labels.index("I")
            continues = [tags.reshape(-1) == inside for tags in tagger.predict(docs)]
            if self._entities:
                docs = list(self._nlp.get_pipe("ner").pipe(docs, batch_size=self._batch_size))
        return self._sentences(text, sentence_spans, docs, continues), docs

    def _sentences(
        self, text: str, sentence_spans: list[tuple[int, int]], docs: list[Doc], continues: list[np.ndarray]
    ) -> list[Sentence]:
        """The words of each sentence from its syllable Doc and which syllables continue a
        word (`continues`): all sentences of the text in one pass over arrays (read with
        columns, not Token objects: this runs for every syllable of every document)."""
        columns = [doc.to_array([IDX, LENGTH, IS_SPACE]).reshape(-1, 3) for doc in docs]
        lengths = np.array([len(c) for c in columns], dtype=np.int64)
        columns = np.concatenate(columns).astype(np.int64) if columns else np.zeros((0, 3), dtype=np.int64)
        firsts = np.cumsum(lengths) - lengths
        continues = np.concatenate(continues) if continues else np.zeros(0, dtype=bool)
        for doc, first in zip(docs, firsts.tolist(), strict=True):
            for ent in doc.ents:  # no word crosses a mention's edge
                continues[first + ent.start] = False
                if ent.end < len(doc):
                    continues[first + ent.end] = False
        sentence_of = np.repeat(np.arange(len(docs)), lengths)
        kept = columns[:, 2] == 0
        sentence_of, continues = sentence_of[kept], continues[kept]
        continues[1:] &= sentence_of[1:] == sentence_of[:-1]  # a sentence starts a word
        offsets = np.array([s for s, _ in sentence_spans], dtype=np.int64)
        starts = columns[kept, 0] + offsets[sentence_of]
        words = _words(text, _space_mask(text), starts, starts + columns[kept, 1], continues, self._places)
        # Each word goes to the sentence of its first syllable.
        counts = np.bincount(
            np.searchsorted(offsets, [w.start for w in words], side="right") - 1, minlength=len(docs)
        ).tolist()
        sentences, taken = [], 0
        for (s, e), count in zip(sentence_spans, counts, strict=True):
            sentences.append(Sentence(s, e, text[s:e], tuple(words[taken : taken + count])))
            taken += count
        return sentences


def _space_mask(text: str) -> np.ndarray:
    """Whether each character of `text` is a space (" ")."""
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32) == ord(" ")


def _words(
    text: str,
    spaces: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    continues: np.ndarray,
    places: frozenset[str],
) -> list[Word]:
    """Groups syllables (`starts`, `ends`) into words: `continues[i]` joins syllable i to the
    word before. `spaces[k]`: whether `text[k]` is a space."""
    if not len(starts):
        return []
    # Only a single space may sit inside a word: the tokens table shows words as syllables
    # separated by spaces, and a word never crosses other punctuation.
    joined = continues.copy()
    joined[0] = False
    joined[1:] &= (starts[1:] - ends[:-1] == 1) & spaces[np.maximum(starts[1:] - 1, 0)]
    firsts = np.flatnonzero(~joined)
    lasts = np.append(firsts[1:], len(starts)) - 1
    words = []
    for first, last, a, b in zip(
        firsts.tolist(), lasts.tolist(), starts[firsts].tolist(), ends[lasts].tolist(), strict=True
    ):
        if last - first < 2:  # too short to glue a place to a name
            words.append(Word(a, b, text[a:b]))
        else:
            group = list(zip(starts[first : last + 1].tolist(), ends[first : last + 1].tolist(), strict=True))
            words += [Word(x, y, text[x:y]) for x, y in _split_glued_names(text, group, places)]
    return words


def _split_glued_names(
    text: str, group: list[tuple[int, int]], places: frozenset[str]
) -> list[tuple[int, int]]:
    """Splits a word of three syllables or more that glues a known place to a following name
    ("Triều Tiên Kim Jong")."""
    for cut in range(len(group) - 1, 0, -1):
        head = text[group[0][0] : group[cut - 1][1]]
        if head in places and text[group[cut][0]].isupper():
            rest = group[cut:]
            return [(group[0][0], group[cut - 1][1]), (rest[0][0], rest[-1][1])]
    return [(group[0][0], group[-1][1])]


@functools.cache
def _respellings() -> dict[str, str]:
    from underthesea.pipeline.text_normalize.token_normalize import token_map

    return {old: new for old, new in token_map.items() if len(old) == len(new) and old != new}


# Words that may need respelling: only those with a letter outside plain a-z are respelt (the
# map's few plain a-z entries, "qui" → "quy", are left as written).
_NON_ASCII_WORD_RE = re.compile(r"\w*[^\x00-\x7f\W]\w*")


@functools.lru_cache(maxsize=100_000)
def model_word(word: str) -> str:
    """`model_spelling` of one syllable (or any token)."""
    if word.isascii():  # as `model_spelling`: "qui" stays, though the map has it
        return word
    if word.isalpha():
        return _respellings().get(word, word)
    return model_spelling(word)


def model_spelling(text: str) -> str:
    """`text` with syllables in the spelling the training corpora use ("Hoà" → "Hòa",
    "thuỷ" → "thủy"), for the model's eyes only: lengths, hence offsets, are unchanged."""
    respell = _respellings()
    return _NON_ASCII_WORD_RE.sub(lambda m: respell.get(m.group(), m.group()), text)


@functools.cache
def word_dictionary() -> frozenset[str]:
    """The lowercase words of underthesea's segmentation dictionary ("quốc phòng", "bác sĩ")."""
    return frozenset(joblib.load(_WS_MODEL / "dictionary.bin"))


@functools.cache
def word_segmenter(
    kind: str = "crf", model: str | Path = DEFAULT_MODEL, *, entities: bool = False
) -> WordSegmenter | ModelSegmenter:
    """A word segmenter, loaded once per process: `crf` (underthesea's) or `model` (ours).

    With `entities`, the model segmenter also finds the mentions (see `ModelSegmenter`).

    Raises:
        ValueError: An unknown kind.
        InputError: `model` has no word tagger.
    """
    if kind == "crf":
        return WordSegmenter()
    if kind == "model":
        return ModelSegmenter(model, entities=entities)
    raise ValueError(f"unknown segmenter {kind!r}; choose from {', '.join(SEGMENTERS)}")


def segment(text: str, *, segmenter: str | None = None) -> list[Sentence]:
    """Splits text into sentences and Vietnamese words.

    Args:
        text: The document text.
        segmenter: `model` (the trained model's word tagger) or `crf` (underthesea's CRF);
            by default the model, as in the pipeline, when it has a word tagger.

    Returns:
        The sentences, each with its words; every offset slices back to the text.

    Example:
        >>> [w.text for w in segment("Hoà Bình là một tỉnh.")[0].words]
        ['Hoà Bình', 'là', 'một', 'tỉnh', '.']
    """
    return word_segmenter(segmenter or default_segmenter()).segment(text, split_sentences(text))


def default_segmenter(model: str | Path = DEFAULT_MODEL) -> str:
    """`model` when the trained model has a word tagger, else `crf`."""
    return "model" if "tagger" in load_model(model).pipe_names else "crf"


def spans_to_doc(
    vocab: Vocab, text: str, spans: list[tuple[int, int]], sentence_starts: set[int] | None = None
) -> Doc:
    """A `Doc` with one token per `(start, end)` span of `text` (sorted, not overlapping).

    One space after a span is its token's trailing space; any other gap (line breaks, several
    spaces) becomes a token of its own, as spaCy's whitespace tokens. With `sentence_starts`
    (character offsets), a sentence starts at each token found there, and at the first.
    """
    doc = _spans_to_doc(vocab, text, spans, sentence_starts)
    doc.user_data[_TEXT_KEY] = text
    return doc


# `Doc.text` joins every token's text on each access; the text a Doc was built from is kept here.
_TEXT_KEY = "vi_news.text"


def doc_text(doc: Doc) -> str:
    """`doc.text`, built once per Doc rather than on every access."""
    text = doc.user_data.get(_TEXT_KEY)
    if text is None:
        text = doc.user_data[_TEXT_KEY] = doc.text
    return text


def _spans_to_doc(
    vocab: Vocab,
    text: str,
    spans: list[tuple[int, int]],
    sentence_starts: set[int] | None,
    spell: Callable[[str], str] | None = None,
) -> Doc:
    if not spans:
        return Doc(vocab, words=[text] if text else [], spaces=[False] if text else [])
    # spaCy's rule (`get_words_and_spaces`), from offsets instead of searching the text: one
    # space after a token is its trailing space; any other gap is a token of its own.
    words = [text[a:b] for a, b in spans]
    spaces = [text[b : b + 1] == " " for _, b in spans]
    # The tokens and their trailing spaces cover the text unless there is a gap.
    covered = spans[0][0] == 0 and sum(map(len, words)) + sum(spaces) == len(text)
    if spell is not None:
        words = list(map(spell, words))
    starts = [False] * len(spans) if sentence_starts is None else [a in sentence_starts for a, _ in spans]
    if not covered:  # line breaks (a text of paragraphs), runs of spaces, text before the first token
        follows = [b + space for (_, b), space in zip(spans, spaces, strict=True)]  # the next token's start
        nexts = [a for a, _ in spans[1:]] + [len(text)]  # where it does start
        gaps = [i for i, (f, n) in enumerate(zip(follows, nexts, strict=True)) if n > f]
        for i in reversed(gaps):
            words.insert(i + 1, text[follows[i] : nexts[i]])
            spaces.insert(i + 1, False)
            starts.insert(i + 1, False)
        if spans[0][0] > 0:
            words.insert(0, text[: spans[0][0]])
            spaces.insert(0, False)
            starts.insert(0, False)
    if sentence_starts is None:
        return Doc(vocab, words=words, spaces=spaces)
    # Sentence starts are given to the constructor: setting them token by token afterwards
    # costs a scan of the whole Doc per token.
    starts[0] = True
    return Doc(vocab, words=words, spaces=spaces, sent_starts=starts)


def to_doc(vocab: Vocab, text: str, sentences: list[Sentence]) -> Doc:
    """Builds a spaCy `Doc` whose tokens are the words and whose sentences are the sentences."""
    spans = [(w.start, w.end) for s in sentences for w in s.words]
    return spans_to_doc(vocab, text, spans, {s.words[0].start for s in sentences if s.words})


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
    """A spaCy tokenizer: Vietnamese words as tokens, sentence boundaries already set.

    Args:
        vocab: The pipeline's vocabulary.
        segmenter: `crf` or `model` (see `word_segmenter`).
        model: The trained model folder for the `model` segmenter.
        entities: Let the `model` segmenter find the mentions too (the NER stage reuses them).
    """

    def __init__(
        self, vocab: Vocab, segmenter: str = "crf", model: str | Path = DEFAULT_MODEL, entities: bool = False
    ) -> None:
        super().__init__(vocab)
        self._segmenter = word_segmenter(segmenter, model, entities=entities)

    def __call__(self, text: str) -> Doc:
        spans = split_sentences(text)
        if isinstance(self._segmenter, ModelSegmenter):
            sentences, syllable_docs = self._segmenter.parse(text, spans)
            doc = to_doc(self.vocab, text, sentences)
            doc._.syllable_docs = [(s.start, d) for s, d in zip(sentences, syllable_docs, strict=True)]
            return doc
        return to_doc(self.vocab, text, self._segmenter.segment(text, spans))


class SyllableTokenizer(_StatelessTokenizer):
    """A spaCy tokenizer with one token per syllable or punctuation mark.

    The NER model reads syllables, not words: a word segment that glues two names together
    ("Triều Tiên Kim Jong") cannot then hide an entity boundary.
    """

    def __call__(self, text: str) -> Doc:
        return spans_to_doc(self.vocab, text, syllables(text))


@registry.tokenizers("vi_news.word_tokenizer.v1")
def create_word_tokenizer(
    segmenter: str = "crf", model: str = str(DEFAULT_MODEL), entities: bool = False
) -> Callable[[Language], VietnameseTokenizer]:
    """spaCy config hook: `[nlp.tokenizer] @tokenizers = "vi_news.word_tokenizer.v1"`,
    with `segmenter = "crf"` or `"model"` and, for the latter, the `model` folder and
    whether it finds the mentions too (`entities`)."""
    return lambda nlp: VietnameseTokenizer(nlp.vocab, segmenter, model, entities)


@registry.tokenizers("vi_news.syllable_tokenizer.v1")
def create_syllable_tokenizer() -> Callable[[Language], SyllableTokenizer]:
    """spaCy config hook: `[nlp.tokenizer] @tokenizers = "vi_news.syllable_tokenizer.v1"`."""
    return lambda nlp: SyllableTokenizer(nlp.vocab)
