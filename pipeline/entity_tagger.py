"""A fast NER layer for the trained model: BILUO tags from a softmax per syllable, decoded by Viterbi.

spaCy's transition-based `ner` spends ~48 µs per syllable walking its states in Python-level
batches; tagging every syllable with one of O/B/I/L/U-{PER,LOC,ORG} is one matrix product on the
shared tok2vec output, and a constrained Viterbi pass (no `I-LOC` after `O`, no `B-PER` then
`L-ORG`) turns the probabilities into well-formed mentions. Training reads the gold `doc.ents`;
sentences whose entities are not annotated (UD-VTB, used for the word tagger) cost no loss.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from itertools import islice

import numpy as np
from spacy.language import Language
from spacy.pipeline.tagger import Tagger
from spacy.tokens import Doc, Span
from spacy.training import Example, validate_get_examples
from spacy.util import registry
from thinc.api import Config, Model, SequenceCategoricalCrossentropy

DEFAULT_MODEL = Config().from_str(
    """
[model]
@architectures = "spacy.Tagger.v2"
nO = null
normalize = false

[model.tok2vec]
@architectures = "spacy.HashEmbedCNN.v2"
pretrained_vectors = null
width = 64
depth = 4
embed_size = 2000
window_size = 1
maxout_pieces = 3
subword_features = true
"""
)["model"]


@Language.factory(
    "vi_news_entity_tagger",
    assigns=["doc.ents"],
    default_config={"model": DEFAULT_MODEL, "scorer": {"@scorers": "spacy.ner_scorer.v1"}},
    default_score_weights={"ents_f": 1.0, "ents_p": 0.0, "ents_r": 0.0, "ents_per_type": None},
)
def make_entity_tagger(nlp: Language, name: str, model: Model, scorer: object) -> EntityTagger:
    return EntityTagger(nlp.vocab, model, name, scorer=scorer)


class EntityTagger(Tagger):
    """Named entities as BILUO tags per token: a spaCy `Tagger` trained on `doc.ents`."""

    def predict(self, docs: Sequence[Doc]) -> list[np.ndarray]:
        """The tag probabilities of every token (decoded in `set_annotations`)."""
        if not any(len(doc) for doc in docs):
            return [self.model.ops.alloc2f(0, len(self.labels)) for _ in docs]
        return [self.model.ops.to_numpy(scores) for scores in self.model.predict(docs)]

    def set_annotations(self, docs: Iterable[Doc], scores: list[np.ndarray]) -> None:
        """Sets `doc.ents` from the best well-formed tag sequence of each doc (decoded as one batch)."""
        docs = list(docs)
        normalized = self.model.get_ref("output_layer").attrs.get("softmax_normalize", False)
        tags, ends = best_tags(scores, self.labels, normalized=normalized)
        for doc, mentions in zip(docs, _mentions(tags, ends, self.labels), strict=True):
            doc.ents = [Span(doc, a, b, label=kind) for a, b, kind in mentions]

    def get_loss(self, examples: Iterable[Example], scores: list) -> tuple[float, list]:
        loss_func = SequenceCategoricalCrossentropy(names=self.labels, normalize=False)
        d_scores, loss = loss_func(scores, [_gold_tags(eg) for eg in examples])
        return float(loss), d_scores

    def initialize(self, get_examples, *, nlp: Language | None = None, labels=None) -> None:
        """Adds O and B/I/L/U of every entity label in the examples, then sizes the model."""
        validate_get_examples(get_examples, "EntityTagger.initialize")
        if labels is None:
            kinds = sorted({ent.label_ for eg in get_examples() for ent in eg.reference.ents})
            labels = ["O"] + [f"{prefix}-{kind}" for kind in kinds for prefix in "BILU"]
        for label in labels:
            self.add_label(label)
        docs, gold = [], []
        for example in islice(get_examples(), 10):
            docs.append(example.x)
            tags = _gold_tags(example)
            gold.append(
                self.model.ops.asarray2f([[float(tag == label) for label in self.labels] for tag in tags])
            )
        self._require_labels()
        self.model.initialize(X=docs, Y=gold)


def _gold_tags(example: Example) -> list[str | None]:
    """The gold BILUO tag of each predicted token; None where unknown (no loss)."""
    if not example.reference.has_annotation("ENT_IOB"):
        return [None] * len(example.predicted)
    return [tag if tag and tag != "-" else None for tag in example.get_aligned_ner()]


def best_tags(
    scores: Sequence[np.ndarray], labels: Sequence[str], *, normalized: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """The best well-formed BILUO tag sequence of each item of a batch, as one flat array.

    Where an item's most probable tags already form an allowed sequence, no other sequence
    scores higher (transitions score 0 or -inf): that holds for almost every sentence, and the
    whole batch is checked in a few array operations. Only the other items go through `viterbi`.

    Args:
        scores: Per item, (tokens, tags) probabilities (`normalized`) or logits.
        labels: The tag names (`O`, `B-PER`, ...), in the scores' column order.
        normalized: Whether the scores are probabilities rather than logits.

    Returns:
        Every token's tag index, items one after the other, and where each item ends in it.
    """
    labels = tuple(labels)
    allowed, start, end = _constraints(labels)
    lengths = np.array([len(item) for item in scores], dtype=np.int64)
    ends = np.cumsum(lengths)
    if not ends.size or not ends[-1]:
        return np.zeros(0, dtype=np.int64), ends
    flat = np.concatenate([np.asarray(item, dtype=np.float32).reshape(-1, len(labels)) for item in scores])
    tags = flat.argmax(axis=1)
    starts = ends - lengths
    filled = np.flatnonzero(lengths)
    broken = np.zeros(len(lengths), dtype=bool)
    broken[filled] = (start[tags[starts[filled]]] != 0) | (end[tags[ends[filled] - 1]] != 0)
    steps = np.flatnonzero(np.isinf(allowed[tags[:-1], tags[1:]]))  # token k to k + 1
    item = np.searchsorted(ends, steps, side="right")
    broken[item[steps + 1 < ends[item]]] = True  # steps between two items do not count
    repair = np.flatnonzero(broken).tolist()
    if repair:
        log_probs = []
        for i in repair:
            rows = flat[starts[i] : ends[i]]
            if normalized:
                log_probs.append(np.log(rows + 1e-9))
            else:  # logits: log-softmax them
                shifted = rows - rows.max(axis=1, keepdims=True)
                log_probs.append(shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True)))
        for i, best in zip(repair, viterbi(log_probs, allowed, start, end), strict=True):
            tags[starts[i] : ends[i]] = best
    return tags, ends


def _mentions(
    tags: np.ndarray, ends: np.ndarray, labels: tuple[str, ...]
) -> list[list[tuple[int, int, str]]]:
    """Per item, the `(start, end, label)` mentions of well-formed BILUO sequences of tag
    indices laid end to end (`ends`: where each item ends), as `biluo_tags_to_spans` reads
    them, without a Python step per token."""
    found: list[list[tuple[int, int, str]]] = [[] for _ in ends]
    if not len(tags):
        return found
    positions, kinds = _tag_kinds(labels)
    position = positions[tags]
    firsts = np.flatnonzero((position == 0) | (position == 3))  # B or U
    lasts = np.flatnonzero((position == 2) | (position == 3)) + 1  # L or U
    items = np.searchsorted(ends, firsts, side="right")
    offsets = (ends - np.diff(ends, prepend=0))[items]
    for i, a, b, tag, offset in zip(
        items.tolist(), firsts.tolist(), lasts.tolist(), tags[firsts].tolist(), offsets.tolist(), strict=True
    ):
        found[i].append((a - offset, b - offset, kinds[tag]))
    return found


@functools.cache
def _tag_kinds(labels: tuple[str, ...]) -> tuple[np.ndarray, list[str]]:
    """Per tag index: its BILU position (0-3; -1 for O) and its entity label."""
    positions = np.array([-1 if label == "O" else "BILU".index(label[0]) for label in labels])
    return positions, [label.split("-", 1)[-1] for label in labels]


@functools.cache
def _constraints(labels: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which tag may follow which, and which may start or end a sequence (0 allowed, -inf not)."""
    n = len(labels)
    parts = [(label, "") if label == "O" else tuple(label.split("-", 1)) for label in labels]
    opens = np.array([p in ("B", "I") for p, _ in parts])  # inside an open mention
    allowed = np.full((n, n), -np.inf)
    for i, (_, prev_kind) in enumerate(parts):
        for j, (tag, kind) in enumerate(parts):
            follows = tag in ("I", "L") and kind == prev_kind if opens[i] else tag in ("O", "B", "U")
            if follows:
                allowed[i, j] = 0.0
    start = np.where([p in ("O", "B", "U") for p, _ in parts], 0.0, -np.inf)
    end = np.where([p in ("O", "L", "U") for p, _ in parts], 0.0, -np.inf)
    return allowed, start, end


def viterbi(
    log_probs: Sequence[np.ndarray], allowed: np.ndarray, start: np.ndarray, end: np.ndarray
) -> list[list[int]]:
    """The highest-scoring tag sequence of each item under the transition constraints.

    All items are decoded together, shortest first: at position t only the items longer than t
    take a step, so the Python loop runs once per position of the longest item and the work is
    proportional to the number of tokens.

    Args:
        log_probs: Per item, (tokens, tags) log probabilities.
        allowed: (tags, tags) 0 where tag j may follow tag i, -inf where it may not.
        start: (tags,) 0 for tags that may begin a sequence, -inf otherwise.
        end: (tags,) 0 for tags that may end one.

    Returns:
        Per item, the tag index of each token.
    """
    best: list[list[int]] = [[] for _ in log_probs]
    # Transitions score 0 or -inf: where the tags of highest probability already form an allowed
    # sequence, no other sequence scores higher. Only the other items need the search.
    search = []
    for i, item in enumerate(log_probs):
        if not len(item):
            continue
        tags = item.argmax(axis=1)
        if start[tags[0]] == 0 and end[tags[-1]] == 0 and not np.isinf(allowed[tags[:-1], tags[1:]]).any():
            best[i] = tags.tolist()
        else:
            search.append(i)
    order = sorted(search, key=lambda i: len(log_probs[i]))
    if not order:
        return best
    lengths = np.array([len(log_probs[i]) for i in order])
    n_items, n_steps, n_tags = len(order), int(lengths[-1]), allowed.shape[0]
    padded = np.zeros((n_items, n_steps, n_tags), dtype=np.float32)
    for row, i in enumerate(order):
        padded[row, : lengths[row]] = log_probs[i]
    score = padded[:, 0] + start
    # back[item, t, tag]: the best previous tag; past an item's end it stays on the same tag.
    back = np.broadcast_to(np.arange(n_tags), (n_items, n_steps, n_tags)).copy()
    first_live = np.searchsorted(lengths, np.arange(n_steps), side="right")  # items [k:] are longer than t
    for t in range(1, n_steps):
        k = first_live[t]
        candidates = score[k:, :, None] + allowed  # (items, previous tag, tag)
        back[k:, t] = candidates.argmax(axis=1)
        score[k:] = candidates.max(axis=1) + padded[k:, t]
    tags = np.zeros((n_items, n_steps), dtype=np.int64)
    tags[:, -1] = (score + end).argmax(axis=1)
    items = np.arange(n_items)
    for t in range(n_steps - 1, 0, -1):
        tags[:, t - 1] = back[items, t, tags[:, t]]
    for row, i in enumerate(order):
        best[i] = tags[row, : lengths[row]].tolist()
    return best


@registry.scorers("vi_news.ents_by_corpus_scorer.v1")
def make_ents_by_corpus_scorer() -> Callable[..., dict]:
    """spaCy config hook: spaCy's NER scores, plus the F1 of each dev corpus (`ents_f_dev2016`)
    and their mean (`ents_f_mean`).

    Selecting checkpoints on the micro F1 over both dev sets lets VLSP 2018 dev, with 4× the
    mentions, decide alone; the mean weighs the two corpora equally.
    """
    from spacy.scorer import get_ner_prf

    def score(examples: Iterable[Example], **kwargs) -> dict:
        examples = list(examples)
        scores = get_ner_prf(examples, **kwargs)
        by_corpus: dict[str, list[Example]] = {}
        for example in examples:
            by_corpus.setdefault(example.reference.user_data.get("corpus", "dev"), []).append(example)
        f1s = []
        for name, group in sorted(by_corpus.items()):
            f1 = get_ner_prf(group, **kwargs)["ents_f"] or 0.0
            scores[f"ents_f_{name}"] = f1
            f1s.append(f1)
        scores["ents_f_mean"] = sum(f1s) / len(f1s) if f1s else None
        return scores

    return score
