"""The BILUO entity tagger's decoder: Viterbi under the BILUO constraints equals brute force;
probabilities and logits are each decoded as such."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from spacy.tokens import Doc

from pipeline import entity_tagger
from pipeline.entity_tagger import EntityTagger, _constraints, _mentions, best_tags, viterbi
from pipeline.train import blank_nlp

LABELS = [f"{prefix}-{kind}" for kind in ("LOC", "ORG", "PER") for prefix in "BILU"] + ["O"]
ALLOWED, START, END = _constraints(tuple(LABELS))


def _brute_force(log_probs: np.ndarray) -> list[int]:
    best, best_score = [], -np.inf
    for tags in itertools.product(range(len(LABELS)), repeat=len(log_probs)):
        score = START[tags[0]] + END[tags[-1]] + sum(log_probs[i, t] for i, t in enumerate(tags))
        score += sum(ALLOWED[a, b] for a, b in itertools.pairwise(tags))
        if score > best_score:
            best, best_score = list(tags), score
    return best


def test_constraints_follow_biluo() -> None:
    def ok(prev: str, tag: str) -> bool:
        return ALLOWED[LABELS.index(prev), LABELS.index(tag)] == 0

    assert ok("O", "B-PER") and ok("B-PER", "I-PER") and ok("I-PER", "L-PER") and ok("L-PER", "U-LOC")
    assert not ok("O", "I-PER") and not ok("B-PER", "L-ORG") and not ok("B-PER", "O")
    assert not ok("U-LOC", "L-LOC") and not ok("I-ORG", "B-ORG")
    assert START[LABELS.index("I-LOC")] == -np.inf and END[LABELS.index("B-LOC")] == -np.inf


def test_a_lone_inside_tag_is_repaired_into_a_mention() -> None:
    # Greedy argmax would say O, I-PER, L-PER: invalid; the decoder makes it B-PER, I-PER, L-PER
    # or drops the mention, whichever scores higher.
    probs = np.full((3, len(LABELS)), 0.01)
    probs[0, LABELS.index("O")] = 0.5
    probs[0, LABELS.index("B-PER")] = 0.4
    probs[1, LABELS.index("I-PER")] = 0.9
    probs[2, LABELS.index("L-PER")] = 0.9
    (best,) = viterbi([np.log(probs)], ALLOWED, START, END)
    assert [LABELS[i] for i in best] == ["B-PER", "I-PER", "L-PER"]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.integers(0, 3).flatmap(
            lambda n: arrays(np.float64, (n, len(LABELS)), elements=st.floats(-8.0, 0.0))
        ),
        min_size=1,
        max_size=5,
    )
)
def test_viterbi_finds_the_best_allowed_sequence(items: list[np.ndarray]) -> None:
    decoded = viterbi(items, ALLOWED, START, END)
    for log_probs, tags in zip(items, decoded, strict=True):
        if not len(log_probs):
            assert tags == []
            continue
        expected = _brute_force(log_probs)
        rows = np.arange(len(log_probs))
        # Ties may pick another best path: compare scores.
        assert np.isclose(log_probs[rows, tags].sum(), log_probs[rows, expected].sum())
        assert all(ALLOWED[a, b] == 0 for a, b in itertools.pairwise(tags))
        assert START[tags[0]] == 0 and END[tags[-1]] == 0


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 12).flatmap(lambda n: arrays(np.float64, (n, len(LABELS)), elements=st.floats(-8.0, 0.0)))
)
def test_mentions_are_spacys_reading_of_the_tags(log_probs: np.ndarray) -> None:
    """Spans from tag indices equal spaCy's `biluo_tags_to_spans` of the same tags."""
    from spacy.tokens import Doc
    from spacy.training import biluo_tags_to_spans
    from spacy.vocab import Vocab

    (tags,) = viterbi([log_probs], ALLOWED, START, END)
    doc = Doc(Vocab(), words=["Hà"] * len(tags))
    expected = biluo_tags_to_spans(doc, [LABELS[t] for t in tags])
    (found,) = _mentions(np.array(tags), np.array([len(tags)]), tuple(LABELS))
    assert found == [(s.start, s.end, s.label_) for s in expected]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.integers(0, 6).flatmap(
            lambda n: arrays(np.float32, (n, len(LABELS)), elements=st.floats(-8.0, 8.0, width=32))
        ),
        min_size=1,
        max_size=6,
    )
)
def test_a_batch_decodes_as_its_items_one_by_one(logits: list[np.ndarray]) -> None:
    """`best_tags` over a batch (argmax where it is allowed, Viterbi elsewhere) gives each item
    a best allowed sequence, and `_mentions` cuts the flat result back into the items."""
    tags, ends = best_tags(logits, LABELS)
    assert ends.tolist() == np.cumsum([len(item) for item in logits]).tolist()
    mentions = _mentions(tags, ends, tuple(LABELS))
    assert len(mentions) == len(logits)
    for item, a, b, found in zip(logits, ends - [len(i) for i in logits], ends, mentions, strict=True):
        ours = tags[a:b].tolist()
        if not len(item):
            assert ours == [] and found == []
            continue
        shifted = item - item.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        (alone,) = viterbi([log_probs], ALLOWED, START, END)
        rows = np.arange(len(item))
        assert np.isclose(log_probs[rows, ours].sum(), log_probs[rows, alone].sum(), atol=1e-4)
        assert START[ours[0]] == 0 and END[ours[-1]] == 0
        assert all(ALLOWED[x, y] == 0 for x, y in itertools.pairwise(ours))
        (alone_mentions,) = _mentions(np.array(ours), np.array([len(ours)]), tuple(LABELS))
        assert found == alone_mentions


def _tagger(normalize: bool) -> EntityTagger:
    nlp = blank_nlp()
    model = {**entity_tagger.DEFAULT_MODEL, "normalize": normalize}
    tagger = nlp.add_pipe("vi_news_entity_tagger", config={"model": model})
    for label in LABELS:
        tagger.add_label(label)
    return tagger


def test_probabilities_and_logits_decoded_as_what_they_are() -> None:
    # Greedy tags O, I-PER, L-PER are not allowed. As probabilities, "Mai" is too unlikely a
    # B-PER for the mention to pay (0.02 × 0.6 × 0.6 < 0.97 × 0.1 × 0.1): no entity, whether the
    # softmax hands over probabilities (normalize = true) or logits (false) of the same
    # distribution. Probabilities taken for logits would give "Văn Tùng".
    probs = np.full((3, len(LABELS)), 0.001)
    probs[0, LABELS.index("O")], probs[0, LABELS.index("B-PER")] = 0.97, 0.02
    for row, inside in ((1, "I-PER"), (2, "L-PER")):
        probs[row, LABELS.index(inside)], probs[row, LABELS.index("O")] = 0.6, 0.1
        probs[row, LABELS.index("I-LOC")] = 0.29
    for normalize, scores in ((True, probs), (False, np.log(probs) + 3.0)):
        tagger = _tagger(normalize)
        doc = Doc(tagger.vocab, words=["Mai", "Văn", "Tùng"])
        tagger.set_annotations([doc], [scores.astype(np.float32)])
        assert list(doc.ents) == [], normalize
