"""The trained model loaded for inference on one CPU core.

`load_model` loads a model folder once per process and makes it cheaper to run without changing
what it computes (to float rounding): its vocabulary computes only the lexical attributes the
network reads, its tok2vec looks each syllable's embedding up in an `EmbeddingCache`, and numpy's
BLAS does its matrix products on one thread (`numpy_blas_ops`, `one_blas_thread`). A model loaded
here is for inference: to train or save one, load it with `spacy.load`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import numpy as np
import spacy
from spacy.attrs import IDS, IS_SPACE, ORTH
from spacy.language import Language
from spacy.tokens import Doc
from spacy.vocab import Vocab
from thinc.api import Model, use_ops
from threadpoolctl import ThreadpoolController

from pipeline import config
from pipeline.errors import InputError

# The trained model (word tagger and NER); see models/README.md.
DEFAULT_MODEL = config.MODELS / "ner-vi"


def load_model(path: str | Path = DEFAULT_MODEL) -> Language:
    """Loads a trained pipeline folder (word tagger and NER) once per process, however the
    path is spelt (`"models/ner-vi"`, a `Path`, an absolute path).

    Its vocabulary computes, for each new syllable, only the lexical attributes the network
    reads (its embedding's, e.g. NORM, PREFIX, SUFFIX, SHAPE) and IS_SPACE: the other 18
    (IS_PUNCT, LIKE_NUM, ...) cost 24 of the 39 µs a new syllable took, and nothing reads them on
    these internal Docs (the pipeline's word Docs have them all). Its tok2vec looks each
    syllable's first-layer vector up in an `EmbeddingCache`: the loaded model is for inference
    (to train or save a model, load it with `spacy.load`).

    Raises:
        InputError: `path` holds no spaCy pipeline.
    """
    return _load_model(Path(path).resolve())


@functools.cache
def _load_model(path: Path) -> Language:
    # What a model's config may name: the syllable tokenizer, the vi_news_entity_tagger.
    import pipeline.entity_tagger
    import pipeline.segment  # noqa: F401

    if not (path / "config.cfg").is_file():
        raise InputError(f"{path}: no trained model here (expected a spaCy pipeline folder)")
    with numpy_blas_ops():
        nlp = spacy.load(path)
        _cache_embeddings(nlp)
    read = _embedded_attrs(nlp)
    if read:
        getters = nlp.vocab.lex_attr_getters
        nlp.vocab.lex_attr_getters = {k: v for k, v in getters.items() if k in read or k == IS_SPACE}
    return nlp


def _embed_config(nlp: Language) -> dict:
    """The config of the model's tok2vec embedding layer (empty when it has none)."""
    return nlp.config.get("components", {}).get("tok2vec", {}).get("model", {}).get("embed", {})


def _embedded_attrs(nlp: Language) -> set[int]:
    """The lexical attributes the model's tok2vec embeds (empty when its config does not say)."""
    return {IDS[name] for name in _embed_config(nlp).get("attrs", ()) if name in IDS}


# Syllables whose embedding `EmbeddingCache` keeps (64 floats each for the shipped model: 26 MB);
# when full it starts again empty, so memory stays flat however long the run.
EMBEDDING_CACHE_ROWS = 100_000


def _cache_embeddings(nlp: Language) -> None:
    """Puts an `EmbeddingCache` in front of the tok2vec's embedding layer, when that layer
    reads nothing but each token's own lexeme (spaCy's `MultiHashEmbed`)."""
    architecture = _embed_config(nlp).get("@architectures", "")
    if "tok2vec" not in nlp.pipe_names or not architecture.startswith("spacy.MultiHashEmbed."):
        return
    layers = nlp.get_pipe("tok2vec").model.layers
    if layers and not isinstance(layers[0].attrs.get("cache"), EmbeddingCache):
        cache = EmbeddingCache(layers[0])
        layers[0] = Model("cached_embed", _cached_embed_forward, layers=[layers[0]], attrs={"cache": cache})


def _cached_embed_forward(model: Model, docs: list[Doc], is_train: bool) -> tuple[list[np.ndarray], Callable]:
    if is_train:
        raise NotImplementedError("the embedding cache is for inference; train the model as configured")
    return model.attrs["cache"](docs), lambda d_vectors: []


class EmbeddingCache:
    """The output of a tok2vec's first layer for each syllable seen, computed once.

    spaCy's `MultiHashEmbed` (hashed NORM, PREFIX, SUFFIX, SHAPE and the static vector, mixed by
    a maxout layer) gives every token a vector from its lexeme alone: the same syllable always
    gets the same vector. That layer was a fifth of the tok2vec's time; a row lookup replaces
    it for every syllable met before, and new syllables go through the layer itself.

    Args:
        embed: The embedding layer (Docs in, one (tokens, width) array per Doc out).
        capacity: Rows kept at most (`EMBEDDING_CACHE_ROWS`).
    """

    def __init__(self, embed: Model, capacity: int = EMBEDDING_CACHE_ROWS) -> None:
        self.embed = embed
        self.capacity = capacity
        self.rows: dict[int, int] = {}  # ORTH → row of `table`
        self.table = np.zeros((4096, embed.get_dim("nO")), dtype=np.float32)

    def __call__(self, docs: list[Doc]) -> list[np.ndarray]:
        if not docs:
            return []
        lengths = [len(doc) for doc in docs]
        keys, inverse = np.unique(np.concatenate([doc.to_array(ORTH) for doc in docs]), return_inverse=True)
        keys = keys.tolist()
        missing = [key for key in keys if key not in self.rows]
        if len(self.rows) + len(missing) > self.capacity:  # full: start again with this batch
            self.rows = {}
            missing = keys
        if missing:
            self._add(docs[0].vocab, missing)
        vectors = self.table[np.array([self.rows[key] for key in keys], dtype=np.int64)[inverse]]
        return np.split(vectors, np.cumsum(lengths)[:-1])

    def _add(self, vocab: Vocab, keys: list[int]) -> None:
        (vectors,) = self.embed.predict([Doc(vocab, words=[vocab.strings[key] for key in keys])])
        size, needed = len(self.rows), len(self.rows) + len(keys)
        if needed > len(self.table):
            grown = np.zeros((max(2 * len(self.table), needed), self.table.shape[1]), dtype=np.float32)
            grown[:size] = self.table[:size]
            self.table = grown
        self.table[size:needed] = vectors
        self.rows.update(zip(keys, range(size, needed), strict=True))


def numpy_blas_ops():
    """A context in which thinc builds layers that multiply matrices with numpy's BLAS.

    thinc's CPU backend calls blis by default; numpy's OpenBLAS does the tok2vec's products
    (113k × 192 by 192 × 192) 3× faster on one core here, and the whole tok2vec 1.7× faster,
    with the same results to float rounding. A layer keeps the backend it was built with.
    """
    return use_ops("numpy", use_blis=False)


@functools.cache
def _blas() -> ThreadpoolController:
    return ThreadpoolController()


def one_blas_thread():
    """A context that keeps numpy's BLAS on one thread: the pipeline computes on one core per
    process, and `run --workers` brings the other cores without oversubscribing them."""
    return _blas().limit(limits=1, user_api="blas")
