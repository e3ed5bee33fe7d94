"""The trained model as loaded for inference: same outputs as spaCy's layers, computed cheaper."""

from __future__ import annotations

import numpy as np

from pipeline.inference import DEFAULT_MODEL, EmbeddingCache, load_model, one_blas_thread
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
    assert isinstance(cached.attrs["cache"], EmbeddingCache)
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
    assert [len(v) for v in cached.attrs["cache"](docs)] == [len(d) for d in docs]
    assert small([]) == []
