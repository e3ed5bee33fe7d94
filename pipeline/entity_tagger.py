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
        """Sets `doc.ents` from the best well-formed tag sequence of each doc (one Viterbi pass per batch)."""
        docs = list(docs)
        normalized = self.model.layers[-1].attrs.get("softmax_normalize", False)
        log_probs = []
        for doc_scores in scores:
            doc_scores = np.asarray(doc_scores, dtype=np.float32)
            if normalized:
                log_probs.append(np.log(doc_scores + 1e-9))
            else:  # logits: log-softmax them
                shifted = doc_scores - doc_scores.max(axis=1, keepdims=True)
                log_probs.append(shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True)))
        labels = self.labels
        for doc, best in zip(docs, viterbi(log_probs, *_constraints(labels)), strict=True):
            doc.ents = _mentions(doc, best, labels)

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


def _mentions(doc: Doc, tags: list[int], labels: tuple[str, ...]) -> list[Span]:
    """The mentions of a well-formed BILUO sequence of tag indices (what `biluo_tags_to_spans`
    gives, without a Python step per token)."""
    positions, kinds = _tag_kinds(labels)
    position = positions[np.asarray(tags, dtype=np.int64)]
    starts = np.flatnonzero((position == 0) | (position == 3))  # B or U
    ends = np.flatnonzero((position == 2) | (position == 3)) + 1  # L or U
    return [Span(doc, int(a), int(b), label=kinds[tags[a]]) for a, b in zip(starts, ends, strict=True)]


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
