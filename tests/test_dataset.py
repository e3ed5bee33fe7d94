"""Partitioned, incremental and resumable runs: re-runs skip what has not changed, deleted inputs
lose their rows, a killed run finishes with exactly the rows of a clean one, workers agree."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from pipeline import dataset, load, run
from tests.conftest import SAMPLE_000, SAMPLE_003

ARTICLES = [
    ("a1", "Putin thăm Triều Tiên", "Ngày 19/6, Tổng thống Nga Vladimir Putin đến Bình Nhưỡng."),
    ("a2", "Họp Quốc hội", "Sáng nay, Chủ tịch Quốc hội Trần Thanh Mẫn chủ trì phiên họp tại Hà Nội."),
    ("a3", "Bão số 3", "Chiều 7/9, bão số 3 đổ bộ vào Quảng Ninh và Hải Phòng."),
    ("a4", "Kinh tế", "Ngân hàng Nhà nước Việt Nam công bố số liệu quý I/2025 vào tuần tới."),
    ("a5", "Bóng đá", "Đội tuyển Việt Nam thắng Thái Lan 2-1 tối qua tại sân Mỹ Đình."),
    ("a6", "Ngoại giao", "Bộ trưởng Ngoại giao Bùi Thanh Sơn gặp người đồng cấp Nhật Bản ở Tokyo năm ngoái."),
    ("a7", "Giáo dục", "Trường Đại học Bách khoa Hà Nội khai giảng năm học mới vào ngày 5/9/2024."),
]


def _write_jsonl(path: Path, articles: list[tuple[str, str, str]]) -> None:
    lines = [
        json.dumps({"id": i, "title": t, "text": x, "published": "2024-09-10T08:00"}, ensure_ascii=False)
        for i, t, x in articles
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _sorted(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The tables in a canonical row order (parts are read in file order, which may differ)."""
    keys = {"documents": ["doc_id"], "sentences": ["doc_id", "sent_id"], "tokens": ["doc_id", "token_id"]}
    keys |= {"entities": ["doc_id", "entity_id"], "dates": ["doc_id", "start"]}
    return {name: frame.sort_values(keys[name]).reset_index(drop=True) for name, frame in tables.items()}


def _assert_same_tables(got: Path, expected: Path) -> None:
    left, right = _sorted(load(got)), _sorted(load(expected))
    assert left.keys() == right.keys()
    for name in left:
        pd.testing.assert_frame_equal(left[name], right[name], obj=name)


def _part_times(output: Path) -> dict[str, int]:
    return {str(p.relative_to(output)): p.stat().st_mtime_ns for p in output.rglob("*.parquet")}


def test_rerun_redoes_only_what_changed(tmp_path: Path) -> None:
    source, out = tmp_path / "in", tmp_path / "out"
    source.mkdir()
    _write_jsonl(source / "world.jsonl", ARTICLES[:3])
    _write_jsonl(source / "home.jsonl", ARTICLES[3:5])
    (source / SAMPLE_003.name).write_bytes(SAMPLE_003.read_bytes())
    first = run(source, out, chunk_size=2, progress=False)
    assert (first.documents, first.parts) == (6, 4)  # world: 2 parts, home: 1, pages: 1

    parts = _part_times(out)
    again = run(source, out, chunk_size=2, progress=False)
    assert (again.documents, again.skipped, again.removed) == (0, 6, 0)
    assert _part_times(out) == parts  # nothing rewritten

    _write_jsonl(source / "home.jsonl", [ARTICLES[3], ARTICLES[6]])  # a5 replaced by a7
    (source / "world.jsonl").unlink()
    (source / SAMPLE_000.name).write_bytes(SAMPLE_000.read_bytes())
    changed = run(source, out, chunk_size=2, progress=False)
    assert (changed.documents, changed.skipped) == (4, 0)  # home (2) and the page bucket (2 pages)
    assert changed.removed == 2 * 5  # world's two parts, in all five tables
    docs = load(out)["documents"]
    assert sorted(docs["doc_id"]) == sorted(["a4", "a7", SAMPLE_000.name, SAMPLE_003.name])

    run(source, tmp_path / "clean", chunk_size=2, progress=False)
    _assert_same_tables(out, tmp_path / "clean")


def test_changed_settings_or_force_redo_everything(tmp_path: Path) -> None:
    source, out = tmp_path / "articles.jsonl", tmp_path / "out"
    _write_jsonl(source, ARTICLES[:2])
    run(source, out, progress=False)
    assert run(source, out, progress=False, force=True).documents == 2
    assert run(source, out, progress=False, reference_date=pd.Timestamp("2024-01-01")).documents == 2
    cleaned = run(source, out, stages=["clean"], progress=False)
    assert cleaned.documents == 2 and cleaned.removed == 4  # the four annotation tables are gone
    assert sorted(p.name for p in out.iterdir()) == ["_manifest.json", "documents"]


def test_pages_are_bucketed_and_a_changed_page_redoes_its_bucket_only(tmp_path: Path) -> None:
    source, out = tmp_path / "in", tmp_path / "out"
    source.mkdir()
    for number, (_, title, text) in enumerate(ARTICLES):
        (source / f"{number:03d}.txt").write_text(f"{title}\n\n{text}\n", encoding="utf-8")
    first = run(source, out, chunk_size=2, stages=["clean"], progress=False)
    manifest = json.loads((out / dataset.MANIFEST).read_text(encoding="utf-8"))
    assert manifest["page_buckets"] == 4  # 7 pages / 2 per part, rounded up to a power of two
    assert first.parts == len(list((out / "documents").iterdir())) <= 4
    (source / "002.txt").write_text(
        "Bão số 3\n\nChiều 8/9, bão số 3 suy yếu thành áp thấp.\n", encoding="utf-8"
    )
    again = run(source, out, chunk_size=2, stages=["clean"], progress=False)
    assert again.parts == 1 and again.documents < 7
    docs = load(out)["documents"].set_index("doc_id")
    assert "8/9" in docs.loc["002.txt", "text"]


def test_two_workers_write_the_same_rows_as_one(tmp_path: Path) -> None:
    source = tmp_path / "articles.jsonl"
    _write_jsonl(source, ARTICLES)
    one = run(source, tmp_path / "one", chunk_size=2, workers=1, progress=False)
    two = run(source, tmp_path / "two", chunk_size=2, workers=2, progress=False)
    assert (one.documents, one.dates, one.parts) == (two.documents, two.dates, two.parts) == (7, 8, 4)
    _assert_same_tables(tmp_path / "two", tmp_path / "one")
    entities = set(load(tmp_path / "two")["entities"]["text"])
    assert {"Vladimir Putin", "Bình Nhưỡng", "Bùi Thanh Sơn", "Ngân hàng Nhà nước Việt Nam"} <= entities


def test_a_killed_run_resumes_to_the_rows_of_a_clean_run(tmp_path: Path) -> None:
    source, out = tmp_path / "articles.jsonl", tmp_path / "out"
    copies = [(f"{i}-{n}", t, x) for n in range(4) for i, t, x in ARTICLES]
    _write_jsonl(source, copies)  # 28 documents, one per part
    command = [sys.executable, "-m", "pipeline", "run", str(source), str(out), "--chunk-size", "1"]
    command += ["--workers", "1", "--no-progress"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    journal = out / dataset.JOURNAL
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if journal.exists() and journal.read_text(encoding="utf-8").count("\n") >= 3:
            break
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    finished = journal.read_text(encoding="utf-8").count("\n")
    assert 3 <= finished < 28

    resumed = run(source, out, chunk_size=1, progress=False)
    assert resumed.skipped >= finished and resumed.documents + resumed.skipped == 28
    assert not journal.exists()
    run(source, tmp_path / "clean", chunk_size=1, progress=False)
    _assert_same_tables(out, tmp_path / "clean")


def test_dask_engine_writes_the_same_rows_as_the_local_engine(tmp_path: Path) -> None:
    pytest.importorskip("dask.distributed")
    source = tmp_path / "articles.jsonl"
    _write_jsonl(source, ARTICLES)
    run(source, tmp_path / "local", chunk_size=2, progress=False)
    summary = run(source, tmp_path / "dask", chunk_size=2, engine="dask", workers=2, progress=False)
    assert summary.parts == 4
    _assert_same_tables(tmp_path / "dask", tmp_path / "local")


def _pipelines_loaded() -> int:
    from pipeline import process

    return len(process._NLP_CACHE)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_dask_engine_on_a_cluster_started_apart(tmp_path: Path) -> None:
    """`run --engine dask --scheduler ADDRESS` on a scheduler and a worker started as their own
    processes (`dask scheduler`, `dask worker`), as on separate machines: the local engine's rows."""
    distributed = pytest.importorskip("dask.distributed")
    source = tmp_path / "articles.jsonl"
    _write_jsonl(source, ARTICLES)
    address = f"tcp://127.0.0.1:{_free_port()}"
    dask = [sys.executable, "-m", "dask"]
    scheduler = subprocess.Popen(
        [*dask, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1], "--no-dashboard"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = subprocess.Popen(
        [
            *dask,
            "worker",
            address,
            "--nworkers",
            "1",
            "--nthreads",
            "1",
            "--no-dashboard",
            "--memory-limit",
            "0",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,  # not the project folder: the worker uses the installed package
    )
    try:
        with distributed.Client(address, timeout=60) as client:
            client.wait_for_workers(1, timeout=60)
        command = ["run", str(source), str(tmp_path / "dask"), "--engine", "dask", "--scheduler", address]
        result = subprocess.run(
            [sys.executable, "-m", "pipeline", *command, "--chunk-size", "2"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        import cloudpickle

        cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the worker cannot import this file
        with distributed.Client(address, timeout=60) as client:  # the worker started apart did the work
            loaded = client.run(_pipelines_loaded)
        assert list(loaded.values()) == [1]
    finally:
        worker.terminate()
        scheduler.terminate()
        worker.wait(timeout=30)
        scheduler.wait(timeout=30)
    run(source, tmp_path / "local", chunk_size=2, progress=False)
    _assert_same_tables(tmp_path / "dask", tmp_path / "local")


@pytest.mark.skipif(os.name != "posix", reason="permissions")
def test_an_unwritable_output_is_a_clear_error(tmp_path: Path) -> None:
    from pipeline.errors import OutputError

    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    with pytest.raises(OutputError, match="cannot create"):
        run(SAMPLE_000, blocked / "out", progress=False)


def test_scale_bench_measures_memory_speed_and_rerun(tmp_path: Path) -> None:
    from pipeline.bench import report_scale, scale

    corpus = tmp_path / "articles.jsonl"
    _write_jsonl(corpus, ARTICLES)
    measures = scale(corpus, sizes=(3, 7), workers=(1,))
    assert [(m.documents, m.workers) for m in measures] == [(3, 1), (7, 1)]
    for m in measures:
        assert m.syllables > 0 and m.seconds > 0 and m.peak_mib > 100
        assert 0 < m.rerun_seconds < 30  # a whole `python -m pipeline run` that finds nothing to do
    assert "peak memory, 7 vs 3 documents (one worker)" in report_scale(measures)


def test_combine_writes_one_file_per_table_equal_to_its_parts(tmp_path: Path) -> None:
    """A run's parts, combined into one CSV and one Parquet file per table, read back as the run's tables."""
    from typer.testing import CliRunner

    from pipeline import combine
    from pipeline.cli import app
    from pipeline.errors import InputError
    from pipeline.export import table_parts

    source, out, dest = tmp_path / "in", tmp_path / "out", tmp_path / "combined"
    source.mkdir()
    _write_jsonl(source / "news.jsonl", ARTICLES)
    run(source, out, chunk_size=2, progress=False)
    assert len(table_parts(out)["entities"]) == 4  # 7 articles, 2 per part
    written = combine(out, dest, formats=("csv", "parquet"))
    assert sorted(p.name for p in written) == sorted(
        f"{name}.{fmt}"
        for name in ("documents", "sentences", "tokens", "entities", "dates")
        for fmt in ("csv", "parquet")
    )
    from_parts = load(out)
    for fmt in ("csv", "parquet"):
        folder = tmp_path / fmt
        folder.mkdir()
        for name in from_parts:
            os.replace(dest / f"{name}.{fmt}", folder / f"{name}.{fmt}")
        combined = load(folder)
        for name, frame in from_parts.items():
            pd.testing.assert_frame_equal(combined[name], frame, obj=f"{name}.{fmt}")
    people = from_parts["entities"].query("label == 'PER'")["text"].tolist()
    assert "Vladimir Putin" in people and "Bùi Thanh Sơn" in people

    result = CliRunner().invoke(app, ["combine", str(out), str(dest), "--table", "entities"])
    assert result.exit_code == 0, result.output
    assert result.output.split() == [str(dest / "entities.csv")]
    with pytest.raises(InputError, match="no spans table"):
        combine(out, dest, tables=["spans"])
