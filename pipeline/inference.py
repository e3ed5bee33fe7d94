"""The trained model loaded for inference on one CPU core.

`load_model` loads a model folder once per process and makes it cheaper to run without changing
what it computes (to float rounding): its vocabulary computes only the lexical attributes the
network reads, its tok2vec looks each syllable's embedding up in an `EmbeddingCache` and runs its
encoder as a few fused numpy steps per layer (`WindowEncoder`), and numpy's BLAS does the matrix
products on one thread (`numpy_blas_ops`, `one_blas_thread`). A model loaded here is for
inference: to train or save one, load it with `spacy.load`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np
import spacy
from spacy.attrs import IDS, IS_SPACE, ORTH
from spacy.language import Language
from spacy.tokens import Doc
from spacy.vocab import Vocab
from thinc.api import Model, use_ops
from thinc.layers.residual import forward as residual_forward
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
    syllable's first-layer vector up in an `EmbeddingCache` and runs its encoder as a
    `WindowEncoder`: the loaded model is for inference (to train or save a model, load it with
    `spacy.load`).

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
        _fuse_encoder(nlp)
    read = _embedded_attrs(nlp)
    if read:
        getters = nlp.vocab.lex_attr_getters
        nlp.vocab.lex_attr_getters = {k: v for k, v in getters.items() if k in read or k == IS_SPACE}
    return nlp


def _tok2vec_config(nlp: Language, part: str) -> dict:
    """The config of the model's tok2vec `embed` or `encode` layer (empty when it has none)."""
    return nlp.config.get("components", {}).get("tok2vec", {}).get("model", {}).get(part, {})


def _embedded_attrs(nlp: Language) -> set[int]:
    """The lexical attributes the model's tok2vec embeds (empty when its config does not say)."""
    return {IDS[name] for name in _tok2vec_config(nlp, "embed").get("attrs", ()) if name in IDS}


# Syllables whose embedding `EmbeddingCache` keeps (64 floats each for the shipped model: 26 MB);
# when full it starts again empty, so memory stays flat however long the run.
EMBEDDING_CACHE_ROWS = 100_000


def _cache_embeddings(nlp: Language) -> None:
    """Puts an `EmbeddingCache` in front of the tok2vec's embedding layer, when that layer
    reads nothing but each token's own lexeme (spaCy's `MultiHashEmbed`)."""
    architecture = _tok2vec_config(nlp, "embed").get("@architectures", "")
    if "tok2vec" not in nlp.pipe_names or not architecture.startswith("spacy.MultiHashEmbed."):
        return
    layers = nlp.get_pipe("tok2vec").model.layers
    if layers and not isinstance(layers[0].attrs.get("run"), EmbeddingCache):
        layers[0] = _for_inference("cached_embed", layers[0], EmbeddingCache(layers[0]))


def _for_inference(name: str, layer: Model, run: Callable) -> Model:
    """A layer that computes what `layer` does with `run` (same inputs, same outputs), for
    inference only: training through it raises."""
    return Model(name, _inference_forward, layers=[layer], attrs={"run": run})


def _inference_forward(model: Model, inputs: list, is_train: bool) -> tuple[list, Callable]:
    if is_train:
        raise NotImplementedError(f"{model.name} is for inference; train the model as configured")
    return model.attrs["run"](inputs), lambda d_outputs: []


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


def _fuse_encoder(nlp: Language) -> None:
    """Runs the tok2vec's encoder as a `WindowEncoder`, when it is spaCy's `MaxoutWindowEncoder.v2`."""
    if (
        "tok2vec" not in nlp.pipe_names
        or _tok2vec_config(nlp, "encode").get("@architectures") != "spacy.MaxoutWindowEncoder.v2"
    ):
        return
    layers = nlp.get_pipe("tok2vec").model.layers
    if layers and not isinstance(layers[-1].attrs.get("run"), WindowEncoder):
        layers[-1] = _for_inference("window_encoder", layers[-1], WindowEncoder.from_thinc(layers[-1]))


class _MaxoutLayer(NamedTuple):
    weights: np.ndarray  # (inputs, pieces × width)
    bias: np.ndarray  # (pieces × width,)
    pieces: int
    width: int
    gain: np.ndarray  # the layer norm's, (width,)
    shift: np.ndarray


class WindowEncoder:
    """spaCy's `MaxoutWindowEncoder` for inference, as a few numpy steps per layer.

    The encoder is `depth` residual layers, each reading `window` rows either side (zeros past
    the ends), through a maxout layer and a layer norm. thinc runs each step as a layer of its
    own; here a layer is one gather of the windows, one matrix product, a `maximum` per piece
    and the normalisation, with the same weights and results to float rounding: 1.3× faster
    on the shipped model (the encoder's 1.55 s on the first 200 vietnews-5k articles → 1.21 s).

    thinc lays a batch's sequences end to end with `pad` zero rows before, between and after
    them, and computes every row, the padding's too (the padding's rows turn non-zero after
    the first layer and are read by the next: that is the model as trained, and kept). A row's
    last-layer output reads the rows `window` away at the layer below, `2 × window` two layers
    below, and so on: each layer computes only the rows some output still reads. With the
    shipped model (depth 4, window 2, pad 8) the last two layers skip 12 of the 32 rows of
    padding a sentence brings, about 8% of the products on news text.

    Args:
        layers: Per layer, the maxout weights (pieces, outputs, inputs) and biases (pieces,
            outputs), and the layer norm's gain and shift (outputs).
        window: Rows read either side.
        pad: Zero rows laid before, between and after the sequences.
    """

    def __init__(
        self, layers: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]], window: int, pad: int
    ) -> None:
        self.window, self.pad = window, pad
        self.layers: list[_MaxoutLayer] = []
        for W, b, gain, shift in layers:
            pieces, width, inputs = W.shape
            # (inputs, pieces × width): the product's output holds each piece's block in turn.
            weights = np.ascontiguousarray(W.reshape(pieces * width, inputs).T, dtype=np.float32)
            self.layers.append(
                _MaxoutLayer(weights, b.reshape(-1).astype(np.float32), pieces, width, gain, shift)
            )

    @classmethod
    def from_thinc(cls, encoder: Model) -> WindowEncoder:
        """The encoder of spaCy's `MaxoutWindowEncoder.v2`:
        `with_array(residual(expand_window >> maxout >> layernorm >> dropout) × depth)`.

        Raises:
            ValueError: `encoder` is laid out otherwise.
        """
        layers, windows = [], set()
        for block in encoder.walk():
            if block._func is not residual_forward:
                continue
            parts = {layer.name: layer for layer in block.walk()}
            if not {"expand_window", "maxout", "layernorm"} <= parts.keys():
                raise ValueError(f"not a maxout window encoder layer: {block.name}")
            maxout, norm = parts["maxout"], parts["layernorm"]
            # thinc keeps W as (outputs, pieces, inputs), b as (outputs, pieces).
            W, b = maxout.get_param("W"), maxout.get_param("b")
            layers.append((W.transpose(1, 0, 2), b.T, norm.get_param("G"), norm.get_param("b")))
            windows.add(parts["expand_window"].attrs["window_size"])
        if not layers or len(windows) != 1 or "pad" not in encoder.attrs:
            raise ValueError(f"not a maxout window encoder: {encoder.name}")
        return cls(layers, windows.pop(), encoder.attrs["pad"])

    def __call__(self, sequences: list[np.ndarray]) -> list[np.ndarray]:
        """The encoded rows of each sequence (each (rows, width); an empty one stays empty)."""
        lengths = np.array([len(x) for x in sequences], dtype=np.int64)
        width = self.layers[0].width
        if not lengths.any():
            return [np.zeros((0, width), dtype=np.float32) for _ in sequences]
        # The rows as thinc lays them out, with `window` more zero rows at each end so that
        # every window lies inside the array. Each non-empty sequence takes its rows and the
        # padding after it (an empty one takes nothing).
        room = lengths + self.pad * (lengths > 0)
        ends = self.window + self.pad + np.cumsum(room)
        starts = ends - room
        X = np.zeros((ends[-1] + self.window, width), dtype=np.float32)
        for start, x in zip(starts.tolist(), sequences, strict=True):
            X[start : start + len(x)] = x
        offsets = np.arange(-self.window, self.window + 1)
        nonempty = lengths > 0
        depth = len(self.layers)
        for level, layer in enumerate(self.layers):
            reach = self.window * (depth - 1 - level)
            rows = _rows_within(starts[nonempty], lengths[nonempty], reach, len(X))
            Y = np.take(X, rows[:, None] + offsets, axis=0).reshape(len(rows), -1) @ layer.weights
            Y += layer.bias
            w = layer.width
            best = np.maximum(Y[:, :w], Y[:, w : 2 * w]) if layer.pieces > 1 else Y[:, :w].copy()
            for piece in range(2, layer.pieces):
                np.maximum(best, Y[:, piece * w : (piece + 1) * w], out=best)
            # thinc's layer norm: (x - mean) / sqrt(variance + 1e-8), then gain and shift.
            best -= (best @ np.full(w, 1.0 / w, dtype=np.float32))[:, None]
            best *= (1.0 / np.sqrt(np.einsum("ij,ij->i", best, best) / w + 1e-08))[:, None]
            best *= layer.gain
            best += layer.shift
            X[rows] += best
        return [X[s : s + n] for s, n in zip(starts.tolist(), lengths.tolist(), strict=True)]


def _rows_within(starts: np.ndarray, lengths: np.ndarray, reach: int, size: int) -> np.ndarray:
    """The rows of an array of `size` rows within `reach` of a row of some sequence (`starts`,
    `lengths`), in order."""
    marks = np.zeros(size + 1, dtype=np.int64)
    np.add.at(marks, np.maximum(starts - reach, 0), 1)
    np.add.at(marks, np.minimum(starts + lengths + reach, size), -1)
    return np.flatnonzero(np.cumsum(marks[:size]) > 0)


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
