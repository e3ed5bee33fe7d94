"""Segment stage: sentences and words with offsets that slice back to the text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from spacy.vocab import Vocab

from pipeline.segment import SyllableTokenizer, VietnameseTokenizer, segment, split_sentences, syllables
from tests.conftest import SAMPLE_003


@pytest.mark.parametrize(
    ("text", "words"),
    [
        # underthesea would return "Hòa Bình": the text's own spelling must survive.
        ("Hoà Bình là một tỉnh.", ["Hoà Bình", "là", "một", "tỉnh", "."]),
        (
            "Ngày 18/7, Chủ tịch Triều Tiên Kim Jong Un đã tiếp phái đoàn quân sự Nga.",
            [
                "Ngày",
                "18/7",
                ",",
                "Chủ tịch",
                "Triều Tiên",
                "Kim Jong",
                "Un",
                "đã",
                "tiếp",
                "phái đoàn",
                "quân sự",
                "Nga",
                ".",
            ],
        ),
        (
            "Bác sĩ bây giờ có thể thản nhiên báo tin",
            ["Bác sĩ", "bây giờ", "có thể", "thản nhiên", "báo", "tin"],
        ),
        (
            "Giá tăng 12,5% trong quý I/2025.",
            ["Giá", "tăng", "12,5", "%", "trong", "quý", "I", "/", "2025", "."],
        ),
    ],
)
def test_words(text: str, words: list[str]) -> None:
    assert [w.text for s in segment(text, segmenter="crf") for w in s.words] == words


def test_glued_place_and_name_are_split() -> None:
    # underthesea's CRF makes one word of "Triều Tiên Kim Jong"; the place must stand apart.
    words = [w.text for w in segment("Chủ tịch Triều Tiên Kim Jong Un phát biểu.", segmenter="crf")[0].words]
    assert "Triều Tiên" in words
    assert "Triều Tiên Kim Jong" not in words


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        (
            "Ông An đến. Bà Hoa về!\nTiêu đề không dấu chấm",
            ["Ông An đến.", "Bà Hoa về!", "Tiêu đề không dấu chấm"],
        ),
        ("TP. Hồ Chí Minh mưa to. Hà Nội nắng.", ["TP. Hồ Chí Minh mưa to.", "Hà Nội nắng."]),
        ("  \n\n", []),
    ],
)
def test_sentences(text: str, sentences: list[str]) -> None:
    assert [text[a:b] for a, b in split_sentences(text)] == sentences


def test_syllables_keep_dates_and_urls_whole() -> None:
    text = "Ngày 19/6/2024 xem https://baoquocte.vn/a-b.html nhé"
    assert [text[a:b] for a, b in syllables(text)] == [
        "Ngày",
        "19/6/2024",
        "xem",
        "https://baoquocte.vn/a-b.html",
        "nhé",
    ]


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Tin từ TTXVN. Ông Nam nói.", ["Tin", "từ", "TTXVN", ".", "Ông", "Nam", "nói", "."]),
        ("Về TP.HCM. Sáng nay", ["Về", "TP.HCM", ".", "Sáng", "nay"]),
        ("Theo AFP.\nHà Nội", ["Theo", "AFP", ".", "Hà", "Nội"]),
        ("Tại TP. Hồ Chí Minh", ["Tại", "TP.", "Hồ", "Chí", "Minh"]),
        ("ThS. Lan gặp ông Trần A. Sau đó", ["ThS.", "Lan", "gặp", "ông", "Trần", "A.", "Sau", "đó"]),
    ],
)
def test_sentence_final_stop_is_cut_from_abbreviations(text: str, tokens: list[str]) -> None:
    assert [text[a:b] for a, b in syllables(text)] == tokens


def test_tokenizer_builds_doc_with_sentences() -> None:
    text = "Hoà Bình là một tỉnh. Kim Jong Un đến.\n\nMới."
    doc = VietnameseTokenizer(Vocab())(text)
    assert doc.text == text
    assert [s.text.strip() for s in doc.sents] == ["Hoà Bình là một tỉnh.", "Kim Jong Un đến.", "Mới."]
    assert [t.text for t in SyllableTokenizer(Vocab())("Kim Jong-un, 18/7.")] == [
        "Kim",
        "Jong-un",
        ",",
        "18/7",
        ".",
    ]


LETTERS = "aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
VIETNAMESE = st.text(
    alphabet=st.sampled_from(list(LETTERS + "AĐKHNTQ0123456789 .,;:!?()/-%\n\"'“”")), max_size=200
)


@settings(max_examples=150, deadline=None)
@given(VIETNAMESE, st.sampled_from(["model", "crf"]))
def test_offsets_slice_back(text: str, segmenter: str) -> None:
    for sentence in segment(text, segmenter=segmenter):
        assert text[sentence.start : sentence.end] == sentence.text
        for word in sentence.words:
            assert text[word.start : word.end] == word.text
            assert sentence.start <= word.start < word.end <= sentence.end
    doc = VietnameseTokenizer(Vocab())(text)
    assert doc.text == text


_HOA_BINH_WORDS = ["Hoà Bình", "là", "một", "tỉnh", "miền", "núi", "phía", "Bắc", "."]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Tỉnh Hoà Bình là một tỉnh miền núi phía Bắc.", ["Tỉnh", *_HOA_BINH_WORDS]),
        pytest.param(
            "Hoà Bình là một tỉnh miền núi phía Bắc.",
            _HOA_BINH_WORDS,
            marks=pytest.mark.xfail(
                strict=True,
                reason="known miss of models/ner-vi 0.5 and 0.6 (0.4 kept it whole): a bare 'Hoà Bình' "
                "opening a sentence is cut in two",
            ),
        ),
    ],
)
def test_model_segmenter_words(text: str, words: list[str]) -> None:
    (sentence,) = segment(text, segmenter="model")
    assert [w.text for w in sentence.words] == words
    assert all(text[w.start : w.end] == w.text for w in sentence.words)


def test_model_segmenter_keeps_names_whole() -> None:
    text = "Hoà Bình là một tỉnh miền núi phía Bắc. Chủ tịch Triều Tiên tiếp đoàn tại Bình Nhưỡng."
    first, second = segment(text, segmenter="model")
    assert first.text == "Hoà Bình là một tỉnh miền núi phía Bắc."
    assert [w.text for w in second.words][:2] == ["Chủ tịch", "Triều Tiên"]
    assert second.words[-2].text == "Bình Nhưỡng"
    assert all(text[w.start : w.end] == w.text for s in (first, second) for w in s.words)


def test_ner_reuses_the_segmenters_network() -> None:
    """With the model segmenter, NER runs only the model's last layer on the tagged
    syllables; the entities are the same as when the model reads the sentences itself."""
    from pipeline.process import annotate_text, build_nlp

    text = SAMPLE_003.read_text(encoding="utf-8")
    shared, alone = build_nlp(segmenter="model"), build_nlp(segmenter="crf")
    doc = annotate_text(shared, text)
    assert doc._.syllable_docs
    ents = {(e.start_char, e.end_char, e.label_) for e in doc.ents}
    assert ents == {(e.start_char, e.end_char, e.label_) for e in annotate_text(alone, text).ents}
    assert len(ents) > 20


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["", " ", "\n"]),
    st.lists(
        st.tuples(
            st.sampled_from(["Hà", "Nội", "Bộ", "19/6", ".", "“", "KCNA"]),
            st.sampled_from(["", " ", "  ", "\n", " \n ", "\t"]),
        )
    ),
)
def test_spans_to_doc_tokens_as_spacy_aligns_them(lead: str, pieces: list[tuple[str, str]]) -> None:
    """Tokens and trailing spaces built from offsets equal spaCy's alignment of the same words,
    with gaps between tokens or without (every token followed by one space or none)."""
    from spacy.util import get_words_and_spaces

    from pipeline.segment import spans_to_doc

    text, spans = lead, []
    for word, gap in pieces:
        spans.append((len(text), len(text) + len(word)))
        text += word + gap
    doc = spans_to_doc(Vocab(), text, spans, {spans[0][0]} if spans else None)
    if spans:
        words, spaces = get_words_and_spaces([text[a:b] for a, b in spans], text)
    else:
        words, spaces = ([text], [False]) if text else ([], [])
    assert [t.text for t in doc] == words
    assert [bool(t.whitespace_) for t in doc] == spaces
    assert doc.text == text
    if spans:
        assert doc[0].is_sent_start is True


def _grammar_scan(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """`syllables` by its definition: underthesea's grammar over the whole span, then the
    full stop of a sentence-final abbreviation cut off."""
    from pipeline.segment import _PREFIX_ABBREVIATIONS, _SENTENCE_AFTER_RE, _SYLLABLE_RE

    spans = []
    for m in _SYLLABLE_RE.finditer(text, start, end):
        a, b = m.span()
        final = _SENTENCE_AFTER_RE.match(text, b, end)
        if (
            m.group("abbr")
            and b - a > 2
            and text[b - 1] == "."
            and m.group() not in _PREFIX_ABBREVIATIONS
            and final
        ):
            spans += [(a, b - 1), (b - 1, b)]
        else:
            spans.append((a, b))
    return spans


@settings(max_examples=2000, deadline=None)
@given(
    st.text(alphabet="Th Ss.,-@:D/19 \nVNTPHCMaộđĐ'’&e-mailhttp://a.vn (“\"‘;!?)”_", max_size=40), st.data()
)
def test_syllables_scan_as_the_grammar_does(text: str, data: st.DataObject) -> None:
    """Chunks of letters are split from a cache; the result is the grammar's, whatever the context."""
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    assert syllables(text, start=start, end=end) == _grammar_scan(text, start, end)


@pytest.mark.parametrize(
    "text",
    [
        "Gặp Th Sơn tại VN. Ông Lan nói.",
        "ThS. Lan, Th.S Hà và TS Nam",
        "e-mail: a@b.vn (T.Ư)",
        "“Hà Nội”, 19/6.",
    ],
)
def test_syllables_in_context(text: str) -> None:
    """Chunks whose split depends on what follows ("Th" before "S", "VN." before a capital)."""
    assert syllables(text) == _grammar_scan(text, 0, len(text))


def test_syllables_of_a_news_article() -> None:
    text = SAMPLE_003.read_text(encoding="utf-8")
    assert syllables(text) == _grammar_scan(text, 0, len(text))
    assert len(syllables(text)) > 300


@pytest.mark.parametrize(
    "sentence",
    [
        "Ông Qui ở Hoà Bình, thuỷ điện Hoà-Bình.",
        "TP.HCM. Ngày 19/6, KCNA đưa tin.",
        SAMPLE_003.read_text("utf-8")[:400],
    ],
)
def test_model_reads_each_syllable_respelt_as_the_respelt_sentence(sentence: str) -> None:
    """Respelling syllable by syllable gives the tokens the model's tokenizer makes of the respelt text."""
    from pipeline.segment import ModelSegmenter, model_spelling

    segmenter = ModelSegmenter()
    tokens = [t.text_with_ws for t in segmenter._syllable_doc(sentence)]
    assert tokens == [t.text_with_ws for t in segmenter._nlp.make_doc(model_spelling(sentence))]
    assert "".join(tokens) != sentence or "Hoà" not in sentence
