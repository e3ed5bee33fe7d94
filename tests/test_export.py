"""Export stage: tables written atomically, read back with their dtypes from either format."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import export, schema
from pipeline.errors import OutputError


def _rows() -> export.Rows:
    rows = export.Rows()
    rows.add(
        "entities",
        {
            "doc_id": "a",
            "sent_id": 0,
            "entity_id": 0,
            "start": 8,
            "end": 22,
            "text": "Vladimir Putin",
            "label": "PER",
            "source": "rules",
        },
    )
    return rows


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_round_trip_keeps_values_and_dtypes(tmp_path: Path, fmt: str) -> None:
    export.write_tables(_rows(), tmp_path, formats=[fmt])
    tables = export.load(tmp_path)
    assert set(tables) == set(schema.TABLE_NAMES)
    entities = tables["entities"]
    assert entities.to_dict("records") == _rows().records("entities")
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
        export.write_tables(export.Rows(), tmp_path, formats=["parquet"], tables=["entities"])
    assert export.load(tmp_path)["entities"]["text"].tolist() == ["Vladimir Putin"]


def test_load_says_what_to_do_when_empty(tmp_path: Path) -> None:
    from pipeline.errors import InputError

    with pytest.raises(InputError, match="run `python -m pipeline run"):
        export.load(tmp_path)


def test_rows_check_their_columns() -> None:
    rows = _rows()
    with pytest.raises(KeyError, match="entities has no column lable"):
        rows.add("entities", {"doc_id": "a", "lable": "PER"})
    with pytest.raises(ValueError, match="every column"):
        rows.add_columns("dates", {"doc_id": ["a"]})
    more = export.Rows()
    more.add("entities", {"doc_id": "b", "sent_id": 0, "entity_id": 0, "start": 0, "end": 3, "text": "Nga"})
    rows.extend(more)
    assert rows.count("entities") == 2 and rows.count("tokens") == 0
    assert rows.records("entities")[1]["label"] is None  # a column left out is null
    assert rows.arrow("entities").column("text").to_pylist() == ["Vladimir Putin", "Nga"]
