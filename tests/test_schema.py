"""The schema module is the one place tables are defined; the README's data dictionary follows it."""

from __future__ import annotations

from pipeline import config, schema


def test_every_table_has_offsets_or_ids() -> None:
    assert schema.TABLE_NAMES == ("documents", "sentences", "tokens", "entities", "dates")
    for name in schema.TABLE_NAMES[1:]:
        names = [c.name for c in schema.TABLES[name]]
        assert names[:2] == ["doc_id", "sent_id"] and {"start", "end", "text"} <= set(names)


def test_empty_frames_keep_dtypes() -> None:
    frame = schema.empty_frame("entities")
    assert len(frame) == 0
    assert str(frame["start"].dtype) == "int32"
    assert str(frame["label"].dtype) == "string"


def test_readme_data_dictionary_matches_schema() -> None:
    readme = (config.PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert schema.data_dictionary() in readme, "regenerate it: python -m pipeline schema"
