"""NER evaluation: gold readers for every format, exact scoring, and the accuracy smoke test."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.errors import InputError
from pipeline.evaluate import detect_format, dev_sets, evaluate_corpora, mismatches, read_gold, score
from pipeline.vlsp import LABELS, GoldDoc

runner = CliRunner()

CONLL = (
    "-DOCSTART- -X- O O\n"
    "\n"
    "Ông\tO\n"
    "Nguyễn_Văn_An\tB-PER\n"
    ",\tO\n"
    "Giám_đốc\tO\n"
    "Sở\tB-ORG\n"
    "Y_tế\tI-ORG\n"
    ",\tO\n"
    "đến\tO\n"
    "Hà_Nội\tB-LOCATION\n"
    ".\tO\n"
    "\n"
    "Giải\tB-MISC\n"
    "Oscar\tI-MISC\n"
    "ở\tO\n"
    "Mỹ\tI-LOC\n"
    "\n"
    "-DOCSTART- -X- O O\n"
    "\n"
    "Thủ_tướng Np B-PER\n"
)
VLSP2018 = (
    'Bộ trưởng <ENAMEX TYPE="ORGANIZATION">Bộ Quốc phòng <ENAMEX TYPE="LOCATION">Nga</ENAMEX></ENAMEX> '
    '<ENAMEX TYPE="PERSON">Andrei Belousov</ENAMEX> thăm <ENAMEX TYPE="LOCATION">Bình Nhưỡng</ENAMEX>.\n'
)


@pytest.fixture
def conll_file(tmp_path: Path) -> Path:
    path = tmp_path / "gold.conll"
    path.write_text(CONLL, encoding="utf-8")
    return path


def _spans(doc: GoldDoc) -> list[tuple[str, str]]:
    return [(doc.text[a:b], label) for a, b, label in doc.entities]


def test_conll_documents_text_and_spans(conll_file: Path) -> None:
    first, second = read_gold(conll_file)
    assert first.text == "Ông Nguyễn Văn An, Giám đốc Sở Y tế, đến Hà Nội.\nGiải Oscar ở Mỹ"
    # LOCATION is LOC; MISC is not scored; an I- tag that continues nothing starts a mention.
    assert _spans(first) == [("Nguyễn Văn An", "PER"), ("Sở Y tế", "ORG"), ("Hà Nội", "LOC"), ("Mỹ", "LOC")]
    assert (second.text, _spans(second)) == ("Thủ tướng", [("Thủ tướng", "PER")])
    assert [first.doc_id, second.doc_id] == ["gold#0", "gold#1"]


def test_formats_detected(tmp_path: Path, conll_file: Path) -> None:
    domain = tmp_path / "vlsp2018" / "Thế giới"
    domain.mkdir(parents=True)
    (domain / "a.txt").write_text(VLSP2018, encoding="utf-8")
    assert detect_format(conll_file) == "conll"
    assert detect_format(tmp_path / "vlsp2018") == "vlsp2018"
    (doc,) = read_gold(tmp_path / "vlsp2018")
    assert _spans(doc) == [
        ("Bộ Quốc phòng Nga", "ORG"),
        ("Andrei Belousov", "PER"),
        ("Bình Nhưỡng", "LOC"),
    ]
    with pytest.raises(InputError, match="applies to VLSP 2016 only"):
        read_gold(conll_file, split="dev")
    with pytest.raises(InputError, match="no such file"):
        read_gold(tmp_path / "missing")


def test_score_counts_exact_spans_only() -> None:
    text = "Chủ tịch Triều Tiên Kim Jong Un tiếp Bộ Quốc phòng Nga tại Bình Nhưỡng."
    gold = GoldDoc("d", text, ((9, 19, "LOC"), (20, 31, "PER"), (37, 54, "ORG"), (59, 70, "LOC")))
    predicted = [(9, 19, "LOC"), (20, 31, "PER"), (37, 50, "ORG"), (59, 70, "PER")]
    scores = score(lambda _: predicted, [gold])
    assert scores["micro"] == {"p": 50.0, "r": 50.0, "f": 50.0, "tp": 2, "gold": 4, "pred": 4}
    assert scores["PER"] == {"p": 50.0, "r": 100.0, "f": 66.67, "tp": 1, "gold": 1, "pred": 2}
    assert scores["ORG"]["f"] == 0.0
    assert (scores["documents"], scores["syllables"]) == (1, 16)


def test_disagreements_listed_by_kind() -> None:
    text = "Chủ tịch Triều Tiên Kim Jong Un tiếp Bộ Quốc phòng Nga tại Bình Nhưỡng và Moskva."
    gold = GoldDoc(
        "d", text, ((9, 19, "LOC"), (20, 31, "PER"), (37, 54, "ORG"), (59, 70, "LOC"), (74, 80, "LOC"))
    )
    predicted = [
        (0, 8, "PER"),
        (9, 19, "LOC"),
        (20, 31, "PER"),
        (37, 50, "ORG"),
        (51, 54, "LOC"),
        (59, 70, "PER"),
    ]
    errors: list[dict] = []
    score(lambda _: predicted, [gold], errors=errors)
    assert [(e["kind"], e["text"], e["label"], e["found"]) for e in errors] == [
        ("spurious", "Chủ tịch", "PER", ""),
        ("boundary", "Bộ Quốc phòng Nga", "ORG", "Bộ Quốc phòng/ORG; Nga/LOC"),
        ("label", "Bình Nhưỡng", "LOC", "Bình Nhưỡng/PER"),
        ("missed", "Moskva", "LOC", ""),
    ]
    assert errors[-1]["context"] == "Bộ Quốc phòng Nga tại Bình Nhưỡng và Moskva."
    assert errors[0]["document"] == "d" and (errors[0]["start"], errors[0]["end"]) == (0, 8)


def test_pipeline_scores_a_conll_file(conll_file: Path) -> None:
    docs = read_gold(conll_file)
    results = evaluate_corpora({"gold": docs})
    scores = results["gold"]["pipeline (model)"]
    # The trained model finds the person, the department and both places.
    assert (scores["micro"]["tp"], scores["micro"]["gold"]) == (4, 5)
    assert scores["PER"]["tp"] == 1 and scores["ORG"]["tp"] == 1 and scores["LOC"]["tp"] == 2


_SPANS = st.sets(
    st.tuples(st.integers(0, 30), st.integers(1, 6), st.sampled_from(LABELS)).map(
        lambda t: (t[0], t[0] + t[1], t[2])
    ),
    max_size=6,
)


@given(truth=_SPANS, found=_SPANS)
@settings(max_examples=300, deadline=None)
def test_every_disagreement_listed_once(truth: set, found: set) -> None:
    doc = GoldDoc("d", "Ông Nguyễn Văn An đến Hà Nội hôm qua.", tuple(truth))
    rows = mismatches(doc, truth, found)
    # Each gold mention not found exactly is one row; so is each found one that touches no gold.
    assert sorted((r["start"], r["end"], r["label"]) for r in rows if r["kind"] != "spurious") == sorted(
        truth - found
    )
    spurious = {f for f in found - truth if not any(f[0] < g[1] and g[0] < f[1] for g in truth)}
    assert {(r["start"], r["end"], r["label"]) for r in rows if r["kind"] == "spurious"} == spurious
    assert all(r["text"] == doc.text[r["start"] : r["end"]] for r in rows)


def test_evaluate_command_writes_json(tmp_path: Path, conll_file: Path) -> None:
    out = tmp_path / "scores.json"
    result = runner.invoke(app, ["evaluate", str(conll_file), "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "pipeline (model)" in result.output
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert set(saved[str(conll_file)]["pipeline (model)"]) >= {
        "micro",
        "PER",
        "LOC",
        "ORG",
        "syllables_per_s",
    }
    listed = tmp_path / "errors" / "errors.csv"
    result = runner.invoke(app, ["evaluate", str(conll_file), "--errors", str(listed)])
    assert result.exit_code == 0, result.output
    assert f"errors: missed 1, spurious 0, boundary 0, label 0 → {listed}" in result.output
    table = pd.read_csv(listed, keep_default_na=False)
    assert table.to_dict("records") == [
        {
            "corpus": str(conll_file),
            "document": "gold#1",
            "kind": "missed",
            "start": 0,
            "end": 9,
            "text": "Thủ tướng",
            "label": "PER",
            "found": "",
            "context": "Thủ tướng",
        }
    ]
    missing = runner.invoke(app, ["evaluate", str(tmp_path / "nothing")])
    assert missing.exit_code == 2
    assert "no such file" in missing.output


# Micro F1 of the committed model on the two dev sets, as `make evaluate` and the model card
# give them. Refresh both when a retrained model is committed.
SMOKE_F1 = {"vlsp2016-dev": 90.35, "vlsp2018-dev": 85.46}


@pytest.mark.slow
def test_accuracy_does_not_regress(shared: Path) -> None:
    # Whole dev sets (~1 minute): a quarter of VLSP 2018 dev moved 2.4 F1 between two models
    # equal on the whole set, as one article's repeated name flipped label.
    results = evaluate_corpora(dev_sets(shared))
    for name, systems in results.items():
        f1 = systems["pipeline (model)"]["micro"]["f"]
        assert f1 >= SMOKE_F1[name] - 2.0, f"{name}: micro F1 {f1} fell below {SMOKE_F1[name]} - 2"


CONLLU = (
    "# sent_id = test-s1\n"
    "# text = Chủ tịch xã Bùi Văn Luyến nói .\n"
    "1\tChủ tịch\tchủ tịch\tNOUN\t_\t_\t0\troot\t_\t_\n"
    "2\txã\txã\tNOUN\t_\t_\t1\tnmod\t_\t_\n"
    "3\tBùi Văn Luyến\tBùi Văn Luyến\tPROPN\t_\t_\t1\tnmod\t_\t_\n"
    "4\tnói\tnói\tVERB\t_\t_\t1\tacl\t_\t_\n"
    "5\t.\t.\tPUNCT\t_\t_\t1\tpunct\t_\t_\n"
    "\n"
)


def test_word_segmentation_scored_on_conllu(tmp_path: Path) -> None:
    from pipeline.evaluate import score_words
    from pipeline.vlsp import read_conllu_words

    path = tmp_path / "ud.conllu"
    path.write_text(CONLLU, encoding="utf-8")
    (doc,) = read_conllu_words(path)
    assert doc.text == "Chủ tịch xã Bùi Văn Luyến nói."
    assert [doc.text[a:b] for a, b in doc.words] == ["Chủ tịch", "xã", "Bùi Văn Luyến", "nói", "."]
    # One system splits the name, one gets every word.
    split_name = [(0, 8), (9, 11), (12, 15), (16, 25), (26, 29), (29, 30)]
    scores = score_words({"split": lambda _: split_name, "gold": lambda _: list(doc.words)}, [doc])
    assert scores["split"] | {"syllables_per_s": 0} == {
        "p": 66.67,
        "r": 80.0,
        "f": 72.73,
        "tp": 4,
        "gold": 5,
        "pred": 6,
        "syllables_per_s": 0,
    }
    assert scores["gold"]["f"] == 100.0
