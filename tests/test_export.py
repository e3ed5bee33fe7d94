"""Export stage: tables written atomically, read back with their dtypes from either format."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import export, schema
from pipeline.errors import OutputError


def _rows() -> export.Rows:
    rows = export.empty_rows()
    rows["entities"].append(
        {
            "doc_id": "a",
            "sent_id": 0,
            "entity_id": 0,
            "start": 8,
            "end": 22,
            "text": "Vladimir Putin",
            "label": "PER",
            "source": "rules",
        }
    )
    return rows


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_round_trip_keeps_values_and_dtypes(tmp_path: Path, fmt: str) -> None:
    export.write_tables(_rows(), tmp_path, formats=[fmt])
    tables = export.load(tmp_path)
    assert set(tables) == set(schema.TABLE_NAMES)
    entities = tables["entities"]
    assert entities.to_dict("records") == _rows()["entities"]
    assert {c: str(t) for c, t in entities.dtypes.items()} == {
        c: str(t) for c, t in schema.pandas_dtypes("entities").items()
    }
    assert str(entities["start"].dtype) == "int32" and str(entities["text"].dtype) == "string"
    assert len(tables["documents"]) == 0


def test_a_failed_write_leaves_no_table_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(table, path: Path, fmt: str) -> None:
        path.write_bytes(b"PAR1 half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export, "write_file", crash)
    with pytest.raises(OutputError, match="No space left"):
        export.write_tables(_rows(), tmp_path, formats=["parquet"], tables=["entities"])
    assert list(tmp_path.iterdir()) == []


def test_a_previous_table_survives_a_failed_rewrite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    export.write_tables(_rows(), tmp_path, formats=["parquet"], tables=["entities"])
    monkeypatch.setattr(export, "write_file", lambda *a: (_ for _ in ()).throw(OSError(5, "I/O error")))
    with pytest.raises(OutputError):
        export.write_tables(export.empty_rows(), tmp_path, formats=["parquet"], tables=["entities"])
    assert export.load(tmp_path)["entities"]["text"].tolist() == ["Vladimir Putin"]


def test_load_says_what_to_do_when_empty(tmp_path: Path) -> None:
    from pipeline.errors import InputError

    with pytest.raises(InputError, match="run `python -m pipeline run"):
        export.load(tmp_path)
