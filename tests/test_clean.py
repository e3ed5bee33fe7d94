"""Tests for pipeline.clean: real Vietnamese pages, encodings, bad input and invariants."""

from __future__ import annotations

import itertools
import unicodedata
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.clean import CleanedArticle, clean_html, clean_page, clean_record, decode, normalize
from pipeline.errors import DecodeError, DocumentError, EmptyDocumentError, NoArticleError

RAW = Path(__file__).parent.parent / "data" / "raw"
FIXTURES = Path(__file__).parent / "fixtures" / "clean"
SAMPLE_000 = RAW / "000_7f6af634dd5a9d66.txt"
SAMPLE_003 = RAW / "003_18ad292a2e988f66.txt"


def _check_offset_map(article: CleanedArticle, raw: str) -> None:
    """Each run of the map must slice back to its source (NFC, spaces unified)."""
    covered = 0
    for ts, te, rs, re_ in article.offset_map:
        assert 0 <= ts < te <= len(article.text)
        assert 0 <= rs < re_ <= len(raw)
        assert ts >= covered, "runs overlap or are out of order"
        covered = te
        assert normalize(raw[rs:re_])[0] == article.text[ts:te].strip(" ")


def _to_cp1258(text: str) -> bytes:
    """Encode like Windows-1258: vowel letters precomposed, tone marks combining."""
    modifiers = {"\u0302", "\u0306", "\u031b"}
    out = []
    for ch in unicodedata.normalize("NFC", text):
        decomposed = unicodedata.normalize("NFD", ch)
        base = decomposed[0] + "".join(m for m in decomposed[1:] if m in modifiers)
        tones = "".join(m for m in decomposed[1:] if m not in modifiers)
        out.append(unicodedata.normalize("NFC", base) + tones)
    return "".join(out).encode("cp1258")


# --- the two real samples ---------------------------------------------------


def test_sample_000() -> None:
    raw = SAMPLE_000.read_bytes()
    article = clean_page(raw, source=str(SAMPLE_000))
    assert article.title == "Phái đoàn quân sự Nga thăm Triều Tiên"
    assert article.outlet == "Báo Quốc Tế"
    assert article.author is None
    assert article.published == datetime(2024, 7, 19)
    assert article.url == "https://baoquocte.vn/phai-doan-quan-su-nga-tham-trieu-tien-279309.html"
    assert article.encoding == "utf-8"
    assert (
        "Chủ tịch Triều Tiên Kim Jong Un (phải) tiếp Thứ trưởng Bộ Quốc phòng Alexei Krivoruchko "
        "ngày 18/7. (Nguồn: KCNA)"
    ) in article.captions
    assert article.body.startswith("Ngày 18/7, Chủ tịch Triều Tiên Kim Jong Un")
    assert article.body.endswith("qua sông Tumannaya ở biên giới hai nước.")
    assert len(article.body.split("\n\n")) == 7
    for furniture in ("Bình luận", "No data", "Cùng chủ đề", "Cô gái Điện Biên", "Nguồn:"):
        assert furniture not in article.body
    assert article.text == article.title + "\n\n" + article.body
    _check_offset_map(article, raw.decode("utf-8"))


def test_sample_003() -> None:
    raw = SAMPLE_003.read_bytes()
    article = clean_page(raw, source=str(SAMPLE_003))
    assert article.title == "Nga nhấn mạnh tầm quan trọng của hiệp ước quốc phòng với Triều Tiên"
    assert article.author == "Mỹ Nga"
    assert article.outlet is None
    assert article.published == datetime(2024, 11, 30, 12, 24)
    assert article.url is None
    assert "Bộ trưởng Quốc phòng Nga Andrei Belousov tại Bình Nhưỡng. Ảnh: RIA Novosti" in article.captions
    assert article.body.startswith("Bộ trưởng Quốc phòng Nga Belousov nhấn mạnh, việc phê chuẩn")
    assert article.body.endswith("trật tự thế giới đa cực công bằng.")
    assert "belousov.png" not in article.text
    assert not article.body.endswith("Mỹ Nga")
    assert "Quốc tế" not in article.title
    assert not article.body.startswith("Quốc tế")
    _check_offset_map(article, raw.decode("utf-8"))


@pytest.mark.parametrize("path", [SAMPLE_000, SAMPLE_003], ids=["000", "003"])
def test_samples_idempotent(path: Path) -> None:
    article = clean_page(path.read_bytes())
    again = clean_page(article.text)
    assert again.body == article.body
    assert again.title == article.title


def test_to_raw_points_at_the_same_words() -> None:
    raw = SAMPLE_003.read_text(encoding="utf-8")
    article = clean_page(raw)
    for word in ("Belousov", "Bình Nhưỡng", "Quảng trường Đỏ", "công bằng."):
        start = article.text.index(word)
        end = start + len(word)
        assert raw[article.to_raw(start) : article.to_raw(end, end=True)] == word
    assert article.to_raw(len(article.text)) <= len(raw)
    with pytest.raises(ValueError, match="outside the article text"):
        article.to_raw(len(article.text) + 1)


# --- hand-written pages in the style of other outlets -----------------------

FIXTURE_CASES = [
    (
        "vnexpress_like.txt",
        "Nhật Bản ghi nhận nhiệt độ cao kỷ lục trong tháng 7",
        datetime(2024, 7, 19, 8, 30),
        "Thanh Tâm",
        None,
        "Nhiệt độ tại nhiều địa phương của Nhật Bản vượt 40 độ C hôm 18/7",
        "sử dụng điều hòa nhiệt độ một cách hợp lý.",
        4,
    ),
    (
        "tuoitre_like.txt",
        "Hàn Quốc và Nhật Bản tăng cường hợp tác ứng phó biến đổi khí hậu",
        datetime(2024, 5, 20, 7, 0),
        "BẢO ANH",
        None,
        "TTO - Bộ trưởng Môi trường Hàn Quốc và Nhật Bản ngày 19-5",
        "đạt mục tiêu trung hòa carbon vào năm 2050.",
        3,
    ),
    (
        "dantri_like.txt",
        "Thái Lan công bố gói kích thích kinh tế trị giá 14 tỷ USD",
        datetime(2024, 12, 2, 14, 5),
        "Thanh Bình",
        None,
        "(Dân trí) - Chính phủ Thái Lan ngày 2/12 công bố",
        "thêm 1,2 điểm phần trăm trong năm tới.",
        3,
    ),
    (
        "vietnamplus_like.txt",
        "Liên minh châu Âu thông qua gói hỗ trợ quốc phòng mới",
        datetime(2025, 3, 5, 10, 15),
        "Minh Hằng",
        "TTXVN",
        "Brussels (TTXVN/Vietnam+) - Ngày 4/3, Hội đồng châu Âu",
        "để châu Âu tự chủ hơn về an ninh.",
        3,
    ),
]


@pytest.mark.parametrize(
    ("name", "title", "published", "author", "outlet", "body_start", "body_end", "paragraphs"),
    FIXTURE_CASES,
    ids=[case[0] for case in FIXTURE_CASES],
)
def test_outlet_pages(
    name: str,
    title: str,
    published: datetime,
    author: str | None,
    outlet: str | None,
    body_start: str,
    body_end: str,
    paragraphs: int,
) -> None:
    raw = (FIXTURES / name).read_bytes()
    article = clean_page(raw, source=name)
    assert article.title == title
    assert article.published == published
    assert article.author == author
    assert article.outlet == outlet
    assert article.body.startswith(body_start)
    assert article.body.endswith(body_end)
    assert len(article.body.split("\n\n")) == paragraphs
    for furniture in ("Chia sẻ", "Xem thêm", "TIN LIÊN QUAN", "Bình luận", "Đọc thêm", "Ảnh:", "Tin cùng"):
        assert furniture not in article.body
    assert clean_page(article.text).body == article.body
    _check_offset_map(article, raw.decode("utf-8"))


def test_related_block_inside_the_article_is_skipped() -> None:
    article = clean_page((FIXTURES / "tuoitre_like.txt").read_bytes())
    assert "Nhật Bản công bố kế hoạch giảm phát thải mới" not in article.text
    assert "Theo hãng tin Yonhap, hai bên nhất trí" in article.body
    assert article.captions == ("Hai bộ trưởng tại lễ ký kết ở Seoul - Ảnh: YONHAP",)


def test_vietnamplus_source_url() -> None:
    article = clean_page((FIXTURES / "vietnamplus_like.txt").read_bytes())
    assert article.url == (
        "https://www.vietnamplus.vn/lien-minh-chau-au-thong-qua-goi-ho-tro-quoc-phong-moi-post1020304.vnp"
    )
    assert article.captions == ("Các bộ trưởng quốc phòng EU họp tại Brussels, Bỉ. (Ảnh: AFP/TTXVN)",)


# --- bylines ----------------------------------------------------------------

BODY = (
    "Sáng nay, Quốc hội đã thông qua Luật Đất đai sửa đổi với đa số đại biểu tán thành, "
    "mở đường cho nhiều thay đổi lớn về quản lý đất."
)
TITLE = "Quốc hội thông qua Luật Đất đai sửa đổi"


@pytest.mark.parametrize(
    ("byline", "published", "outlet", "author"),
    [
        ("Báo Quốc TếBáo Quốc Tế19/07/2024", datetime(2024, 7, 19), "Báo Quốc Tế", None),
        ("Mỹ Nga 30/11/2024 12:24", datetime(2024, 11, 30, 12, 24), None, "Mỹ Nga"),
        ("Thứ Sáu, 19/7/2024, 08:30 (GMT+7)", datetime(2024, 7, 19, 8, 30), None, None),
        ("Thứ hai, 02/12/2024 - 14:05", datetime(2024, 12, 2, 14, 5), None, None),
        ("Cập nhật: 10:15 ngày 05/03/2025", datetime(2025, 3, 5, 10, 15), None, None),
        ("20/05/2024 07:00 GMT+7", datetime(2024, 5, 20, 7, 0), None, None),
        ("Thanh Niên 15/08/2024 06:00", datetime(2024, 8, 15, 6, 0), "Thanh Niên", None),
        ("Minh Anh - VOV 01/06/2024 09:45", datetime(2024, 6, 1, 9, 45), "VOV", "Minh Anh"),
    ],
)
def test_bylines(byline: str, published: datetime, outlet: str | None, author: str | None) -> None:
    article = clean_page(f"Thời sự\n\n{TITLE}\n\n{byline}\n\n{BODY}\n")
    assert article.title == TITLE
    assert article.published == published
    assert article.outlet == outlet
    assert article.author == author
    assert article.body == BODY


def test_no_byline_takes_first_headline() -> None:
    article = clean_page(f"Trang chủ\nThời sự\n\n{TITLE}\n\n{BODY}\n\nChia sẻ\nZalo")
    assert (article.title, article.body, article.published) == (TITLE, BODY, None)


# --- encodings --------------------------------------------------------------

ENC_PAGE = SAMPLE_003.read_text(encoding="utf-8")
ENC_TITLE = "Nga nhấn mạnh tầm quan trọng của hiệp ước quốc phòng với Triều Tiên"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (ENC_PAGE.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + ENC_PAGE.encode("utf-8"), "utf-8-sig"),
        (ENC_PAGE.encode("utf-16"), "utf-16"),
        (_to_cp1258(ENC_PAGE), "cp1258"),
        (unicodedata.normalize("NFD", ENC_PAGE).encode("utf-8"), "utf-8"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16", "cp1258", "nfd"],
)
def test_encodings(data: bytes, encoding: str) -> None:
    article = clean_page(data)
    assert article.encoding == encoding
    assert article.title == ENC_TITLE
    assert article.author == "Mỹ Nga"
    assert unicodedata.is_normalized("NFC", article.text)
    assert article.body == clean_page(ENC_PAGE).body
    decoded, used = decode(data)
    assert used == encoding
    assert not decoded.startswith("\ufeff")
    _check_offset_map(article, decoded)


def test_cp1258_decodes_decomposed_tones() -> None:
    text, encoding = decode(_to_cp1258("Hà Nội mùa thu"))
    assert encoding == "cp1258"
    assert text != "Hà Nội mùa thu"  # tone marks arrive as combining characters
    assert normalize(text)[0] == "Hà Nội mùa thu"


def test_str_input_reports_str() -> None:
    assert clean_page(ENC_PAGE).encoding == "str"


# --- bad input --------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b"", EmptyDocumentError),
        ("", EmptyDocumentError),
        (b"   \n\t\r\n  ", EmptyDocumentError),
        ("\u00a0\u200b\n\n", EmptyDocumentError),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01", DecodeError),
        (b"\x89PNG\r\n\x1a\n", DecodeError),
        (bytes(range(128, 256)) * 3, DecodeError),
        (
            "Trang chủ\nThời sự\nThế giới\nKinh doanh\nGiải trí\nThể thao\n\nChia sẻ\nFacebook\nZalo\n",
            NoArticleError,
        ),
        ("Trang chủ > Thế giới\n\nBình luận (0)\nNo data\nNo videos available\n", NoArticleError),
    ],
    ids=[
        "empty-bytes",
        "empty-str",
        "whitespace",
        "invisible",
        "png",
        "png-head",
        "latin1",
        "menu",
        "widgets",
    ],
)
def test_bad_input(raw: bytes | str, error: type[DocumentError]) -> None:
    with pytest.raises(error, match=r"data/raw/x\.txt: .*; "):
        clean_page(raw, source="data/raw/x.txt")


def test_no_article_message_says_what_to_do() -> None:
    with pytest.raises(NoArticleError, match="no article body found; is this a news page"):
        clean_page("Trang chủ\nThời sự\nThế giới", source="data/raw/x.txt")


# --- normalize --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ho\u0300a bi\u0300nh", "Hòa bình"),  # NFD → NFC
        ("hoà  bình\t\tđã", "hoà bình đã"),  # tone placement kept as written
        ("  Hà\u00a0Nội \r\n\r\n\r\n\r\nTP\u200bHCM  ", "Hà Nội\n\nTPHCM"),
        ("a\r\nb\rc", "a\nb\nc"),
        ("Vie\u0302\u0323t Nam", "Việt Nam"),
        ("Vie\u0323\u0302t Nam", "Việt Nam"),
    ],
)
def test_normalize_cases(text: str, expected: str) -> None:
    out, mapping = normalize(text)
    assert out == expected
    assert len(mapping) == len(out) + 1
    assert mapping[-1] == len(text)


def test_normalize_map_points_at_the_source_chunk() -> None:
    text = "Ho\u0300a  bi\u0300nh"
    out, mapping = normalize(text)
    assert out == "Hòa bình"
    assert mapping == [0, 1, 3, 4, 6, 7, 9, 10, 11]


VI_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from("aăâeêioôơuưyđAĂÂĐ bcdghklmnpqrstvx.,\n\t\u00a0\u200b\r"),
        st.characters(min_codepoint=0x300, max_codepoint=0x323),
        st.characters(codec="utf-8"),
    ),
    max_size=80,
)


@given(VI_TEXT)
def test_normalize_idempotent(text: str) -> None:
    out, _ = normalize(text)
    again, mapping = normalize(out)
    assert again == out
    # Already-normal text maps onto itself, except that a combining mark with nothing to
    # compose with maps to the start of its cluster.
    assert mapping == sorted(mapping) and mapping[-1] == len(out)
    assert all(m == i or unicodedata.combining(out[i]) for i, m in enumerate(mapping[:-1]))
    assert unicodedata.is_normalized("NFC", out)


@given(VI_TEXT)
def test_normalize_map_slices_back(text: str) -> None:
    out, mapping = normalize(text)
    assert len(mapping) == len(out) + 1
    assert all(a <= b for a, b in itertools.pairwise(mapping))
    start = 0
    for line in out.split("\n"):
        end = start + len(line)
        assert normalize(text[mapping[start] : mapping[end]])[0] == line
        start = end + 1


PAGE_LINES = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "Thời sự",
                "Chia sẻ",
                "Bình luận (0)",
                "Xem thêm",
                "Ảnh minh họa",
                "Nguồn: https://example.vn/a.html",
                "Mỹ Nga 30/11/2024 12:24",
                TITLE,
                BODY,
                "Ông Nguyễn Văn A cho biết dự án sẽ hoàn thành trong năm nay.",
                "Hà Nội",
                "",
            ]
        ),
        VI_TEXT,
    ),
    max_size=12,
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(PAGE_LINES)
def test_clean_page_only_raises_document_errors_and_is_idempotent(lines: list[str]) -> None:
    page = "\n".join(lines)
    try:
        article = clean_page(page)
    except DocumentError:
        return
    again = clean_page(article.text)
    assert again.body == article.body
    assert again.title == article.title
    _check_offset_map(article, page)


# --- HTML -------------------------------------------------------------------

HTML = """<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8">
<title>Giá vàng tăng mạnh trong phiên sáng nay - VnExpress</title>
<meta property="og:title" content="Giá vàng tăng mạnh trong phiên sáng nay">
<meta property="og:site_name" content="VnExpress">
<meta property="article:published_time" content="2024-07-19T08:30:00+07:00">
</head><body>
<header><nav><a href="/">Trang chủ</a> <a href="/thoi-su">Thời sự</a> <a href="/the-gioi">Thế giới</a>
<a href="/kinh-doanh">Kinh doanh</a></nav></header>
<article>
<h1>Giá vàng tăng mạnh trong phiên sáng nay</h1>
<p class="description">Sáng 19/7, giá vàng miếng SJC tăng thêm 500.000 đồng mỗi lượng
so với cuối phiên hôm qua, lên mức cao nhất trong tháng.</p>
<figure><img src="vang.jpg" alt="vàng">
<figcaption>Khách mua vàng tại Hà Nội. Ảnh: Giang Huy</figcaption></figure>
<p>Theo các chuyên gia, giá vàng trong nước tăng theo đà đi lên của thị trường thế giới, nơi giá kim loại quý
đã vượt mốc 2.400 USD một ounce.</p>
<p>Nhiều người dân xếp hàng từ sớm để mua vàng tại các cửa hàng lớn ở Hà Nội và TP HCM.</p>
<p><strong>Phương Linh</strong></p>
</article>
<footer><p>© 1997-2024. Toàn bộ bản quyền thuộc VnExpress.</p>
<p>Địa chỉ: Tầng 10, Tòa A FPT Tower</p></footer>
</body></html>"""


def test_clean_html() -> None:
    article = clean_html(HTML.encode("utf-8"), source="page.html")
    assert article.title == "Giá vàng tăng mạnh trong phiên sáng nay"
    assert article.published == datetime(2024, 7, 19, 8, 30)
    assert article.outlet == "VnExpress"
    assert article.author == "Phương Linh"
    assert article.encoding == "utf-8"
    assert article.body.startswith("Sáng 19/7, giá vàng miếng SJC tăng thêm 500.000 đồng")
    assert article.body.endswith("tại các cửa hàng lớn ở Hà Nội và TP HCM.")
    assert len(article.body.split("\n\n")) == 3
    for furniture in ("Trang chủ", "bản quyền", "Phương Linh", "Ảnh:"):
        assert furniture not in article.text
    html = HTML
    for ts, te, rs, re_ in article.offset_map:
        assert html[rs:re_] == article.text[ts:te]
    word = article.text.index("SJC")
    assert html[article.to_raw(word) : article.to_raw(word + 3, end=True)] == "SJC"


def test_clean_html_without_article() -> None:
    with pytest.raises(DocumentError, match=r"page\.html"):
        clean_html("<html><body><nav>Trang chủ</nav></body></html>", source="page.html")


# --- records ----------------------------------------------------------------


def test_clean_record() -> None:
    text = (
        "Ho\u0300a Bi\u0300nh  là một ca sĩ nổi tiếng của Việt Nam,\u00a0sinh ra tại Hà Nội.\n"
        "Chia sẻ\n"
        "ca-si.jpg\n"
        "Ca sĩ biểu diễn tại Nhà hát Lớn. Ảnh: Thanh Hà\n"
        "Anh đã phát hành ba album trong năm năm qua.\n"
        "Bình luận (2)\n"
        "Rất hay!"
    )
    article = clean_record(
        " Ca sĩ  Hòa Bình ra mắt album mới ",
        text,
        published="2024-07-19 08:30:00",
        url="https://example.vn/a",
        outlet="Báo Mới",
        source="rows.csv:3",
    )
    assert article.title == "Ca sĩ Hòa Bình ra mắt album mới"
    assert article.body == (
        "Hòa Bình là một ca sĩ nổi tiếng của Việt Nam, sinh ra tại Hà Nội.\n\n"
        "Anh đã phát hành ba album trong năm năm qua."
    )
    assert article.captions == ("Ca sĩ biểu diễn tại Nhà hát Lớn. Ảnh: Thanh Hà",)
    assert article.published == datetime(2024, 7, 19, 8, 30)
    assert (article.url, article.outlet, article.author, article.encoding) == (
        "https://example.vn/a",
        "Báo Mới",
        None,
        "str",
    )
    raw = f" Ca sĩ  Hòa Bình ra mắt album mới \n\n{text}"
    _check_offset_map(article, raw)


@pytest.mark.parametrize(
    ("published", "expected"),
    [
        (datetime(2024, 7, 19, 8, 30), datetime(2024, 7, 19, 8, 30)),
        ("19/07/2024 08:30", datetime(2024, 7, 19, 8, 30)),
        ("2024-07-19", datetime(2024, 7, 19)),
        ("không rõ", None),
        (None, None),
        (float("nan"), None),
    ],
)
def test_clean_record_published(published: datetime | str | None, expected: datetime | None) -> None:
    assert clean_record(None, BODY, published=published).published == expected


def test_clean_record_errors() -> None:
    with pytest.raises(EmptyDocumentError, match=r"rows\.csv:7"):
        clean_record("Tiêu đề", "  \n ", source="rows.csv:7")
    with pytest.raises(NoArticleError, match=r"rows\.csv:8"):
        clean_record("Tiêu đề", "Chia sẻ\nFacebook\nZalo", source="rows.csv:8")
