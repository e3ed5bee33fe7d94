"""The whole pipeline: the samples end to end, the library API, invariants and bad input."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline import annotate, schema
from pipeline.export import load
from pipeline.inputs import InputDocument
from pipeline.process import process_documents, resolve_stages, run
from tests.conftest import SAMPLE_000, SAMPLE_003


def test_sample_documents(sample_tables: dict) -> None:
    docs = sample_tables["documents"].set_index("doc_id")
    first, second = docs.loc[SAMPLE_000.name], docs.loc[SAMPLE_003.name]
    assert first["title"] == "Phái đoàn quân sự Nga thăm Triều Tiên"
    assert first["published"] == pd.Timestamp("2024-07-19")
    assert first["outlet"] == "Báo Quốc Tế"
    assert first["url"] == "https://baoquocte.vn/phai-doan-quan-su-nga-tham-trieu-tien-279309.html"
    assert second["title"] == "Nga nhấn mạnh tầm quan trọng của hiệp ước quốc phòng với Triều Tiên"
    assert second["published"] == pd.Timestamp("2024-11-30 12:24")
    assert second["author"] == "Mỹ Nga"
    assert set(docs["status"]) == {"ok"}
    assert first["text"].startswith("Phái đoàn quân sự Nga thăm Triều Tiên\n\nNgày 18/7, Chủ tịch")
    for furniture in ("Bình luận", "No data", "Cùng chủ đề", "belousov.png", "Vietnam.vn"):
        assert furniture not in first["text"] and furniture not in second["text"]


def test_sample_dates(sample_tables: dict) -> None:
    dates = sample_tables["dates"]
    found = {(r.doc_id, r.text, r.value) for r in dates.itertuples()}
    assert {
        (SAMPLE_000.name, "Ngày 18/7", "2024-07-18"),
        (SAMPLE_000.name, "tháng 6 vừa qua", "2024-06"),
        (SAMPLE_000.name, "hôm 8/7", "2024-07-08"),
        (SAMPLE_000.name, "Ngày 19/6 vừa qua", "2024-06-19"),
        (SAMPLE_003.name, "ngày 30/11", "2024-11-30"),
        (SAMPLE_003.name, "năm 1945", "1945"),
        (SAMPLE_003.name, "1950-1953", "1950/1953"),
        (SAMPLE_003.name, "Năm tới", "2025"),
        (SAMPLE_003.name, "ngày 9/5/2025", "2025-05-09"),
        (SAMPLE_003.name, "ngày 19/6/2024", "2024-06-19"),
    } <= found
    assert not any("80 năm" in text for _, text, _ in found)


@pytest.mark.parametrize("table", ["sentences", "tokens", "entities", "dates"])
def test_offsets_slice_document_text(sample_tables: dict, table: str) -> None:
    texts = sample_tables["documents"].set_index("doc_id")["text"]
    rows = sample_tables[table]
    assert len(rows) > 0
    for row in rows.itertuples():
        assert texts[row.doc_id][row.start : row.end] == row.text


def test_tables_have_schema_dtypes(sample_tables: dict) -> None:
    for name, frame in sample_tables.items():
        assert list(frame.columns) == [c.name for c in schema.TABLES[name]]
        assert {c: str(t) for c, t in frame.dtypes.items()} == {
            c: str(t) for c, t in schema.pandas_dtypes(name).items()
        }


def test_tokens_carry_entity_tags(sample_tables: dict) -> None:
    entities, tokens = sample_tables["entities"], sample_tables["tokens"]
    kim = entities[(entities["doc_id"] == SAMPLE_000.name) & (entities["text"] == "Kim Jong Un")].iloc[0]
    doc_tokens = tokens[tokens["doc_id"] == SAMPLE_000.name]
    inside = doc_tokens[(doc_tokens["start"] >= kim["start"]) & (doc_tokens["end"] <= kim["end"])]
    assert " ".join(inside["text"]) == "Kim Jong Un"
    assert inside["ent_iob"].tolist() == ["B"] + ["I"] * (len(inside) - 1)
    assert set(inside["ent_label"]) == {"PER"}


def test_annotate_texts_and_frames() -> None:
    tables = annotate(
        ["Ngày 19/6, Tổng thống Nga Vladimir Putin thăm Bình Nhưỡng."], reference_date=datetime(2024, 7, 1)
    )
    assert tables["entities"]["text"].tolist() == ["Nga", "Vladimir Putin", "Bình Nhưỡng"]
    assert tables["dates"][["text", "value"]].values.tolist() == [["Ngày 19/6", "2024-06-19"]]
    frame = pd.DataFrame(
        {
            "id": ["a1"],
            "title": ["Thủ tướng thăm Nhật Bản"],
            "text": ["Thủ tướng Phạm Minh Chính đến Tokyo hôm qua."],
            "published": ["2024-05-20"],
        }
    )
    tables = annotate(frame)
    docs = tables["documents"]
    assert docs["doc_id"].tolist() == ["a1"]
    assert docs["text"].iloc[0] == "Thủ tướng thăm Nhật Bản\n\nThủ tướng Phạm Minh Chính đến Tokyo hôm qua."
    assert tables["dates"]["value"].tolist() == ["2024-05-19"]
    assert ("Phạm Minh Chính", "PER") in set(
        zip(tables["entities"]["text"], tables["entities"]["label"], strict=True)
    )


def test_stages_subset(tmp_path: Path) -> None:
    assert resolve_stages(["ner"]) == ("clean", "segment", "ner")
    with pytest.raises(ValueError, match="unknown stage"):
        resolve_stages(["parse"])
    summary = run(SAMPLE_000, tmp_path, stages=["clean"], formats=["parquet"], progress=False)
    assert summary.ok == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_manifest.json", "documents"]


BAD_INPUTS = {
    "binary.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10",
    "empty.txt": b"",
    "blank.txt": b"   \n\n\t  \n",
    "menu.txt": "Trang chủ\n\nThời sự\n\nThế giới\n\nBình luận (0)\n\nNo data\n".encode(),
}


def test_bad_input_is_recorded_not_lost(tmp_path: Path) -> None:
    source = tmp_path / "in"
    (source / "sub").mkdir(parents=True)
    for name, data in BAD_INPUTS.items():
        (source / name).write_bytes(data)
    (source / "sub" / "good.txt").write_bytes(SAMPLE_003.read_bytes())
    rows = [
        {"id": "r1", "title": "Tin", "text": "Tổng thống Nga Vladimir Putin thăm Bình Nhưỡng."},
        {"id": "r2", "title": "Trống", "text": ""},
    ]
    (source / "rows.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n{broken\n"
    )
    summary = run(source, tmp_path / "out", progress=False)
    docs = load(tmp_path / "out")["documents"].set_index("doc_id")
    assert summary.documents == len(docs) == 8
    status = docs["status"].to_dict()
    assert status["sub/good.txt"] == "ok" and status["r1"] == "ok"
    assert status["binary.txt"] == "failed"
    assert status["empty.txt"] == status["blank.txt"] == status["r2"] == "empty"
    assert status["menu.txt"] == "failed"
    assert status["rows.jsonl#2"] == "failed"
    assert "binary.txt" in docs.loc["binary.txt", "error"]
    assert docs.loc["sub/good.txt", "error"] is pd.NA


def test_missing_input_names_the_path(tmp_path: Path) -> None:
    from pipeline.errors import InputError

    with pytest.raises(InputError, match="does not exist"):
        run(tmp_path / "nowhere", tmp_path / "out", progress=False)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300).map(lambda t: t.encode("utf-8"))))
def test_no_input_crashes_the_run(nlp, data: bytes) -> None:
    item = InputDocument("x.txt", "x.txt", "page", data=data)
    (rows,) = list(process_documents([item], nlp=nlp))
    (document,) = rows.records("documents")
    assert document["status"] in {"ok", "empty", "failed"}
    assert (document["error"] is None) == (document["status"] == "ok")
    text = document["text"] or ""
    for table in ("sentences", "tokens", "entities", "dates"):
        for row in rows.records(table):
            assert text[row["start"] : row["end"]] == row["text"]


def test_parquet_table_input(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "id": ["p1", "p2"],
            "title": ["Tin thế giới", None],
            "text": ["Tổng thống Nga Vladimir Putin thăm Bình Nhưỡng ngày 19/6.", "   "],
            "published": ["2024-07-19T08:30", None],
            "url": ["https://example.vn/a.html", None],
        }
    )
    frame.to_parquet(tmp_path / "articles.parquet")
    summary = run(tmp_path / "articles.parquet", tmp_path / "out", progress=False)
    tables = load(tmp_path / "out")
    docs = tables["documents"].set_index("doc_id")
    assert (summary.ok, summary.empty) == (1, 1)
    assert docs.loc["p1", "source"] == "articles.parquet#0"
    assert docs.loc["p1", "published"] == pd.Timestamp("2024-07-19 08:30")
    assert docs.loc["p1", "url"] == "https://example.vn/a.html"
    assert tables["dates"]["value"].tolist() == ["2024-06-19"]
