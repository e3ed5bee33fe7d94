"""NER stage: a segmented spaCy `Doc` → `doc.ents` labelled PER, LOC and ORG.

Two components, each a spaCy factory:

* `vi_news_model_ner` (the default): the project's trained syllable-level spaCy model
  (`models/ner-vi`, see its model card) run on each sentence; it proposes candidate mentions.
* `vi_news_crf_ner`: underthesea's CRF taggers (POS, chunk, NER) run on the pipeline's own
  words; the offline baseline, chosen by configuration (`build_nlp(ner="crf")`, `--ner crf`).
* `vi_news_entity_rules`: fixes what the statistical taggers get plainly wrong (dates and
  titles tagged as places, a title glued to a name, lowercase phrases), adds closed-list places
  and organisations, names after titles ("Tổng thống Nga Vladimir Putin"), and the same name
  again elsewhere in the document, and a person's given name alone after their full name; an
  organisation that opens with a geographic head and a name ("Quảng trường Đỏ") becomes a
  place. It then sets `doc.ents`, splitting a word when a mention boundary falls inside it.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from spacy.attrs import IDX, IS_SPACE, LENGTH
from spacy.language import Language
from spacy.tokens import Doc, Span
from underthesea.pipeline.text_normalize import token_normalize

import pipeline.dates  # noqa: F401  (registers Doc._.dates and the dates component)
from pipeline import resources
from pipeline.inference import DEFAULT_MODEL, load_model, one_blas_thread
from pipeline.segment import (
    UPPERCASE_LETTERS,
    doc_text,
    model_spelling,
    spans_to_doc,
    syllables,
    word_dictionary,
)

LABELS = ("PER", "LOC", "ORG")

# The dates stage registers Doc._.dates and Doc._.anchor; the rules read the dates.
if not Doc.has_extension("candidates"):
    Doc.set_extension("candidates", default=None)
if not Span.has_extension("source"):
    Span.set_extension("source", default=None)

_UPPER = UPPERCASE_LETTERS
_LOWER = _UPPER.lower()
_CAP_SYLLABLE = rf"[{_UPPER}][\w'’-]*"
_LOW_SYLLABLE = rf"[{_LOWER}][\w'’-]*"
# "Bộ Quốc phòng", "Bộ Tài nguyên và Môi trường", "Sở Y tế": a head, a capitalised word,
# its lowercase continuation; the country after it is matched in code.
_ORG_HEADS = (
    "Bộ",
    "Sở",
    "Cục",
    "Tổng cục",
    "Ủy ban",
    "Uỷ ban",
    "Ban",
    "Viện",
    "Học viện",
    "Đại học",
    "Trường",
    "Tập đoàn",
    "Tổng công ty",
    "Công ty",
    "Ngân hàng",
    "Hãng",
    "Hội",
    "Liên đoàn",
    "Tòa án",
    "Toà án",
    "Viện kiểm sát",
    "Công an",
    "Quân đội",
    "Đảng",
    "Câu lạc bộ",
    "CLB",
)
_ORG_RE = re.compile(
    r"(?<!\w)(?:" + "|".join(sorted(map(re.escape, _ORG_HEADS), key=len, reverse=True)) + r")"
    rf"(?: {_CAP_SYLLABLE}(?: {_LOW_SYLLABLE})*)(?: và {_CAP_SYLLABLE}(?: {_LOW_SYLLABLE})*)?"
    r"(?!\w)"
)
# Public bodies, whose names are a portfolio and never a person's name: a name after one that a
# title introduces ("Thứ trưởng Bộ Quốc phòng Alexei Krivoruchko") is the title holder.
_PUBLIC_BODY_RE = re.compile(r"(?:Bộ|Sở|Cục|Tổng cục|Ủy ban|Uỷ ban|Ban|Công an|Tòa án|Toà án|Viện kiểm sát) ")
# A capital then a lowercase letter: a syllable of a name, not of an acronym ("Alexei", not "BĐBP").
_NAME_SYLLABLE = rf"[{_UPPER}][{_LOWER}][\w'’-]*"
_PERSON_NAME_RE = re.compile(rf"{_NAME_SYLLABLE}(?: {_NAME_SYLLABLE})+")
_ENDS_IN_NAME_RE = re.compile(rf" {_NAME_SYLLABLE} {_NAME_SYLLABLE}$")
# A lowercase geographic head names the kind of place; the capitalised name after it is the
# place itself ("sông Tumannaya", "tỉnh Quảng Nam"), the head stays outside the mention.
_PLACE_HEAD_RE = re.compile(
    r"(?<!\w)(?:sông|suối|núi|hồ|biển|đảo|quần đảo|vịnh|bán đảo|tỉnh|thành phố|TP\.?|huyện|quận|thị xã|"
    r"thị trấn|xã|phường|thôn|làng|bản|ấp|đèo|eo biển|thủ đô|bang|vùng|khu vực|sân bay|cảng)"
    rf" ({_CAP_SYLLABLE}(?: {_CAP_SYLLABLE})*)"
)
# A mention that opens with one of these heads, then a capitalised name, is a place: in the VLSP
# training data, 98% of the mentions they open are (e.g. "xã" 311 LOC / 1 ORG, "chợ" 91 / 1).
# Not "sông", "hồ", "trường", "bệnh viện": "Sông Đà" companies, "Hồ Chí Minh", schools.
# (`EntityRules(place_heads=True)` relabels organisations only.)
_PLACE_MENTION_RE = re.compile(
    r"(?i:quảng trường|núi|đảo|quần đảo|bán đảo|biển|eo biển|vịnh|đèo|cao nguyên|đồng bằng|"
    r"thung lũng|sân bay|sân vận động|cầu|đường|phố|chợ|tòa nhà|toà nhà|thành phố|thị xã|"
    rf"thị trấn|quận|phường|xã|làng|bản) [{_UPPER}]"
)
# What stands before or after a given name that is not alone (`EntityRules._given_names`).
_NEXT_TO_A_NAME_RE = re.compile(rf" [{_UPPER}]")
_AFTER_A_NAME_OR_PLACE_WORD_RE = re.compile(rf"(?:[{_UPPER}][\w'’-]*|\b(?:ở|tại|sang|tiếng|người)) $")
# A capitalised word whose other syllables are lowercase is a common noun, not a name.
_PORTFOLIO_RE = re.compile(rf"{_CAP_SYLLABLE}(?: {_LOW_SYLLABLE}){{1,3}}")
_NAME_RUN_RE = re.compile(rf"{_CAP_SYLLABLE}(?: {_CAP_SYLLABLE})*")
# Where a one-syllable place name ("Anh", "Pháp") is more likely a pronoun or a language.
_SENTENCE_START_RE = re.compile(r"(?:^|[.!?:;\n\"“‘(-]\s*)$")
_LANGUAGE_OR_PEOPLE_RE = re.compile(r"(?i)(?:tiếng|người|đội|giải|chữ|văn hoá|văn hóa) $")
_MONTHS_AND_DAYS = re.compile(r"(?i)^(?:ngày|tháng|năm|tuần|quý|thứ|chủ nhật|hôm|sáng|chiều|tối|đêm|trưa)\b")


@dataclass(frozen=True, slots=True)
class Mention:
    """A candidate or final entity mention: character offsets, label and who proposed it."""

    start: int
    end: int
    label: str
    source: str


def _alternation(entries: Iterable[str]) -> re.Pattern[str]:
    """A regex for any of `entries` as a whole word, the longest that fits where several do.

    It matches what the entries sorted longest first and joined by `|` match, written as a trie
    ("Hà(?: Nội| Giang)"): the regex engine then reads each character once instead of trying
    every entry in turn, ~4× faster on news text with the 246 places.
    """
    trie: dict = {}
    for entry in entries:
        node = trie
        for char in entry:
            node = node.setdefault(char, {})
        node[""] = {}  # an entry ends here
    return re.compile(r"(?<!\w)(?:" + _trie_pattern(trie) + r")(?![\w-])")


def _trie_pattern(node: dict) -> str:
    """The regex of a trie node's continuations: branches start with different characters, so
    at most one can go on; where an entry also ends here, going on is tried first (greedy `?`)."""
    branches = [re.escape(char) + _trie_pattern(child) for char, child in sorted(node.items()) if char]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if "" in node else body


@functools.cache
def _gazetteers() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    places = _alternation(resources.place_names())
    orgs = _alternation(resources.word_list("organisations"))
    titles = _alternation(resources.word_list("titles"))
    return places, orgs, titles


class ModelNer:
    """Proposes mentions with a trained syllable-level spaCy model, one sentence at a time.

    The model has its own syllable tokenizer, so it never inherits a word segment that glues
    two names together; its spans are mapped back to the document's characters.
    """

    def __init__(self, model: str | Path = DEFAULT_MODEL, batch_size: int = 64) -> None:
        self.model_path = Path(model)
        self._nlp = load_model(self.model_path)
        self._batch_size = batch_size

    def __call__(self, doc: Doc) -> Doc:
        with one_blas_thread():
            return self._tag(doc)

    def _tag(self, doc: Doc) -> Doc:
        tagged = doc._.syllable_docs
        if tagged and all(d.vocab is self._nlp.vocab for _, d in tagged):
            docs = [d for _, d in tagged]
            if not all(d.has_annotation("ENT_IOB") or not len(d) for d in docs):
                # The segmenter ran this model's tok2vec only: its NER layer is left.
                docs = self._nlp.get_pipe("ner").pipe(docs, batch_size=self._batch_size)
            return self._add(doc, [start for start, _ in tagged], docs)
        text = doc_text(doc)
        starts, texts = [], []
        for sent in doc.sents:
            start, end = sent.start_char, sent.end_char
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            if start < end:
                starts.append(start)
                texts.append(text[start:end])
        texts = [model_spelling(t) for t in texts]  # same lengths: offsets still hold
        return self._add(doc, starts, self._nlp.pipe(texts, batch_size=self._batch_size))

    @staticmethod
    def _add(doc: Doc, starts: list[int], parsed: Iterable[Doc]) -> Doc:
        mentions = [
            Mention(offset + e.start_char, offset + e.end_char, e.label_, "model")
            for offset, sentence in zip(starts, parsed, strict=True)
            for e in sentence.ents
            if e.label_ in LABELS
        ]
        doc._.candidates = (doc._.candidates or []) + mentions
        return doc


class CrfNer:
    """Proposes mentions with underthesea's 2017 CRF taggers (POS → chunk → NER) on our words."""

    def __init__(self) -> None:
        from underthesea.pipeline.chunking.model_crf import CRFChunkingPredictor
        from underthesea.pipeline.ner.model_crf import CRFNERPredictor
        from underthesea.pipeline.pos_tag.model_crf import CRFPOSTagPredictor

        self._pos = CRFPOSTagPredictor.Instance()
        self._chunk = CRFChunkingPredictor.Instance()
        self._ner = CRFNERPredictor.Instance()

    def __call__(self, doc: Doc) -> Doc:
        mentions: list[Mention] = []
        for sent in doc.sents:
            tokens = [t for t in sent if not t.is_space]
            if not tokens:
                continue
            # The CRFs were trained on underthesea's normalised spellings ("hòa", not "hoà").
            words = [" ".join(token_normalize(s) for s in t.text.split(" ")) for t in tokens]
            tagged = self._ner.predict(self._chunk.predict(self._pos.predict(words)))
            open_: list | None = None
            for token, (*_, tag) in zip(tokens, tagged, strict=True):
                label = tag[2:] if tag != "O" else None
                if open_ and (tag.startswith("I-") and label == open_[2]):
                    open_[1] = token.idx + len(token.text)
                    continue
                if open_:
                    mentions.append(Mention(open_[0], open_[1], open_[2], "crf"))
                    open_ = None
                if label in LABELS:
                    open_ = [token.idx, token.idx + len(token.text), label]
            if open_:
                mentions.append(Mention(open_[0], open_[1], open_[2], "crf"))
        doc._.candidates = (doc._.candidates or []) + mentions
        return doc


class EntityRules:
    """Corrects candidates, adds rule-based mentions and sets `doc.ents` (see module docstring).

    Each step can be switched off; which ones help depends on the tagger, and was measured
    on the dev sets (`make evaluate`; the choices are in `pipeline.process.build_nlp`). For
    underthesea's CRF the defaults (`given_names` alone: 41.88 → 48.22 / 44.78 → 47.10 dev F1;
    `place_heads` changes nothing there). The trained model learnt VLSP's conventions ("thị trấn
    Hoàn Lão", "Bộ Quốc phòng" are mentions), so `fix`, `fill="all"` and `consistent` undo
    them; `repeats`, `titled_names`, `place_heads` and `given_names` help it.

    Args:
        prefer: Who wins where a candidate and a rule mention overlap: `rules` or `candidates`.
        fix: Trim titles, lowercase edges and date words off candidates.
        fill: What the rules add besides the candidates: `all` (closed-list places and
            organisations, places after geographic heads, names after titles), `places`
            (closed-list places; a one-syllable name such as "Anh", "Pháp" only where it cannot
            be a pronoun or a language: not at a sentence start, not after "tiếng", "người")
            or `none`.
        repeats: Mark again every other occurrence of a person's or organisation's name.
        consistent: One label per surface in a document (the rules' label, else the majority).
        titled_names: Where a candidate organisation runs on into the name of the person a title
            introduces ("Thứ trưởng Bộ Quốc phòng Alexei Krivoruchko" as one ORG), cut it into
            the organisation and the person.
        place_heads: A candidate organisation that opens with a geographic head and a name
            ("Quảng trường Đỏ", "Thành phố Hồ Chí Minh") is a place. Persons keep their label:
            "Đường" is also a family name.
        given_names: After a person's full name ("Nguyễn Thị Mỹ"), the given name alone ("Mỹ")
            is that person wherever it stands on its own.
    """

    def __init__(
        self,
        prefer: str = "rules",
        *,
        fix: bool = True,
        fill: str = "all",
        repeats: bool = True,
        consistent: bool = True,
        titled_names: bool = False,
        place_heads: bool = False,
        given_names: bool = True,
    ) -> None:
        if prefer not in ("rules", "candidates"):
            raise ValueError(f"prefer must be 'rules' or 'candidates', not {prefer!r}")
        if fill not in ("all", "places", "none"):
            raise ValueError(f"fill must be 'all', 'places' or 'none', not {fill!r}")
        self.prefer = prefer
        self.fix, self.fill, self.repeats, self.consistent = fix, fill, repeats, consistent
        self.titled_names, self.place_heads, self.given_names = titled_names, place_heads, given_names

    def __call__(self, doc: Doc) -> Doc:
        text = doc_text(doc)
        places, orgs, titles = _gazetteers()
        # Only the steps that the trained model skips read the word dictionary (~0.15 s to load).
        dictionary = word_dictionary() if self.fix or self.fill == "all" else frozenset()
        dates = [(d.start, d.end) for d in (doc._.dates or [])]

        if self.fill == "all":
            rule_mentions = self._closed_lists(text, places, orgs)
            rule_mentions += self._names_after_titles(text, titles, rule_mentions, dictionary)
        elif self.fill == "places":
            rule_mentions = self._listed_places(text, places)
        else:
            rule_mentions = []
        # A title alone ("Tổng Bí thư") is never a mention, whoever proposed it.
        candidates = [c for c in doc._.candidates or [] if not titles.fullmatch(text, c.start, c.end)]
        if self.fix:
            candidates = [
                fixed
                for candidate in candidates
                if (fixed := self._fix(text, candidate, titles, places, dictionary, dates))
            ]
        if self.titled_names:
            candidates = self._cut_titled_names(text, candidates, places, orgs, titles)
        if self.place_heads:
            candidates = self._places_by_head(text, candidates)
        first, then = (rule_mentions, candidates) if self.prefer == "rules" else (candidates, rule_mentions)
        chosen = _without_overlaps(first)
        for mention in then:
            if not any(_overlaps(mention, m) for m in chosen):
                chosen.append(mention)
        if self.repeats:
            chosen = _without_overlaps(chosen + self._repeats(text, chosen))
        edges = _token_edges(doc)
        if self.given_names:
            chosen = self._given_names(text, chosen, edges)
        chosen = [m for m in chosen if not any(a < m.end and m.start < b for a, b in dates)]
        stop = resources.word_list("not_entities")
        chosen = [m for m in chosen if text[m.start : m.end] not in stop]
        if self.consistent:
            chosen = _consistent(text, chosen)
        return _with_entities(doc, chosen, edges)

    @classmethod
    def _cut_titled_names(
        cls,
        text: str,
        candidates: list[Mention],
        places: re.Pattern[str],
        orgs: re.Pattern[str],
        titles: re.Pattern[str],
    ) -> list[Mention]:
        """Cuts a candidate organisation that ends in the name a title introduces into the
        organisation and the person (the name found as `_names_after_titles` finds it).

        The names are looked for only where a title stands right before a public body whose
        candidate ends in two capitalised syllables: in few documents.
        """
        suspects = {
            c
            for c in candidates
            if c.label == "ORG"
            and _PUBLIC_BODY_RE.match(text, c.start)  # not "Hãng American Dye Source"
            and _ENDS_IN_NAME_RE.search(text, c.start, c.end)
            and titles.search(text, max(0, c.start - 30), c.start) is not None
        }
        if not suspects:
            return candidates
        # The public body is a known mention the title's name steps over: no portfolio to step
        # over, hence no need of the word dictionary (~0.15 s to load).
        known = cls._closed_lists(text, places, orgs)
        found = cls._names_after_titles(text, titles, known, frozenset())
        names = {m.end: m for m in found}
        result = []
        for candidate in candidates:
            name = names.get(candidate.end)
            if (
                candidate in suspects
                and name is not None
                and candidate.start < name.start - 1
                and _PERSON_NAME_RE.fullmatch(text, name.start, name.end)  # not "Bộ Tư lệnh BĐBP"
            ):
                result.append(Mention(candidate.start, name.start - 1, "ORG", candidate.source))
                result.append(Mention(name.start, name.end, "PER", "rules"))
            else:
                result.append(candidate)
        return result

    @staticmethod
    def _places_by_head(text: str, candidates: list[Mention]) -> list[Mention]:
        """Candidate organisations that open with a geographic head and a name, as places."""
        return [
            Mention(c.start, c.end, "LOC", c.source)
            if c.label == "ORG" and _PLACE_MENTION_RE.match(text, c.start, c.end)
            else c
            for c in candidates
        ]

    @staticmethod
    def _listed_places(text: str, places: re.Pattern[str]) -> list[Mention]:
        found = []
        for m in places.finditer(text):
            start = m.start()
            if " " not in m.group() and (
                _SENTENCE_START_RE.search(text, max(0, start - 3), start)
                or _LANGUAGE_OR_PEOPLE_RE.search(text, max(0, start - 12), start)
            ):
                continue
            found.append(Mention(*m.span(), "LOC", "rules"))
        return found

    @staticmethod
    def _closed_lists(text: str, places: re.Pattern[str], orgs: re.Pattern[str]) -> list[Mention]:
        found = [Mention(*m.span(), "LOC", "rules") for m in places.finditer(text)]
        found += [Mention(*m.span(), "ORG", "rules") for m in orgs.finditer(text)]
        found += [Mention(*m.span(1), "LOC", "rules") for m in _PLACE_HEAD_RE.finditer(text)]
        for m in _ORG_RE.finditer(text):
            end = m.end()
            after = places.match(text, end + 1) if text[end : end + 1] == " " else None
            if after:  # "Bộ Quốc phòng Nga": the country belongs to the ministry's name
                end = after.end()
            found.append(Mention(m.start(), end, "ORG", "rules"))
        return found

    @staticmethod
    def _names_after_titles(
        text: str, titles: re.Pattern[str], known: list[Mention], dictionary: frozenset[str]
    ) -> list[Mention]:
        """A run of capitalised syllables after a title is a name, once places and portfolios
        ("Quốc phòng", "Nga" in "Bộ trưởng Quốc phòng Nga Andrei Belousov") are stepped over."""
        by_start = {m.start: m for m in known}
        found = []
        for title in titles.finditer(text):
            pos = title.end()
            while text[pos : pos + 1] == " ":
                pos += 1
                if pos in by_start:
                    pos = by_start[pos].end
                    continue
                portfolio = _PORTFOLIO_RE.match(text, pos)
                if portfolio:  # "Quốc phòng" in "Bộ trưởng Quốc phòng Nga ...": part of the title
                    words = portfolio.group().split(" ")
                    size = next(
                        (n for n in range(len(words), 1, -1) if " ".join(words[:n]).lower() in dictionary), 0
                    )
                    if size:
                        pos += len(" ".join(words[:size]))
                        continue
                run = _NAME_RUN_RE.match(text, pos)
                if not run:
                    break
                name_end = run.end()
                for known_mention in known:  # a name stops where a known place starts
                    if pos < known_mention.start < name_end:
                        name_end = known_mention.start - 1
                name = text[pos:name_end]
                if name and name.lower() not in dictionary and not _MONTHS_AND_DAYS.match(name):
                    found.append(Mention(pos, name_end, "PER", "rules"))
                break
        return found

    @staticmethod
    def _fix(
        text: str,
        mention: Mention,
        titles: re.Pattern[str],
        places: re.Pattern[str],
        dictionary: frozenset[str],
        dates: list[tuple[int, int]],
    ) -> Mention | None:
        spans = syllables(text, start=mention.start, end=mention.end)
        # Trim what is never part of a name: titles, lowercase words, punctuation at the edges.
        while spans:
            a = spans[0][0]
            title = titles.match(text, a)
            if title and title.end() <= mention.end:
                spans = [s for s in spans if s[0] >= title.end()]
            elif not text[a].isupper():
                spans = spans[1:]
            else:
                break
        while spans and not text[spans[-1][0]].isupper() and not text[spans[-1][0]].isdigit():
            spans = spans[:-1]
        if not spans:
            return None
        start, end = spans[0][0], spans[-1][1]
        surface = text[start:end]
        if _MONTHS_AND_DAYS.match(surface) or (surface.lower() in dictionary and " " not in surface):
            return None
        if any(a < end and start < b for a, b in dates):
            return None
        label = mention.label
        if label == "LOC" and places.fullmatch(surface) is None and start > 0:
            # The CRF calls a person after a title a place ("Thứ trưởng ... Alexei Krivoruchko").
            before = text[max(0, start - 30) : start].rstrip()
            if any(before.endswith(t) for t in ("ông", "bà", "Ông", "Bà")):
                label = "PER"
        return Mention(start, end, label, mention.source)

    @staticmethod
    def _repeats(text: str, mentions: list[Mention]) -> list[Mention]:
        """The same surface again in the document gets the same label ("Kim Jong Un" twice)."""
        surfaces = {text[m.start : m.end]: m.label for m in mentions if m.label in ("PER", "ORG")}
        # What `_alternation(surfaces).finditer(text)` finds (whole words, leftmost, longest
        # first), without compiling a new pattern for every document.
        occurrences = []
        for surface in surfaces:
            start = text.find(surface)
            while start >= 0:
                end = start + len(surface)
                if not _is_word_char(text, start - 1) and not (
                    _is_word_char(text, end) or text[end : end + 1] == "-"
                ):
                    occurrences.append((start, -len(surface)))
                start = text.find(surface, start + 1)
        found: list[Mention] = []
        for start, negative_length in sorted(occurrences):
            if not found or start >= found[-1].end:
                surface = text[start : start - negative_length]
                found.append(Mention(start, start - negative_length, surfaces[surface], "rules"))
        return found

    @staticmethod
    def _given_names(text: str, mentions: list[Mention], edges: set[int]) -> list[Mention]:
        """Each person's given name, standing alone after their full name, as that person.

        In the VLSP training data, 97% of such occurrences are marked as the person ("Hồ Xuân
        Huy" … "Huy"); a mention found exactly there with another label is relabelled, one that
        covers more ("TP Hồ Chí Minh" after "Hồ Chí Minh") is left alone. Alone means: a word
        of its own (both ends among the word `edges`: not "Thi" in "Thi đua"), no capitalised
        word next to it (not "Nhân" in "Thân Nhân Trung"), and not a country or a language
        ("ở Mỹ", "tiếng Anh").
        """
        first: dict[str, int] = {}
        for m in mentions:
            if m.label == "PER" and _PERSON_NAME_RE.fullmatch(text, m.start, m.end):
                given = text[m.start : m.end].rsplit(" ", 1)[1]
                first[given] = min(first.get(given, m.end), m.end)
        if not first:
            return mentions
        by_span = {(m.start, m.end): m for m in mentions}
        starts = sorted((m.start, m.end) for m in mentions)
        added = []
        for given, after in first.items():
            start = text.find(given, after)
            while start >= 0:
                end = start + len(given)
                if (
                    start in edges
                    and end in edges
                    and not _NEXT_TO_A_NAME_RE.match(text, end)
                    and not _AFTER_A_NAME_OR_PLACE_WORD_RE.search(text, max(0, start - 20), start)
                ):
                    i = bisect.bisect_left(starts, (end, -1))
                    touching = [(a, b) for a, b in starts[max(0, i - 1) : i] if b > start]
                    if not touching:
                        added.append(Mention(start, end, "PER", "rules"))
                    elif touching == [(start, end)] and by_span[(start, end)].label != "PER":
                        by_span[(start, end)] = Mention(start, end, "PER", "rules")
                start = text.find(given, end)
        return sorted([*by_span.values(), *added], key=lambda m: (m.start, m.end))


def _consistent(text: str, mentions: list[Mention]) -> list[Mention]:
    """One label per surface in a document.

    The rules' label wins, else the CRF's majority. A CRF mention ending in a given name that
    is a person elsewhere ("Hồ Xuân Huy" … "Huy") is a person too.
    """
    votes: dict[str, Counter[str]] = {}
    for m in mentions:
        weight = 100 if m.source == "rules" else 1
        votes.setdefault(text[m.start : m.end], Counter())[m.label] += weight
    label_of = {surface: counts.most_common(1)[0][0] for surface, counts in votes.items()}
    people = {surface for surface, label in label_of.items() if label == "PER" and " " not in surface}
    result = []
    for m in mentions:
        surface = text[m.start : m.end]
        label = label_of[surface]
        words = surface.split(" ")
        if m.source != "rules" and 2 <= len(words) <= 4 and words[-1] in people:
            label = "PER"
        result.append(Mention(m.start, m.end, label, m.source))
    return result


def _is_word_char(text: str, i: int) -> bool:
    """Whether `text[i]` exists and is what `\\w` matches (a letter, a digit or `_`)."""
    return 0 <= i < len(text) and (text[i].isalnum() or text[i] == "_")


def _overlaps(a: Mention, b: Mention) -> bool:
    return a.start < b.end and b.start < a.end


def _without_overlaps(mentions: list[Mention]) -> list[Mention]:
    """Keeps the longest mention where several overlap, then the earliest (in text order)."""
    kept: list[Mention] = []  # never overlapping, sorted by start: only neighbours can clash
    starts: list[int] = []
    for m in sorted(mentions, key=lambda m: (-(m.end - m.start), m.start)):
        i = bisect.bisect_left(starts, m.start)
        if (i > 0 and _overlaps(m, kept[i - 1])) or (i < len(kept) and _overlaps(m, kept[i])):
            continue
        starts.insert(i, m.start)
        kept.insert(i, m)
    return kept


def _token_edges(doc: Doc) -> set[int]:
    """The character offsets where the doc's tokens start or end."""
    offsets = doc.to_array([IDX, LENGTH])
    return set(offsets[:, 0].tolist()) | set((offsets[:, 0] + offsets[:, 1]).tolist())


def _with_entities(doc: Doc, mentions: list[Mention], edges: set[int]) -> Doc:
    """Sets `doc.ents`; rebuilds the doc with split words when a mention cuts through one
    (`edges`: `_token_edges(doc)`)."""
    inside = sorted(({m.start for m in mentions} | {m.end for m in mentions}) - edges)
    if inside:
        doc = _split_tokens(doc, inside)
    spans: list[tuple[Span, str]] = []
    taken: set[int] = set()
    for m in mentions:
        span = doc.char_span(m.start, m.end, label=m.label)
        if span is None:  # the boundary falls inside a syllable: keep the whole syllables
            span = doc.char_span(m.start, m.end, label=m.label, alignment_mode="expand")
        if span is not None and taken.isdisjoint(range(span.start, span.end)):
            taken.update(range(span.start, span.end))
            spans.append((span, m.source))
    doc.ents = sorted((s for s, _ in spans), key=lambda s: s.start)
    for span, source in spans:
        span._.source = source
    return doc


def _split_tokens(doc: Doc, cuts: list[int]) -> Doc:
    """A copy of `doc` whose tokens are also cut at the sorted offsets `cuts` (between syllables)."""
    text = doc_text(doc)
    spans: list[tuple[int, int]] = []
    for start, length, space in doc.to_array([IDX, LENGTH, IS_SPACE]).tolist():
        if space:
            continue
        end = start + length
        inner = cuts[bisect.bisect_right(cuts, start) : bisect.bisect_left(cuts, end)]
        for a, b in itertools.pairwise([start, *inner, end]):
            while a < b and text[a] == " ":
                a += 1
            while b > a and text[b - 1] == " ":
                b -= 1
            if a < b:
                spans.append((a, b))
    new = spans_to_doc(doc.vocab, text, spans, {s.start_char for s in doc.sents})
    new.user_data = dict(doc.user_data)
    return new


@Language.factory("vi_news_model_ner", default_config={"model": str(DEFAULT_MODEL), "batch_size": 64})
def make_model_ner(nlp: Language, name: str, model: str, batch_size: int) -> ModelNer:
    """spaCy factory for the trained model's candidate tagger (`model`: a pipeline folder)."""
    return ModelNer(model, batch_size)


@Language.factory("vi_news_crf_ner")
def make_crf_ner(nlp: Language, name: str) -> CrfNer:
    """spaCy factory for the underthesea CRF candidate tagger."""
    return CrfNer()


@Language.factory(
    "vi_news_entity_rules",
    default_config={
        "prefer": "rules",
        "fix": True,
        "fill": "all",
        "repeats": True,
        "consistent": True,
        "titled_names": False,
        "place_heads": False,
        "given_names": True,
    },
)
def make_entity_rules(
    nlp: Language,
    name: str,
    prefer: str,
    fix: bool,
    fill: str,
    repeats: bool,
    consistent: bool,
    titled_names: bool,
    place_heads: bool,
    given_names: bool,
) -> EntityRules:
    """spaCy factory for the rule corrections that set `doc.ents` (see `EntityRules`)."""
    return EntityRules(
        prefer,
        fix=fix,
        fill=fill,
        repeats=repeats,
        consistent=consistent,
        titled_names=titled_names,
        place_heads=place_heads,
        given_names=given_names,
    )


@dataclass(frozen=True, slots=True)
class Entity:
    """A named entity found in a text."""

    start: int
    end: int
    text: str
    label: str
    source: str


@functools.cache
def _default_nlp() -> Language:
    from pipeline.process import build_nlp  # process wires this module in; import on first use

    return build_nlp(stages=("segment", "ner", "dates"))


def entities(text: str) -> list[Entity]:
    """Finds the people, places and organisations in a text.

    Args:
        text: Cleaned text (NFC), one or more sentences.

    Returns:
        The mentions in text order; `text[e.start:e.end] == e.text`.

    Example:
        >>> [(e.text, e.label) for e in entities("Tổng thống Nga Vladimir Putin thăm Bình Nhưỡng.")]
        [('Nga', 'LOC'), ('Vladimir Putin', 'PER'), ('Bình Nhưỡng', 'LOC')]
    """
    doc = _default_nlp()(text)
    return [Entity(e.start_char, e.end_char, e.text, e.label_, e._.source or "model") for e in doc.ents]
