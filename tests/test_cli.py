"""The command line on temporary folders: the contract other tools rely on."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from pipeline.cli import app
from tests.conftest import SAMPLE_000, SAMPLE_003

runner = CliRunner()


def test_run_module_writes_both_formats(tmp_path: Path) -> None:
    source = tmp_path / "raw"
    source.mkdir()
    (source / SAMPLE_003.name).write_bytes(SAMPLE_003.read_bytes())
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", str(source), str(tmp_path / "out"), "--format", "both"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("1 documents: 1 ok, 0 empty, 0 failed;")
    for table in ("documents", "sentences", "tokens", "entities", "dates"):
        assert [p.name for p in (tmp_path / "out" / table).iterdir()] == ["pages-1-00000.parquet"]
        assert [p.name for p in (tmp_path / "out" / "csv" / table).iterdir()] == ["pages-1-00000.csv"]
    csv = pd.read_csv(tmp_path / "out" / "csv" / "documents" / "pages-1-00000.csv")
    assert csv["title"].tolist() == ["Nga nhấn mạnh tầm quan trọng của hiệp ước quốc phòng với Triều Tiên"]


def test_run_options(tmp_path: Path) -> None:
    table = tmp_path / "articles.csv"
    pd.DataFrame({"ma": ["x1"], "noi_dung": ["Hôm qua, Thủ tướng Phạm Minh Chính đến Hà Nội."]}).to_csv(
        table, index=False
    )
    result = runner.invoke(
        app,
        [
            "run",
            str(table),
            str(tmp_path / "out"),
            "--format",
            "parquet",
            "--text-column",
            "noi_dung",
            "--id-column",
            "ma",
            "--reference-date",
            "2024-07-19",
            "--no-progress",
        ],
    )
    assert result.exit_code == 0, result.output
    dates = pd.read_parquet(tmp_path / "out" / "dates")
    assert dates[["doc_id", "text", "value", "anchor"]].values.tolist() == [
        ["x1", "Hôm qua", "2024-07-18", "2024-07-19T00:00"]
    ]
    assert not (tmp_path / "out" / "csv").exists()


def test_clear_messages_not_tracebacks(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["run", str(tmp_path / "nope"), str(tmp_path / "out")])
    assert missing.exit_code == 2
    assert "does not exist" in missing.output and "Traceback" not in missing.output
    table = tmp_path / "a.csv"
    pd.DataFrame({"body": ["Xin chào"]}).to_csv(table, index=False)
    unknown = runner.invoke(app, ["run", str(table), str(tmp_path / "out")])
    assert unknown.exit_code == 2
    assert "no column 'text'" in unknown.output and "--text-column" in unknown.output
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    unwritable = runner.invoke(app, ["run", str(SAMPLE_000), str(blocked / "out"), "--no-progress"])
    assert unwritable.exit_code == 2
    assert "cannot create" in unwritable.output and "Traceback" not in unwritable.output
    bad_date = runner.invoke(
        app, ["run", str(SAMPLE_000), str(tmp_path / "o"), "--reference-date", "hôm qua"]
    )
    assert bad_date.exit_code == 2 and "not a date" in bad_date.output


def test_nothing_processed_exits_non_zero(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "x.txt").write_bytes(b"\x00\x01\x02binary")
    result = runner.invoke(app, ["run", str(tmp_path / "in"), str(tmp_path / "out"), "--no-progress"])
    assert result.exit_code == 1
    assert result.output.startswith("1 documents: 0 ok, 0 empty, 1 failed;")


def test_clean_and_annotate_commands() -> None:
    cleaned = runner.invoke(app, ["clean", str(SAMPLE_000)])
    assert cleaned.exit_code == 0
    assert '"title": "Phái đoàn quân sự Nga thăm Triều Tiên"' in cleaned.output
    annotated = runner.invoke(
        app, ["annotate", "Tổng thống Nga Vladimir Putin thăm Bình Nhưỡng ngày 19/6/2024."]
    )
    assert annotated.exit_code == 0
    assert "PER\t15\t29\tVladimir Putin" in annotated.output
    assert "DATE\t47\t61\tngày 19/6/2024\t2024-06-19" in annotated.output


def test_bench_dates_compares_with_dateparser() -> None:
    result = runner.invoke(app, ["bench-dates"])
    assert result.exit_code == 0, result.output
    ours = next(line for line in result.output.splitlines() if line.startswith("dates engine"))
    # The engine gets every span and value of its own table right and never dates a trap.
    assert ours.split()[2:6] == ["100.0", "100.0", "100.0", "0"]
    assert "dateparser 1.x" in result.output


def test_train_options_are_checked_before_anything_runs(tmp_path: Path) -> None:
    from pipeline import config

    bad_setting = runner.invoke(app, ["train", str(tmp_path / "w"), "--set", "training.max_steps"])
    assert bad_setting.exit_code == 2 and "expected KEY=VALUE" in bad_setting.output
    no_corpus = runner.invoke(
        app,
        ["train", str(tmp_path / "w"), "--corpus", str(tmp_path), "--vectors", str(config.MODELS / "ner-vi")],
    )
    assert no_corpus.exit_code == 2 and "no train.spacy" in no_corpus.output
    both = runner.invoke(
        app, ["train", str(tmp_path / "w"), "--corpus", str(tmp_path), "--extra", str(SAMPLE_000)]
    )
    assert both.exit_code == 2 and "drop --corpus, or --extra" in both.output
    assert not (tmp_path / "w").exists()


def test_bench_takes_turns_and_reports_the_median_ratio(shared: Path) -> None:
    """Two rounds on two real articles: four measured processes, each side's table row per
    round, and the median of the two ratios."""
    corpus = shared / "data" / "corpus" / "vietnews-5k.jsonl"
    result = runner.invoke(app, ["bench", str(corpus), "--n", "2", "--repeat", "2"])
    assert result.exit_code == 0, result.output
    rows = result.output.splitlines()
    assert [row.split()[0] for row in rows[1:5]] == ["pipeline", "underthesea", "pipeline", "underthesea"]
    assert re.search(r"median \d+\.\dx over 2 rounds \(\d+\.\dx, \d+\.\dx\)", result.output)
    assert "pipeline time by stage: clean" in result.output


def test_bench_report_takes_the_median_of_equal_ratios() -> None:
    """Rounds with the same ratio (the Measures themselves do not order) still give a median."""
    from pipeline.bench import Measure, report

    def measure(name: str, seconds: float) -> Measure:
        return Measure(name=name, documents=2, syllables=1000, seconds=seconds, peak_mib=300.0)

    rounds = [measure("pipeline run", 1.0), measure("underthesea ner()", 12.0)]
    rounds += [measure("pipeline run", 2.0), measure("underthesea ner()", 24.0)]  # slower, same ratio
    rounds += [measure("pipeline run", 2.0), measure("underthesea ner()", 12.0)]
    assert "median 12.0x over 3 rounds (6.0x, 12.0x, 12.0x)" in report(rounds)
