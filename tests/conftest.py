"""Shared fixtures: the sample pages, the shared corpora path, one pipeline per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import config

RAW = config.DATA_RAW
SAMPLE_000 = RAW / "000_7f6af634dd5a9d66.txt"
SAMPLE_003 = RAW / "003_18ad292a2e988f66.txt"


@pytest.fixture(scope="session")
def nlp():
    """The full pipeline, loaded once (the CRF models take a moment)."""
    from pipeline.process import build_nlp

    return build_nlp()


@pytest.fixture(scope="session")
def sample_tables(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The tables of a real run over data/raw (the two sample pages)."""
    from pipeline.export import load
    from pipeline.process import run

    out = tmp_path_factory.mktemp("processed")
    run(RAW, out, progress=False)
    return load(out)


@pytest.fixture(scope="session")
def shared() -> Path:
    """The shared corpora, or a polite skip when they are not beside the project."""
    if not config.SHARED.is_dir():
        pytest.skip(f"shared corpora not found at {config.SHARED} (set VI_NER_SHARED)")
    return config.SHARED
