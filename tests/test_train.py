"""Training end to end, shortened: the real corpora and config, a few steps, an installed model."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import config
from pipeline.inference import load_model


@pytest.mark.slow
def test_train_builds_and_installs_a_working_model(shared: Path, tmp_path: Path) -> None:
    from pipeline.train import train_all

    own = tmp_path / "own.conll"
    own.write_text("Ông\tO\nNguyễn_Văn_An\tB-PER\nđến\tO\nHà_Nội\tB-LOC\n.\tO\n", encoding="utf-8")
    installed = train_all(
        shared,
        tmp_path / "work",
        config=config.PROJECT_ROOT / "configs" / "ner-tagger.cfg",
        vectors=config.MODELS / "ner-vi",  # its syllable vectors, instead of training new ones
        install=tmp_path / "ner-vi",
        extra=[own],
        overrides={
            "training.max_steps": 2,
            "training.eval_frequency": 1,
            "corpora.dev.names": ["dev2016.spacy"],
        },
    )
    assert installed == tmp_path / "ner-vi"
    assert (tmp_path / "work" / "corpus" / "train.spacy").is_file()
    nlp = load_model(installed)
    assert nlp.pipe_names == ["tok2vec", "tagger", "ner"]
    ner_tags = set(nlp.get_pipe("ner").labels)  # BILUO tags of the entity tagger
    assert ner_tags == {"O"} | {f"{p}-{kind}" for kind in ("PER", "LOC", "ORG") for p in "BILU"}
    assert set(nlp.get_pipe("tagger").labels) == {"B", "I"}
    doc = nlp("Ông Nguyễn Văn An đến Hà Nội.")
    assert [t.text for t in doc] == ["Ông", "Nguyễn", "Văn", "An", "đến", "Hà", "Nội", "."]

    # Again from the CLI, on the DocBins just built, with config overrides: nothing is rebuilt.
    from typer.testing import CliRunner

    from pipeline.cli import app

    built = (tmp_path / "work" / "corpus" / "train.spacy").stat().st_mtime_ns
    result = CliRunner().invoke(
        app,
        [
            "train",
            str(tmp_path / "again"),
            "--corpus",
            str(tmp_path / "work" / "corpus"),
            "--vectors",
            str(config.MODELS / "ner-vi"),
            "--install",
            str(tmp_path / "ner-vi-again"),
            "--set",
            "training.max_steps=1",
            "--set",
            "training.eval_frequency=1",
            "--set",
            'corpora.dev.names=["dev2016.spacy"]',
        ],
    )
    assert result.exit_code == 0, result.output
    assert load_model(tmp_path / "ner-vi-again").pipe_names == ["tok2vec", "tagger", "ner"]
    assert not (tmp_path / "again" / "corpus").exists()
    assert (tmp_path / "work" / "corpus" / "train.spacy").stat().st_mtime_ns == built
