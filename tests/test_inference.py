"""The trained model as loaded for inference: same outputs as spaCy's layers, computed cheaper."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from thinc.api import Model

from pipeline.inference import DEFAULT_MODEL, EmbeddingCache, WindowEncoder, load_model, one_blas_thread
from pipeline.segment import ModelSegmenter, split_sentences
from tests.conftest import SAMPLE_003


def test_model_multiplies_with_numpy_blas_on_one_thread() -> None:
    """The model's layers use numpy's BLAS (not blis), on one thread while the model runs, and
    the thread count is given back afterwards."""
    from threadpoolctl import threadpool_info

    nlp = load_model(DEFAULT_MODEL)
    layers = [node for _, pipe in nlp.pipeline if hasattr(pipe, "model") for node in pipe.model.walk()]
    assert len(layers) > 20
    assert {node.ops.use_blis for node in layers} == {False}
    before = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    with one_blas_thread():
        assert [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"] == [1] * len(
            before
        )
    assert [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"] == before


def test_model_loaded_once_however_its_path_is_spelt() -> None:

    assert load_model(str(DEFAULT_MODEL)) is load_model(DEFAULT_MODEL) is load_model(DEFAULT_MODEL.resolve())


def test_model_vocabulary_computes_what_the_network_reads() -> None:
    from spacy.attrs import IS_SPACE, NORM, PREFIX, SHAPE, SUFFIX

    vocab = load_model(DEFAULT_MODEL).vocab
    assert set(vocab.lex_attr_getters) == {NORM, PREFIX, SUFFIX, SHAPE, IS_SPACE}
    syllable = vocab["Krivoruchko"]
    assert (syllable.norm_, syllable.prefix_, syllable.suffix_, syllable.shape_) == (
        "krivoruchko",
        "K",
        "hko",
        "Xxxxx",
    )


def test_embedding_cache_gives_the_embedding_layers_own_vectors() -> None:
    """Each syllable's first-layer vector, looked up, equals the layer's output in context, also
    when the cache fills up and starts again in the middle of a run."""

    cached = load_model(DEFAULT_MODEL).get_pipe("tok2vec").model.layers[0]
    assert isinstance(cached.attrs["run"], EmbeddingCache)
    embed = cached.layers[0]
    segmenter = ModelSegmenter()
    text = SAMPLE_003.read_text("utf-8")
    docs = [segmenter._syllable_doc(text[a:b]) for a, b in split_sentences(text)[:12]]
    docs.append(segmenter._syllable_doc(""))
    expected = embed.predict(docs)
    small = EmbeddingCache(embed, capacity=100)
    assert len({token.orth for doc in docs for token in doc}) > 100
    for batch in (docs[:4], docs[4:8], docs[8:], docs):  # the cache fills up and starts again
        found = small(batch)
        assert len(found) == len(batch)
        for got, want in zip(found, embed.predict(batch), strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
        assert len(small.rows) <= max(100, len({token.orth for doc in batch for token in doc}))
    np.testing.assert_allclose(np.concatenate(small(docs)), np.concatenate(expected), rtol=1e-5, atol=1e-6)
    assert [len(v) for v in cached.attrs["run"](docs)] == [len(d) for d in docs]
    assert small([]) == []


def _encoders() -> tuple[WindowEncoder, Model]:
    """The loaded model's `WindowEncoder` and the thinc encoder it stands in for."""
    fused = load_model(DEFAULT_MODEL).get_pipe("tok2vec").model.layers[-1]
    return fused.attrs["run"], fused.layers[0]


def test_window_encoder_gives_the_encoders_own_vectors() -> None:
    """On the sample article's sentences (and empty ones among them), the fused encoder's
    output is thinc's to float rounding."""
    encoder, thinc_encoder = _encoders()
    assert isinstance(encoder, WindowEncoder)
    assert (encoder.window, encoder.pad, len(encoder.layers)) == (2, 8, 4)
    segmenter = ModelSegmenter()
    text = SAMPLE_003.read_text("utf-8")
    docs = [segmenter._syllable_doc(text[a:b]) for a, b in split_sentences(text)[:12]]
    empty = segmenter._syllable_doc("")
    vectors = (
        load_model(DEFAULT_MODEL)
        .get_pipe("tok2vec")
        .model.layers[0]
        .predict([empty, *docs[:6], empty, *docs[6:]])
    )
    with one_blas_thread():
        found, expected = encoder(vectors), thinc_encoder.predict(vectors)
    assert [len(v) for v in found] == [len(v) for v in expected] == [len(v) for v in vectors]
    assert len(found[0]) == len(found[7]) == 0
    for got, want in zip(found, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=25), max_size=10), st.integers(min_value=0, max_value=2**31)
)
def test_window_encoder_equals_thinc_on_any_batch(lengths: list[int], seed: int) -> None:
    """Any number of sequences of any length (none, empty ones, one row) encode as in thinc:
    the padding rows each layer skips are never read."""
    encoder, thinc_encoder = _encoders()
    rng = np.random.default_rng(seed)
    vectors = [rng.normal(size=(n, 64)).astype(np.float32) for n in lengths]
    found = encoder(vectors)
    assert [len(v) for v in found] == lengths
    if any(lengths):
        for got, want in zip(found, thinc_encoder.predict(vectors), strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_window_encoder_refuses_other_layers_and_training() -> None:
    tok2vec = load_model(DEFAULT_MODEL).get_pipe("tok2vec").model
    with pytest.raises(ValueError, match="not a maxout window encoder"):
        WindowEncoder.from_thinc(tok2vec.layers[0])
    with pytest.raises(NotImplementedError, match="for inference"):
        tok2vec.layers[-1]([np.zeros((3, 64), dtype=np.float32)], is_train=True)
    with pytest.raises(NotImplementedError, match="for inference"):
        tok2vec.layers[0]([ModelSegmenter()._syllable_doc("Hà Nội")], is_train=True)
