"""NER training: VLSP corpora → spaCy DocBins → a trained syllable-level pipeline (`pipeline train`)."""

from __future__ import annotations

import itertools
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc, DocBin
from spacy.training import Corpus, Example
from spacy.util import filter_spans, registry

import pipeline.entity_tagger  # (registers vi_news_entity_tagger)
import pipeline.segment  # noqa: F401  (registers vi_news.syllable_tokenizer.v1)
from pipeline.errors import InputError
from pipeline.evaluate import read_gold
from pipeline.inference import numpy_blas_ops
from pipeline.segment import split_sentences
from pipeline.vlsp import (
    GoldDoc,
    drop_title,
    read_conllu_words,
    read_vlsp2016,
    read_vlsp2018,
    split_vlsp2016,
)

logger = logging.getLogger(__name__)

TOKENIZER_CONFIG = {
    "nlp": {"tokenizer": {"@tokenizers": "vi_news.syllable_tokenizer.v1"}},
}


def blank_nlp() -> Language:
    """A blank Vietnamese pipeline with the product's syllable tokenizer."""
    return spacy.blank("vi", config=TOKENIZER_CONFIG)


def load_corpora(shared: Path) -> dict[str, list[GoldDoc]]:
    """Reads the VLSP corpora under `shared/data` into named splits.

    VLSP 2016 titles are dropped: the release leaves them unannotated.

    Args:
        shared: The shared data folder (holding `data/vlsp2016`, `data/vlsp2018`).

    Returns:
        `train2016`, `dev2016`, `train2018` and `dev2018` documents.
    """
    data = shared / "data"
    if not (data / "vlsp2016").is_dir() or not (data / "vlsp2018").is_dir():
        raise InputError(f"{data}: no vlsp2016/ and vlsp2018/ here; pass the shared folder.")
    train2016, dev2016 = split_vlsp2016(read_vlsp2016(data / "vlsp2016" / "train"))
    return {
        "train2016": [drop_title(doc) for doc in train2016],
        "dev2016": [drop_title(doc) for doc in dev2016],
        "train2018": list(read_vlsp2018(data / "vlsp2018" / "train")),
        "dev2018": list(read_vlsp2018(data / "vlsp2018" / "dev")),
    }


def chunks(doc: GoldDoc) -> Iterator[GoldDoc]:
    """Cuts a document into sentences, never inside an entity; spans become chunk-relative."""
    spans = split_sentences(doc.text)
    entities = sorted(doc.entities)
    i = 0
    while i < len(spans):
        start, end = spans[i]
        # Merge with the following sentences while an entity crosses the cut.
        while i + 1 < len(spans) and any(s < end < e for s, e, _ in entities):
            i += 1
            end = spans[i][1]
        inside = tuple((s - start, e - start, lab) for s, e, lab in entities if start <= s and e <= end)
        words = tuple((s - start, e - start) for s, e in doc.words if start <= s and e <= end)
        yield GoldDoc(f"{doc.doc_id}#{start}", doc.text[start:end], inside, words)
        i += 1


def to_spacy(nlp: Language, doc: GoldDoc, counts: Counter[str], *, entities: bool = True) -> Doc:
    """Tokenises a gold document; sets `doc.ents` from its character spans and, for a
    word-segmented corpus, each syllable's word tag (`B` starts a word, `I` continues it).

    A boundary inside a syllable token is widened to the token (`alignment_mode="expand"`)
    and counted in `counts["expanded"]`; mentions that then overlap keep the longest. With
    `entities=False` (a corpus without NER annotation) the entities stay missing, not `O`;
    syllables of a document without words keep no tag (missing for the tagger).
    """
    spacy_doc = nlp.make_doc(doc.text)
    for start, end in doc.words:
        span = spacy_doc.char_span(start, end)
        if span is None:
            counts["word_misaligned"] += 1
            continue
        for token in span:
            token.tag_ = "B" if token.i == span.start else "I"
    if not entities:
        return spacy_doc
    spans = []
    for start, end, label in doc.entities:
        counts["entities"] += 1
        span = spacy_doc.char_span(start, end, label=label)
        if span is None:
            counts["expanded"] += 1
            span = spacy_doc.char_span(start, end, label=label, alignment_mode="expand")
        if span is not None:
            spans.append(span)
    kept = filter_spans(spans)
    counts["overlap_dropped"] += len(spans) - len(kept)
    spacy_doc.ents = kept
    return spacy_doc


def build_corpus(shared: Path, out_dir: Path, *, extra: Iterable[Path] = ()) -> dict[str, int]:
    """Writes the training and dev DocBins: one Doc per sentence, syllable tokens.

    `train.spacy` holds the VLSP 2016 train split and VLSP 2018 train (entities), plus the
    UD Vietnamese VTB train sentences (words only: their entities stay missing); VLSP 2016
    also gives word tags. `dev2016.spacy` and `dev2018.spacy` are the two dev sets.

    Args:
        shared: The shared data folder.
        out_dir: Where to write the `.spacy` files (created if missing).
        extra: More annotated corpora for `train.spacy` (VLSP 2016/2018 or CoNLL folders or
            files, read by `pipeline.evaluate.read_gold`): one's own data.

    Returns:
        Counts: Docs per file, gold entities, and boundaries that fell inside a token
        (`expanded:<file>`).
    """
    corpora = load_corpora(shared)
    out_dir.mkdir(parents=True, exist_ok=True)
    nlp = blank_nlp()
    stats: dict[str, int] = {}
    ud_train = shared / "data" / "ud-vtb" / "vi_vtb-ud-train.conllu"
    words_only = list(read_conllu_words(ud_train)) if ud_train.is_file() else []
    own = [doc for path in extra for doc in read_gold(path)]
    files = {
        "train": [(doc, True) for doc in corpora["train2016"] + corpora["train2018"]]
        + [(doc, True) for doc in own]
        + [(doc, False) for doc in words_only],
        "dev2016": [(doc, True) for doc in corpora["dev2016"]],
        "dev2018": [(doc, True) for doc in corpora["dev2018"]],
    }
    for name, docs in files.items():
        counts: Counter[str] = Counter()
        bin_ = DocBin(store_user_data=False)
        for doc, has_entities in docs:
            for chunk in chunks(doc):
                if chunk.text.strip():
                    bin_.add(to_spacy(nlp, chunk, counts, entities=has_entities))
        bin_.to_disk(out_dir / f"{name}.spacy")
        stats[name] = len(bin_)
        for key, value in counts.items():
            stats[f"{key}:{name}"] = value
        logger.info("%s: %d docs, %s", name, len(bin_), dict(counts))
    return stats


def train_vectors(
    corpus: Path,
    out_dir: Path,
    *,
    articles: int = 60_000,
    dim: int = 100,
    epochs: int = 5,
    min_count: int = 5,
) -> Path:
    """Trains syllable vectors on news articles and saves them as a spaCy vectors folder.

    floret's cbow (floret mode: subwords hashed into 50k buckets) is trained on syllable
    tokens cut by the product's tokenizer; only the word table (syllables seen `min_count`
    times: 32.5k in the 60k articles) is kept, so the vectors add ~13 MB to the model (~20
    minutes on one core). Needs `pip install floret`.

    Args:
        corpus: A `.jsonl.gz` of `{"title", "text"}` articles (the shared 60k corpus).
        out_dir: Where to write `sample.txt`, `vectors.vec` and the `vectors/` folder.
        articles: How many articles to train on, from the start of the file.
        dim: Vector width.
        epochs: Passes over the sample.
        min_count: Syllables seen fewer times get no vector.

    Returns:
        The spaCy vectors folder, for `[initialize] vectors` (`paths.vectors`).
    """
    import gzip
    import json
    import unicodedata

    import floret
    from spacy.training.initialize import convert_vectors

    from pipeline.segment import syllables

    out_dir.mkdir(parents=True, exist_ok=True)
    sample = out_dir / "sample.txt"
    with gzip.open(corpus, "rt", encoding="utf-8") as lines, sample.open("w", encoding="utf-8") as out:
        for line in itertools.islice(lines, articles):
            article = json.loads(line)
            for paragraph in f"{article['title']}\n{article['text']}".split("\n"):
                paragraph = unicodedata.normalize("NFC", paragraph)
                tokens = [paragraph[a:b] for a, b in syllables(paragraph)]
                if tokens:
                    out.write(" ".join(tokens) + "\n")
    model = floret.train_unsupervised(
        str(sample),
        model="cbow",
        mode="floret",
        hashCount=2,
        bucket=50_000,
        minn=3,
        maxn=5,
        dim=dim,
        epoch=epochs,
        minCount=min_count,
        neg=10,
        thread=1,
    )
    model.save_vectors(str(out_dir / "vectors.vec"))
    nlp = blank_nlp()
    convert_vectors(nlp, out_dir / "vectors.vec", truncate=0, prune=-1)
    nlp.to_disk(out_dir / "vectors")
    return out_dir / "vectors"


@registry.readers("vi_news.corpora.v1")
def create_corpora(path: Path, names: list[str]) -> Callable[[Language], Iterator[Example]]:
    """spaCy config hook: several DocBins in one folder, read one after the other.

    Each example's reference Doc records which DocBin it came from (`user_data["corpus"]`,
    the file's stem), for `vi_news.ents_by_corpus_scorer.v1`.
    """

    def read(nlp: Language) -> Iterator[Example]:
        for name in names:
            for example in Corpus(Path(path) / name)(nlp):
                example.reference.user_data["corpus"] = Path(name).stem
                yield example

    return read


# `last`: the weights at the end of training; `best`: the checkpoint with the best dev score.
# With parameter averaging the last is the one to keep: the 0.4 run's best checkpoint (6.8k of
# 9k steps) scored 89.21 / 83.36 NER F1 on 2016 / 2018 dev but 95.25 word F1 on UD-VTB test;
# the last 88.38 / 83.28 and 96.23. The dev score cannot see the word test, and 2016 dev's
# F1 swings by ±1 between checkpoints.
CHECKPOINTS = ("last", "best")


def train(
    config: Path,
    out_dir: Path,
    *,
    corpus_dir: Path,
    overrides: dict | None = None,
    checkpoint: str = "last",
) -> Path:
    """Trains the pipeline described by `config` on the DocBins in `corpus_dir`.

    Run with one BLAS thread (`OMP_NUM_THREADS=1`) on shared machines.

    Args:
        config: The spaCy config (`configs/ner.cfg`).
        out_dir: Where spaCy writes `model-last` and `model-best`.
        corpus_dir: The folder written by `build_corpus`.
        overrides: Further config overrides (`{"training.max_steps": 100}`).
        checkpoint: Which model to return: `last` or `best` (see `CHECKPOINTS`).

    Returns:
        The `model-last` or `model-best` folder.
    """
    from spacy.cli.train import train as spacy_train

    if checkpoint not in CHECKPOINTS:
        raise ValueError(f"unknown checkpoint {checkpoint!r}; choose from {', '.join(CHECKPOINTS)}")

    settings = {"paths.corpus": str(corpus_dir), **(overrides or {})}
    with numpy_blas_ops():
        spacy_train(config, out_dir, overrides=settings)
    return out_dir / f"model-{checkpoint}"


def train_all(
    shared: Path,
    out_dir: Path,
    *,
    config: Path,
    vectors: Path | None = None,
    install: Path | None = None,
    extra: Iterable[Path] = (),
    corpus: Path | None = None,
    overrides: dict | None = None,
    checkpoint: str = "last",
) -> Path:
    """The whole recipe behind `make train`: corpus, vectors, training, optional install.

    Args:
        shared: The shared data folder (VLSP corpora, `data/corpus/vietnews-train-60k.jsonl.gz`).
        out_dir: Working folder: `corpus/`, `vectors/`, `run/` are written here.
        config: The spaCy training config.
        vectors: A ready spaCy vectors folder; default: train them here with floret.
        install: Copy the trained model to this folder when done (replacing what is there).
        extra: One's own annotated corpora (CoNLL, VLSP) added to the training set.
        corpus: DocBins written before (`build_corpus`): train on these instead of building
            them here (not with `extra`, which goes into a corpus as it is built).
        overrides: Further config overrides (`{"training.max_steps": 100}`).
        checkpoint: Which model to keep: `last` or `best` (see `CHECKPOINTS`).

    Returns:
        The trained model's folder (`install` when given).

    Raises:
        InputError: Missing corpora, or floret not installed when vectors must be trained.
    """
    import shutil

    extra = list(extra)
    if corpus is not None and extra:
        raise InputError("extra corpora go into the corpus as it is built: drop --corpus, or --extra")
    if corpus is None:
        corpus = out_dir / "corpus"
        build_corpus(shared, corpus, extra=extra)
    elif not (corpus / "train.spacy").is_file():
        raise InputError(f"{corpus}: no train.spacy here (write it with `pipeline train` once)")
    if vectors is None:
        try:
            import floret  # noqa: F401
        except ImportError:
            raise InputError(
                "training vectors needs floret: pip install floret (or pass --vectors)"
            ) from None
        news = shared / "data" / "corpus" / "vietnews-train-60k.jsonl.gz"
        if not news.is_file():
            raise InputError(f"{news}: not found; the vectors are trained on it")
        vectors = train_vectors(news, out_dir / "vectors")
    settings = {"paths.vectors": str(vectors), **(overrides or {})}
    trained = train(config, out_dir / "run", corpus_dir=corpus, overrides=settings, checkpoint=checkpoint)
    if install is None:
        return trained
    staging = install.with_name(install.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(trained, staging)
    shutil.rmtree(install, ignore_errors=True)
    staging.rename(install)
    return install
