"""Paths only: where the project's data, models and the shared corpora live."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_RAW = PROJECT_ROOT / "data" / "raw"
DATA_PROCESSED = PROJECT_ROOT / "data" / "processed"
MODELS = PROJECT_ROOT / "models"
# The shared corpora (VLSP, UD-VTB, news benchmarks) are read in place, never copied in.
SHARED = Path(os.environ.get("VI_NER_SHARED", PROJECT_ROOT.parent / "shared"))
