"""Tests for the VLSP readers: text rebuilt from both formats, spans that slice back."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.vlsp import GoldDoc, drop_title, read_vlsp2016, read_vlsp2018, split_vlsp2016

# A VLSP 2016 file as released: BOM, CRLF, `<editor>`, an indented `<s>`, a `<s>` glued to
# the first token line, a `<s>` glued to an empty token ("Ny"), straight and curly quotes.
VLSP2016 = (
    "\ufeff<title>Hải_tặc eo_biển Malacca (kỳ 1): “ Luật im_lặng ”...</title>\r\n"
    "<editor>Vietlex team, 8-2016</editor>\r\n"
    "-DOCSTART-\r\n"
    "<s>\t\t\t\t\r\n"
    "Ông\tNc\tB-NP\tO\tO\r\n"
    "Nguyễn_Văn_A\tNp\tB-NP\tB-PER\tO\r\n"
    "(\tCH\tO\tO\tO\r\n"
    "TP.\tNNP\tB-NP\tB-LOC\tO\r\n"
    "HCM\tNNP\tB-NP\tI-LOC\tO\r\n"
    ")\tCH\tO\tO\tO\r\n"
    "nói\tV\tB-VP\tO\tO\r\n"
    ":\tCH\tO\tO\tO\r\n"
    '"\tCH\tO\tO\tO\r\n'
    "Trung tâm\tN\tB-NP\tB-ORG\tO\r\n"
    "Y_tế\tN\tB-NP\tI-ORG\tO\r\n"
    "tăng\tV\tB-VP\tO\tO\r\n"
    "10\tM\tB-NP\tO\tO\r\n"
    "%\tNu\tB-NP\tO\tO\r\n"
    '"\tCH\tO\tO\tO\r\n'
    ".\tCH\tO\tO\tO\r\n"
    "</s>\t\t\t\t\r\n"
    " <s>\t\t\t\t\r\n"
    "Giải\tN\tB-NP\tB-MISC\tO\r\n"
    "Oscar\tNp\tB-NP\tI-MISC\tO\r\n"
    "ở\tE\tB-PP\tO\tO\r\n"
    "Mỹ\tNp\tB-NP\tB-LOC\tO\r\n"
    "…\tCH\tO\tO\tO\r\n"
    "</s>\t\t\t\t\r\n"
    "<s>Sài_Gòn\tNNP\tB-NP\tB-LOC\tO\r\n"
    ",\tCH\tO\tO\tO\r\n"
    "Hà_Nội\tNp\tB-NP\tB-LOC\tO\r\n"
    "</s>\t\t\t\t\r\n"
    "<s>\tNy\t\t\t\r\n"
    "TT\tNy\tB-NP\tB-ORG\tO\r\n"
    "“\tCH\tO\tO\tO\r\n"
    "hoà\tV\tB-VP\tO\tO\r\n"
    "”\tCH\tO\tO\tO\r\n"
    "!\tCH\tO\tO\tO\r\n"
    "</s>\t\t\t\t\r\n"
    "\r\n"
)

VLSP2016_TEXT = (
    "Hải tặc eo biển Malacca (kỳ 1): “Luật im lặng”...\n"
    'Ông Nguyễn Văn A (TP. HCM) nói: "Trung tâm Y tế tăng 10%". '
    "Giải Oscar ở Mỹ… Sài Gòn, Hà Nội TT “hoà”!"
)

VLSP2016_ENTITIES = [
    ("Nguyễn Văn A", "PER"),
    ("TP. HCM", "LOC"),
    ("Trung tâm Y tế", "ORG"),
    ("Mỹ", "LOC"),
    ("Sài Gòn", "LOC"),
    ("Hà Nội", "LOC"),
    ("TT", "ORG"),
]

# VLSP 2018: raw text, nested ENAMEX (outermost kept), a MISC outermost (dropped with what
# it holds), a tag glued inside a word, decomposed tone marks (NFD), BOM and CRLF.
VLSP2018 = (
    '\ufeffChuyện ở <ENAMEX TYPE="LOCATION">Hà Nội</ENAMEX>\r\n'
    "\r\n"
    '<ENAMEX TYPE="ORGANIZATION">Hội Liên hiệp Phụ nữ <ENAMEX TYPE="LOCATION">Việt Nam'
    '</ENAMEX></ENAMEX> và ông <ENAMEX TYPE="PERSON">Nguye\u0302\u0303n Văn B</ENAMEX> '
    'dự <ENAMEX TYPE="MISCELLANEOUS">Giải Ngoại hạng <ENAMEX TYPE="LOCATION">Anh</ENAMEX>'
    '</ENAMEX> ở <ENAMEX TYPE="ORGANIZATION">Sở Y tế <ENAMEX TYPE="LOCATION">'
    'tỉnh <ENAMEX TYPE="LOCATION">Hà Giang</ENAMEX></ENAMEX></ENAMEX>, thế giới-'
    '<ENAMEX TYPE="PERSON">Giorgio Armani</ENAMEX>.\r\n'
)

VLSP2018_TEXT = (
    "Chuyện ở Hà Nội\n"
    "\n"
    "Hội Liên hiệp Phụ nữ Việt Nam và ông Nguyễn Văn B dự Giải Ngoại hạng Anh ở "
    "Sở Y tế tỉnh Hà Giang, thế giới-Giorgio Armani."
)

VLSP2018_ENTITIES = [
    ("Hà Nội", "LOC"),
    ("Hội Liên hiệp Phụ nữ Việt Nam", "ORG"),
    ("Nguyễn Văn B", "PER"),
    ("Sở Y tế tỉnh Hà Giang", "ORG"),
    ("Giorgio Armani", "PER"),
]


def surfaces(doc: GoldDoc) -> list[tuple[str, str]]:
    return [(doc.text[start:end], label) for start, end, label in doc.entities]


@pytest.fixture
def vlsp2016_file(tmp_path: Path) -> Path:
    path = tmp_path / "100276.txt"
    path.write_bytes(VLSP2016.encode("utf-8"))
    return path


@pytest.fixture
def vlsp2018_dir(tmp_path: Path) -> Path:
    path = tmp_path / "train" / "Doi song" / "23351225.txt"
    path.parent.mkdir(parents=True)
    path.write_bytes(VLSP2018.encode("utf-8"))
    return tmp_path / "train"


def test_vlsp2016_rebuilds_running_text(vlsp2016_file: Path) -> None:
    (doc,) = read_vlsp2016(vlsp2016_file.parent)
    assert doc.doc_id == "100276"
    assert doc.text == VLSP2016_TEXT


def test_vlsp2016_entities_slice_back(vlsp2016_file: Path) -> None:
    (doc,) = read_vlsp2016(vlsp2016_file)
    assert surfaces(doc) == VLSP2016_ENTITIES


def test_vlsp2016_exact_offsets(vlsp2016_file: Path) -> None:
    (doc,) = read_vlsp2016(vlsp2016_file)
    body = len("Hải tặc eo biển Malacca (kỳ 1): “Luật im lặng”...\n")
    assert doc.entities[0] == (body + 4, body + 16, "PER")
    assert doc.entities[1] == (body + 18, body + 25, "LOC")


def test_drop_title_shifts_spans(vlsp2016_file: Path) -> None:
    (doc,) = read_vlsp2016(vlsp2016_file)
    body = drop_title(doc)
    assert body.text == VLSP2016_TEXT.split("\n", 1)[1]
    assert surfaces(body) == VLSP2016_ENTITIES


def test_vlsp2018_strips_tags_keeps_outermost(vlsp2018_dir: Path) -> None:
    (doc,) = read_vlsp2018(vlsp2018_dir)
    assert doc.doc_id == "Doi song/23351225"
    assert doc.text == VLSP2018_TEXT
    assert surfaces(doc) == VLSP2018_ENTITIES


def test_vlsp2018_offsets_count_nfc_characters(vlsp2018_dir: Path) -> None:
    (doc,) = read_vlsp2018(vlsp2018_dir)
    start = VLSP2018_TEXT.index("Nguyễn")
    assert (start, start + len("Nguyễn Văn B"), "PER") in doc.entities


@pytest.mark.parametrize(
    ("doc_ids", "dev"),
    [
        ([f"{i:03d}" for i in range(8)], ["007"]),
        ([f"{i:03d}" for i in range(17, -1, -1)], ["007", "015"]),
        ([f"{i:03d}" for i in range(7)], []),
    ],
)
def test_split_vlsp2016_every_8th_sorted(doc_ids: list[str], dev: list[str]) -> None:
    docs = [GoldDoc(doc_id, "", ()) for doc_id in doc_ids]
    train_docs, dev_docs = split_vlsp2016(docs)
    assert [d.doc_id for d in dev_docs] == dev
    assert len(train_docs) + len(dev_docs) == len(docs)
    assert not {d.doc_id for d in train_docs} & set(dev)


@pytest.mark.slow
def test_real_corpora_counts_and_spans(shared: Path) -> None:
    data = shared / "data"
    corpora = {
        "vlsp2016": list(read_vlsp2016(data / "vlsp2016" / "train")),
        "vlsp2018-train": list(read_vlsp2018(data / "vlsp2018" / "train")),
        "vlsp2018-dev": list(read_vlsp2018(data / "vlsp2018" / "dev")),
    }
    assert {name: len(docs) for name, docs in corpora.items()} == {
        "vlsp2016": 267,
        "vlsp2018-train": 781,
        "vlsp2018-dev": 260,
    }
    for docs in corpora.values():
        for doc in docs:
            for start, end, label in doc.entities:
                surface = doc.text[start:end]
                assert label in {"PER", "LOC", "ORG"}
                assert surface and surface == surface.strip(), (doc.doc_id, start, end)
    train_docs, dev_docs = split_vlsp2016(corpora["vlsp2016"])
    assert (len(train_docs), len(dev_docs)) == (234, 33)
