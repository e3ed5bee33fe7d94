"""Clean stage: a scraped page (bytes or str) → a CleanedArticle with title, body, metadata and a map back to the original."""  # noqa: E501

from __future__ import annotations

import bisect
import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from pipeline.errors import DecodeError, EmptyDocumentError, NoArticleError

__all__ = [
    "CleanedArticle",
    "clean_html",
    "clean_page",
    "clean_record",
    "decode",
    "normalize",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CleanedArticle:
    """One article after cleaning.

    Attributes:
        title: The headline, "" when none was found.
        body: The article paragraphs joined by "\\n\\n".
        text: The analysed text: ``title + "\\n\\n" + body``, or just ``body`` without a title.
        published: Naive datetime as written on the page (Vietnam local time); a date
            without a time is read as 00:00.
        outlet: The publishing outlet, when the page names one.
        author: The author, when the page names one.
        url: The article URL, when the page gives one.
        captions: Photo captions taken out of the body.
        encoding: The encoding used to decode the page, or "str" when given a str.
        offset_map: Runs ``(text_start, text_end, raw_start, raw_end)``, sorted by
            ``text_start``: ``text[text_start:text_end]`` came from
            ``raw[raw_start:raw_end]`` of the decoded page. A run whose two lengths
            are equal maps character by character.
    """

    title: str
    body: str
    text: str
    published: datetime | None
    outlet: str | None
    author: str | None
    url: str | None
    captions: tuple[str, ...]
    encoding: str
    offset_map: tuple[tuple[int, int, int, int], ...]

    def to_raw(self, offset: int, *, end: bool = False) -> int:
        """Map an offset into `text` back to an offset into the decoded original.

        Args:
            offset: A position in ``self.text``, ``0 <= offset <= len(self.text)``.
            end: Read `offset` as the exclusive end of a span, so that it maps to the
                end of the character before it rather than the start of the one at it.

        Returns:
            The matching position in the decoded original string. A position that
            falls between runs (a paragraph break, a collapsed space) maps to the end
            of the run before it.

        Raises:
            ValueError: If `offset` is outside ``0..len(text)``.
        """
        if not 0 <= offset <= len(self.text):
            raise ValueError(
                f"offset {offset} is outside the article text (0..{len(self.text)}); "
                "pass an offset into CleanedArticle.text"
            )
        runs = self.offset_map
        if not runs:
            return 0
        if end and offset > 0:
            i = bisect.bisect_right(runs, offset - 1, key=lambda r: r[0]) - 1
            if i >= 0:
                ts, te, rs, re_ = runs[i]
                if offset - 1 < te:
                    if te - ts == re_ - rs:
                        return rs + offset - ts
                    return re_
                return re_
            return runs[0][2]
        i = bisect.bisect_right(runs, offset, key=lambda r: r[0]) - 1
        if i < 0:
            return runs[0][2]
        ts, te, rs, re_ = runs[i]
        if offset < te:
            return rs + offset - ts if te - ts == re_ - rs else rs
        return re_


# --- decoding ---------------------------------------------------------------

_BOMS_UTF16 = (b"\xff\xfe", b"\xfe\xff")
# Letters that only Vietnamese uses among cp1258 texts: they tell a cp1258 page
# apart from bytes that merely happen to decode in a single-byte code page.
_VI_LETTERS = frozenset("ăâđêôơưĂÂĐÊÔƠƯ")
_VI_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")
_CP1258_PUNCT = frozenset("\u00a0“”‘’–—…«»°·•")


def _describe(source: str | None) -> str:
    return source if source else "document"


def decode(data: bytes, *, source: str | None = None) -> tuple[str, str]:
    """Decode a scraped page, guessing among the encodings Vietnamese sites use.

    BOMs are checked first (UTF-8, UTF-16), then strict UTF-8, then Windows-1258,
    which is accepted only when the result looks like Vietnamese.

    Args:
        data: The raw bytes of the page.
        source: Where the bytes came from, used only in error messages.

    Returns:
        The decoded text (BOM removed, not yet normalised) and the name of the
        encoding used: "utf-8", "utf-8-sig", "utf-16" or "cp1258".

    Raises:
        DecodeError: If the bytes are binary or in none of these encodings.
    """
    where = _describe(source)
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise DecodeError(
                f"{where}: starts with a UTF-8 BOM but is not valid UTF-8 "
                f"(byte {exc.start}); re-export the page as UTF-8"
            ) from exc
    if data.startswith(_BOMS_UTF16):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise DecodeError(
                f"{where}: starts with a UTF-16 BOM but is not valid UTF-16 "
                f"(byte {exc.start}); re-export the page as UTF-8"
            ) from exc
    if b"\x00" in data:
        raise DecodeError(
            f"{where}: contains NUL bytes, so it looks binary (an image, PDF or archive?) "
            "rather than a text page; remove it from the input or convert it to UTF-8 text"
        )
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1258")
    except UnicodeDecodeError:
        text = None
    if text is not None and _looks_vietnamese(text):
        return text, "cp1258"
    raise DecodeError(
        f"{where}: is neither UTF-8, UTF-16 nor Vietnamese Windows-1258 text; "
        "check that it is a text page and convert it to UTF-8 (e.g. with iconv)"
    )


def _looks_vietnamese(text: str) -> bool:
    """Tell whether a cp1258 decoding is plausible rather than mojibake."""
    if any(unicodedata.category(c) == "Cc" and c not in "\t\n\r\f" for c in text):
        return False
    non_ascii = [c for c in text if ord(c) > 0x7F]
    if not non_ascii:
        return False
    vi = sum(1 for c in non_ascii if c in _VI_LETTERS or c in _VI_TONES)
    plausible = sum(
        1 for c in non_ascii if c in _VI_LETTERS or c in _VI_TONES or c in _CP1258_PUNCT or c.isalpha()
    )
    return vi > 0 and plausible >= 0.95 * len(non_ascii)


# --- normalisation ----------------------------------------------------------

_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
_SPACES = frozenset(
    "\t \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
)
# Invisible characters that CMSs leave in pages; they carry no meaning in Vietnamese.
_INVISIBLE = frozenset("\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff")


# Any character `_filter_chars` changes: other line breaks and spaces, invisible, control
# (Cc: C0, DEL, C1) and surrogate (Cs) characters. Text without one is left as it is.
_NEEDS_FILTER_RE = re.compile(
    "["
    + re.escape("".join(sorted((_LINE_BREAKS - {"\n"}) | _SPACES - {" "} | _INVISIBLE)))
    + "\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff]"
)


def _filter_chars(text: str) -> tuple[str, list[int], list[int]]:
    """Unify line breaks and spaces, drop invisible and control characters.

    Returns the filtered string and, per character, its start and end in `text`.
    """
    if not _NEEDS_FILTER_RE.search(text):  # the common case: nothing to change
        return text, list(range(len(text))), list(range(1, len(text) + 1))
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in _LINE_BREAKS:
            j = i + 2 if c == "\r" and text.startswith("\n", i + 1) else i + 1
            out.append("\n")
            starts.append(i)
            ends.append(j)
            i = j
            continue
        if c in _SPACES:
            out.append(" ")
        elif c in _INVISIBLE or unicodedata.category(c) in ("Cc", "Cs"):
            i += 1
            continue
        else:
            out.append(c)
        starts.append(i)
        ends.append(i + 1)
        i += 1
    return "".join(out), starts, ends


def _is_boundary(chunk: str, c: str) -> bool:
    """Tell whether NFC may treat `chunk` and `c` separately.

    A character starts a new chunk when it is a starter whose decomposition also
    starts with a starter (so canonical reordering cannot cross it) and it does not
    compose with what precedes it (Hangul jamo do, though they are starters).
    """
    if unicodedata.combining(c):
        return False
    decomposed = unicodedata.normalize("NFD", c)
    if unicodedata.combining(decomposed[0]):
        return False
    return unicodedata.normalize("NFC", chunk + c) == unicodedata.normalize(
        "NFC", chunk
    ) + unicodedata.normalize("NFC", c)


def _compose(text: str, starts: list[int], ends: list[int]) -> tuple[str, list[int], list[int]]:
    """NFC chunk by chunk, mapping each output character to its source chunk."""
    if unicodedata.is_normalized("NFC", text):  # the common case: nothing composes
        return text, starts, ends
    out: list[str] = []
    out_starts: list[int] = []
    out_ends: list[int] = []
    n = len(text)
    i = 0
    while i < n:
        j = i + 1
        # Spaces and line breaks never compose; skipping the check keeps this fast.
        if text[i] not in " \n":
            while j < n and text[j] not in " \n" and not _is_boundary(text[i:j], text[j]):
                j += 1
        piece = text[i:j]
        composed = piece if piece.isascii() else unicodedata.normalize("NFC", piece)
        if composed == piece and len(piece) == 1:
            out.append(piece)
            out_starts.append(starts[i])
            out_ends.append(ends[i])
        else:
            for ch in composed:
                out.append(ch)
                out_starts.append(starts[i])
                out_ends.append(ends[j - 1])
        i = j
    return "".join(out), out_starts, out_ends


def _normalize_spans(text: str) -> tuple[str, list[int], list[int]]:
    """Normalise `text`; return it with each output character's source start and end."""
    filtered, starts, ends = _filter_chars(text)
    composed, starts, ends = _compose(filtered, starts, ends)
    out: list[str] = []
    out_starts: list[int] = []
    out_ends: list[int] = []
    prev_end = -1  # index in `composed` of the line break after the last kept line
    blank_seen = False
    for line_start, line in _iter_lines(composed):
        line_end = line_start + len(line)
        if not line.strip(" "):
            blank_seen = blank_seen or prev_end >= 0
            continue
        if prev_end >= 0:
            # One break between adjacent lines, two (a blank line) when blank lines
            # separated them: each maps to a real line break of the source.
            breaks = [prev_end, line_start - 1] if blank_seen else [line_start - 1]
            for b in breaks:
                out.append("\n")
                out_starts.append(starts[b])
                out_ends.append(ends[b])
        blank_seen = False
        if line[0] != " " and line[-1] != " " and "  " not in line:  # the common case: kept whole
            out.append(line)
            out_starts.extend(starts[line_start:line_end])
            out_ends.extend(ends[line_start:line_end])
            prev_end = line_end
            continue
        prev_space = True  # drops leading spaces
        for k in range(line_start, line_end):
            ch = composed[k]
            if ch == " " and prev_space:
                continue
            prev_space = ch == " "
            out.append(ch)
            out_starts.append(starts[k])
            out_ends.append(ends[k])
        if out[-1] == " ":
            del out[-1], out_starts[-1], out_ends[-1]
        prev_end = line_end
    return "".join(out), out_starts, out_ends


def _iter_lines(text: str):
    """Yield (start, line) for each "\\n"-separated line of `text`."""
    pos = 0
    for line in text.split("\n"):
        yield pos, line
        pos += len(line) + 1


def normalize(text: str) -> tuple[str, list[int]]:
    """NFC and whitespace normalisation with a map back to the input.

    Line breaks of any kind become "\\n"; spaces, tabs and NBSP become one space,
    collapsed within a line and stripped at line ends; invisible characters
    (zero-width spaces, soft hyphens, BOMs) and control characters are dropped;
    runs of blank lines become one blank line, and the text is stripped. Tone-mark
    placement ("hoà" vs "hòa") is left as written.

    Args:
        text: Any string.

    Returns:
        The normalised string and a map with ``len(out) + 1`` entries: ``map[i]`` is
        the input offset where the character ``out[i]`` came from (for a composed
        character, the start of its source base character plus marks), and the
        last entry is ``len(text)``. The map never decreases, and for each output
        line ``out[i:j]``, ``normalize(text[map[i]:map[j]])[0] == out[i:j]``.
    """
    out, starts, _ = _normalize_spans(text)
    return out, [*starts, len(text)]


# --- line classification ----------------------------------------------------

_SECTIONS = frozenset(
    s.casefold()
    for s in (
        "Trang chủ",
        "Tin tức",
        "Thời sự",
        "Quốc tế",
        "Thế giới",
        "Kinh doanh",
        "Kinh tế",
        "Tài chính",
        "Chứng khoán",
        "Bất động sản",
        "Giải trí",
        "Thể thao",
        "Pháp luật",
        "Giáo dục",
        "Sức khỏe",
        "Sức khoẻ",
        "Đời sống",
        "Du lịch",
        "Khoa học",
        "Công nghệ",
        "Số hóa",
        "Số hoá",
        "Xe",
        "Ô tô - Xe máy",
        "Ý kiến",
        "Góc nhìn",
        "Văn hóa",
        "Văn hoá",
        "Xã hội",
        "Chính trị",
        "Hệ thống Chính trị",
        "Quân sự",
        "Video",
        "Ảnh",
        "Podcast",
        "Podcasts",
        "Infographic",
        "Infographics",
        "Multimedia",
        "Emagazine",
        "E-magazine",
        "Di sản",
        "Nhân vật",
        "Doanh nghiệp",
        "Địa phương",
        "Sản phẩm",
        "Châu Á",
        "Châu Âu",
        "Châu Mỹ",
        "Châu Phi",
        "Trung Đông",
        "Phân tích",
        "Tư liệu",
        "Người Việt 5 châu",
        "Bạn đọc",
        "Tâm sự",
        "Thư giãn",
        "Nhịp sống trẻ",
        "Việc làm",
        "Tuyển sinh",
        "Thời tiết",
        "Giao thông",
        "Môi trường",
        "Nông nghiệp",
        "Tiêu dùng",
        "Mới nhất",
        "Tin mới nhất",
        "Tin nóng",
        "Tin xem nhiều",
        "Xem nhiều",
        "Nổi bật",
        "Media",
        "English",
        "Tiếng Việt",
        "Menu",
        "Tìm kiếm",
        "Đăng nhập",
        "Đăng ký",
        "Tin tức Việt Nam",
        "Thế giới 24h",
        "Quân sự thế giới",
        "Hồ sơ",
        "Bình luận quốc tế",
    )
)
_SHARE_WORDS = (
    "chia sẻ",
    "facebook",
    "zalo",
    "twitter",
    "x",
    "email",
    "e-mail",
    "messenger",
    "telegram",
    "linkedin",
    "in bài",
    "bản in",
    "in",
    "copy link",
    "sao chép liên kết",
    "sao chép link",
    "lưu",
    "lưu bài",
    "đã lưu",
    "lưu bài viết",
    "share",
    "tweet",
    "like",
    "thích",
    "gửi",
    "gửi bài",
    "theo dõi",
    "google news",
    "theo dõi trên google news",
    "quay lại",
    "trở lại",
    "về trang chủ",
    "nghe",
    "nghe bài",
    "nghe bài viết",
    "đọc bài",
    "a-",
    "a+",
    "aa",
    "cỡ chữ",
    "tiếp tục đọc",
    "bookmark",
    "0:00",
    "quảng cáo",
    "advertisement",
    "tin tài trợ",
    "no data",
    "no videos available",
    "xem video",
    "video đang phát",
    "tải ứng dụng",
    "đăng ký nhận tin",
    "mở ứng dụng",
    "top",
)
# Longest phrases first so that "in bài" is removed before "in".
_SHARE_RE = re.compile(
    r"(?<!\w)(?:" + "|".join(re.escape(w) for w in sorted(_SHARE_WORDS, key=len, reverse=True)) + r")(?!\w)",
    re.IGNORECASE,
)
_SEPARATORS_ONLY_RE = re.compile(r"^[\W_]*$")
_SITE_HEADER_RE = re.compile(r"^[\w.-]+\.(?:vn|com|net|org|info)\b", re.IGNORECASE)
_IMAGE_FILE_RE = re.compile(r"^\S+\.(?:png|jpe?g|gif|webp|svg|bmp|avif|tiff?)(?:[?#]\S*)?$", re.IGNORECASE)
_BREADCRUMB_STRONG_RE = re.compile(r"\s*[>›»]\s*")
_BREADCRUMB_WEAK_RE = re.compile(r"\s+[|/–-]\s+|\s*\|\s*")

# Blocks that close the article: after them the page is comments, lists of other
# articles and footers, never more of the article.
_HARD_END_RE = re.compile(
    r"^(?:"
    r"nguồn\s*:.*"
    r"|bình luận(?:\s*\(\d+\))?"
    r"|gửi bình luận|viết bình luận|ý kiến bạn đọc|ý kiến(?:\s*\(\d+\))"
    r"|cùng chủ đề|cùng chuyên mục|cùng tác giả|tin cùng chuyên mục|tin cùng chủ đề"
    r"|tin mới|tin mới nhất|đọc nhiều|đọc nhiều nhất|tin nổi bật|tin khác|các tin khác"
    r"|có thể bạn quan tâm|bạn có thể quan tâm|bài viết cùng chủ đề"
    r"|(?:từ khóa|từ khoá|tags?|chủ đề)\s*:.*"
    r"|©.*|copyright\b.*|bản quyền\b.*|giấy phép\b.*|tổng biên tập\b.*|cơ quan chủ quản\b.*"
    r")$",
    re.IGNORECASE,
)
# Boxes of links to other articles that sit inside the article: skip the headlines
# under them, resume when real paragraphs come back.
_SOFT_BLOCK_RE = re.compile(
    r"^(?:tin liên quan|bài liên quan|bài viết liên quan|xem thêm|đọc thêm|xem tiếp"
    r"|mời quý độc giả xem thêm|>>)\s*:?(?P<rest>.*)$",
    re.IGNORECASE,
)
_URL_RE = re.compile(r"https?://\S+")

_CAPTION_RES = (
    # "... (Nguồn: KCNA)", "... (Ảnh: TTXVN)", "(Ảnh minh họa)"
    re.compile(r"\((?:nguồn|ảnh|photo|ảnh minh họa|ảnh minh hoạ)\b[^()]{0,60}\)\.?$", re.IGNORECASE),
    # "... tại Bình Nhưỡng. Ảnh: RIA Novosti", "Ảnh: Reuters"
    re.compile(r"(?:^|[.!?”\")]\s*|\s[-–]\s*)(?:ảnh|photo)\s*:\s*[^.!?:]{1,60}\.?$", re.IGNORECASE),
    # Tuổi Trẻ numbers its photos: "... - Ảnh 1"
    re.compile(r"\s[-–]\s*ảnh\s*\d+$", re.IGNORECASE),
    re.compile(r"^(?:\(?ảnh minh (?:họa|hoạ)\)?\.?)$", re.IGNORECASE),
    re.compile(r"\bảnh minh (?:họa|hoạ)\.?\)?$", re.IGNORECASE),
)

_SENTENCE_END_RE = re.compile(r"[.!?…][\"”’')\]»]*$")
_NO_TITLE_END_RE = re.compile(r"[.,;:]$")

# --- bylines and dates ------------------------------------------------------

_DATE_RE = re.compile(r"(?<!\d)(?P<d>\d{1,2})\s*[/.-]\s*(?P<m>\d{1,2})\s*[/.-]\s*(?P<y>\d{4})(?!\d)")
_ISO_DATE_RE = re.compile(
    r"(?<!\d)(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[T ](?P<H>\d{1,2}):(?P<M>\d{2})(?::\d{2}(?:\.\d+)?)?)?"
)
_TIME_RE = re.compile(
    r"(?<![\d/:])(?P<H>[01]?\d|2[0-3])\s*(?:[:h]|giờ)\s*(?P<M>[0-5]\d)(?:\s*:\s*\d{2})?(?![\d/])"
)
_BYLINE_NOISE_RE = re.compile(
    r"\(?\s*GMT\s*[+-]\s*\d{1,2}(?::?\d{2})?\s*\)?"
    r"|\b(?:thứ\s*(?:hai|ba|tư|năm|sáu|bảy|[2-7])|chủ\s*nhật|CN)\b"
    r"|\b(?:cập nhật|ngày đăng|đăng lúc|đăng|xuất bản|lúc|ngày)\b",
    re.IGNORECASE,
)
_BYLINE_SEP_RE = re.compile(r"\s*[|,:;()\[\]/–—]\s*|\s+-\s+|^\s*-|-\s*$")
_OUTLET_RE = re.compile(
    r"^(?:báo|tạp chí|đài|thông tấn|cổng thông tin|kênh|trang|tạp chí điện tử)\s"
    r"|vnexpress|tuổi trẻ|tuoi tre|thanh niên|dân trí|vietnamplus|vietnam\+|\bvtv\d*\b|\bvov\d*\b"
    r"|ttxvn|nhân dân|\bvtc\b|vietnamnet|znews|zing|lao động|tiền phong|sài gòn giải phóng"
    r"|\bsggp\b|\bqđnd\b|\bcand\b|hà nội mới|vietnam\.vn|baoquocte|vnews|\bvna\b"
    r"|\.(?:vn|com|net)\b",
    re.IGNORECASE,
)
_NAME_WORD_RE = re.compile(r"^[^\W\d_][\w'’.+-]*$")


def _parse_datetime(text: str) -> tuple[datetime, str] | None:
    """Find a date (and a time near it) in `text`; return it and the text left over."""
    m = _DATE_RE.search(text)
    iso = False
    if m is None:
        m = _ISO_DATE_RE.search(text)
        iso = m is not None
        if m is None:
            return None
    try:
        day, month, year = int(m["d"]), int(m["m"]), int(m["y"])
        hour = minute = 0
        rest = text[: m.start()] + " " + text[m.end() :]
        if iso and m["H"] is not None:
            hour, minute = int(m["H"]), int(m["M"])
        else:
            t = _TIME_RE.search(rest)
            if t is not None:
                hour, minute = int(t["H"]), int(t["M"])
                rest = rest[: t.start()] + " " + rest[t.end() :]
        return datetime(year, month, day, hour, minute), rest
    except ValueError:
        return None


def _dedupe_glued(name: str) -> str:
    """Undo a name scraped twice and glued: "Báo Quốc TếBáo Quốc Tế" → "Báo Quốc Tế"."""
    half, odd = divmod(len(name), 2)
    if not odd and half and name[:half] == name[half:]:
        return name[:half]
    if odd and half and name[:half] == name[half + 1 :] and name[half] == " ":
        return name[:half]
    return name


def _parse_byline(line: str) -> tuple[datetime, str] | None:
    """Read a byline/date line; None when the line is something else.

    Returns the date and the name written next to it ("" when none), with the
    pieces of a compound name ("Minh Anh - TTXVN") separated by " | ".
    """
    if len(line) > 160:
        return None
    parsed = _parse_datetime(line)
    if parsed is None:
        return None
    published, rest = parsed
    pieces = _name_pieces(_BYLINE_NOISE_RE.sub(" ", rest))
    if pieces is None:
        return None
    return published, " | ".join(pieces)


def _name_pieces(text: str) -> list[str] | None:
    """Split "Minh Hằng - TTXVN" into names; None unless every piece is a name or outlet."""
    pieces = [" ".join(p.split()) for p in _BYLINE_SEP_RE.split(text)]
    pieces = [_dedupe_glued(p) for p in pieces if p.strip(" .")]
    words = sum(len(p.split()) for p in pieces)
    if words > 8 or any(c.isdigit() for p in pieces for c in p):
        return None
    # Whatever stands next to the date must be a name or an outlet, not a sentence.
    for piece in pieces:
        if not (_OUTLET_RE.search(piece) or _looks_like_name(piece)):
            return None
    return pieces


def _split_name(name: str) -> tuple[str | None, str | None]:
    """Tell outlets from people in a byline name: returns (outlet, author)."""
    outlet: str | None = None
    authors: list[str] = []
    for piece in name.split(" | "):
        piece = piece.strip()
        if not piece:
            continue
        if _OUTLET_RE.search(piece):
            outlet = outlet or piece
        else:
            authors.append(piece)
    return outlet, (", ".join(authors) or None)


def _looks_like_name(line: str) -> bool:
    """A short person name: "Mỹ Nga", "THU HÀ", "Minh Anh/VOV-Washington"."""
    words = line.split()
    if not 1 <= len(words) <= 5 or any(c.isdigit() for c in line):
        return False
    return all(_NAME_WORD_RE.match(w) and w[0].isupper() for w in words)


# --- per-line tests ---------------------------------------------------------


def _is_section(line: str) -> bool:
    folded = line.casefold().strip(" :")
    if folded in _SECTIONS:
        return True
    parts = [p for p in _BREADCRUMB_STRONG_RE.split(line) if p]
    if (
        len(parts) >= 2
        and len(line) <= 100
        and all(len(p.split()) <= 5 and not _SENTENCE_END_RE.search(p) for p in parts)
        and not any(c.isdigit() for c in line)
    ):
        return True
    parts = [p.casefold() for p in _BREADCRUMB_WEAK_RE.split(line) if p]
    return len(parts) >= 2 and all(p in _SECTIONS for p in parts)


def _is_share_bar(line: str) -> bool:
    if len(line) > 120:
        return False
    return bool(_SEPARATORS_ONLY_RE.match(_SHARE_RE.sub(" ", line))) and bool(_SHARE_RE.search(line))


def _is_furniture(line: str) -> bool:
    """Lines that are page furniture wherever they appear."""
    words = line.split()
    if _IMAGE_FILE_RE.match(line) or _is_section(line) or _is_share_bar(line):
        return True
    if len(words) <= 12 and _SITE_HEADER_RE.match(line):
        return True
    return len(words) <= 14 and _parse_byline(line) is not None


def _is_hard_end(line: str) -> bool:
    return len(line.split()) <= 15 and _HARD_END_RE.match(line) is not None


def _is_caption(line: str) -> bool:
    return len(line.split()) <= 80 and any(r.search(line) for r in _CAPTION_RES)


def _is_headline(line: str) -> bool:
    words = line.split()
    return (
        4 <= len(words) <= 35
        and not _NO_TITLE_END_RE.search(line)
        and not line.endswith("...")
        and not _is_furniture(line)
        and not _is_caption(line)
        and not _is_hard_end(line)
        and _SOFT_BLOCK_RE.match(line) is None
    )


def _is_paragraph(line: str) -> bool:
    words = len(line.split())
    return words >= 20 or (words >= 6 and bool(_SENTENCE_END_RE.search(line)))


def _is_signature(line: str) -> bool:
    """Trailing author/source lines: "Mỹ Nga", "Thanh Bình (Theo Reuters)", "Theo TTXVN"."""
    words = line.split()
    if not words or len(words) > 8:
        return False
    if len(words) <= 6 and (re.match(r"^\(?theo\b", line, re.IGNORECASE) or re.match(r"^\([^()]*\)$", line)):
        return True
    if _SENTENCE_END_RE.search(line) or line.endswith((":", ";", ",")):
        return False
    return _looks_like_name(re.sub(r"\s*\(.*\)\s*$", "", line)) or line.isupper()


# --- assembling the article -------------------------------------------------


@dataclass(slots=True)
class _Line:
    text: str
    start: int  # offset of the line in the normalised text


def _lines(norm: str) -> list[_Line]:
    return [_Line(line, pos) for pos, line in _iter_lines(norm) if line]


@dataclass(slots=True)
class _Parts:
    title: _Line | None
    body: list[_Line]
    captions: list[str]
    published: datetime | None = None
    outlet: str | None = None
    author: str | None = None
    url: str | None = None


def _scan_body(
    lines: list[_Line],
    *,
    title: str,
    parts: _Parts,
    after_image: set[int] | None = None,
    signatures: bool = True,
) -> None:
    """Fill parts.body/captions/url from the lines after the title."""
    in_soft_block = False
    title_key = title.casefold()
    for i, line in enumerate(lines):
        text = line.text
        if _is_hard_end(text):
            if text.casefold().startswith("nguồn"):
                url = _URL_RE.search(text)
                if url and parts.url is None:
                    parts.url = url.group(0).rstrip(".,;)")
            break
        soft = _SOFT_BLOCK_RE.match(text)
        if soft:
            in_soft_block = not soft["rest"].strip()
            continue
        if in_soft_block:
            if _is_paragraph(text) and not _is_headline_link(text):
                in_soft_block = False
            else:
                continue
        if _is_furniture(text):
            continue
        if (
            (title_key and text.casefold() == title_key)
            or _is_caption(text)
            or (after_image is not None and i in after_image)
        ):
            parts.captions.append(text)
            continue
        parts.body.append(line)
    if signatures:
        while parts.body and _is_signature(parts.body[-1].text):
            sig = parts.body.pop().text
            plain = re.sub(r"\s*\(.*\)\s*$", "", sig)
            if parts.author is None and not plain.casefold().startswith("theo") and _looks_like_name(plain):
                parts.author = plain


def _is_headline_link(line: str) -> bool:
    # A related-article link is a headline: no final full stop, at most ~30 words.
    return len(line.split()) <= 30 and not line.rstrip("\"”’')").endswith((".", "…"))


def _image_followers(lines: list[_Line]) -> set[int]:
    """Indexes of lines right after an image file name: they are its caption."""
    return {
        i + 1
        for i, line in enumerate(lines[:-1])
        if _IMAGE_FILE_RE.match(line.text) and not _is_furniture(lines[i + 1].text)
    }


def _analyse_page(lines: list[_Line]) -> _Parts:
    parts = _Parts(title=None, body=[], captions=[])
    after_image = _image_followers(lines)
    # The header zone ends with the first real paragraph: byline and title sit above it.
    zone_end = len(lines)
    for i, line in enumerate(lines):
        if (
            i not in after_image
            and not _is_furniture(line.text)
            and not _is_caption(line.text)
            and not _is_hard_end(line.text)
            and _is_paragraph(line.text)
        ):
            zone_end = i
            break
    byline_at: int | None = None
    for i in range(min(zone_end, len(lines))):
        if len(lines[i].text.split()) > 14:
            continue
        byline = _parse_byline(lines[i].text)
        if byline is not None:
            byline_at = i
            parts.published, name = byline
            parts.outlet, parts.author = _split_name(name)
            break

    title_at: int | None = None
    if byline_at is not None:
        for i in range(byline_at - 1, -1, -1):
            text = lines[i].text
            # A name line ("Minh Hằng - TTXVN") between headline and date is no title.
            if _is_headline(text) and _name_pieces(text) is None:
                title_at = i
                break
        if title_at is not None and not (parts.outlet or parts.author):
            # A name on its own line between the title and a bare date line.
            between = [line.text for line in lines[title_at + 1 : byline_at] if not _is_furniture(line.text)]
            pieces = _name_pieces(between[0]) if len(between) == 1 else None
            if pieces:
                parts.outlet, parts.author = _split_name(" | ".join(pieces))
        if title_at is None:
            # Outlets that print the date above the headline: take the first
            # headline-like line before the first paragraph, as when there is no byline.
            for i in range(byline_at + 1, min(zone_end + 1, len(lines))):
                if _is_headline(lines[i].text):
                    title_at = i
                    break
        # Everything above the body (title, byline and what sits between) is header.
        body_from = max(byline_at, title_at if title_at is not None else -1) + 1
    else:
        for i in range(min(zone_end + 1, len(lines))):
            if _is_headline(lines[i].text):
                title_at = i
                break
        body_from = title_at + 1 if title_at is not None else 0

    parts.title = lines[title_at] if title_at is not None else None
    body_lines = lines[body_from:]
    shifted = {i - body_from for i in after_image if i >= body_from}
    _scan_body(
        body_lines,
        title=parts.title.text if parts.title else "",
        parts=parts,
        after_image=shifted,
    )
    return parts


def _build(
    parts: _Parts,
    *,
    spans: tuple[list[int], list[int]] | None,
    encoding: str,
    source: str | None,
) -> CleanedArticle:
    """Assemble text, body and offset map from the chosen lines."""
    if not any(_is_paragraph(line.text) or len(line.text.split()) >= 8 for line in parts.body):
        raise NoArticleError(
            f"{_describe(source)}: no article body found; is this a news page? "
            "Only menus, headlines or page furniture remained after cleaning: check that "
            "the scrape captured the article text, or drop this page from the input"
        )
    pieces = ([parts.title] if parts.title else []) + parts.body
    chunks: list[str] = []
    runs: list[tuple[int, int, int, int]] = []
    pos = 0
    for k, line in enumerate(pieces):
        if k:
            chunks.append("\n\n")
            pos += 2
        chunks.append(line.text)
        if spans is not None:
            runs.extend(_line_runs(line, pos, *spans))
        pos += len(line.text)
    text = "".join(chunks)
    title = parts.title.text if parts.title else ""
    body = text[len(title) + 2 :] if title else text
    return CleanedArticle(
        title=title,
        body=body,
        text=text,
        published=parts.published,
        outlet=parts.outlet,
        author=parts.author,
        url=parts.url,
        captions=tuple(parts.captions),
        encoding=encoding,
        offset_map=tuple(runs),
    )


def _line_runs(
    line: _Line, text_pos: int, starts: list[int], ends: list[int]
) -> list[tuple[int, int, int, int]]:
    """Split a line into runs that map character for character, or one composed unit each."""
    n = len(line.text)
    first = starts[line.start] if n else 0
    copied = (
        n
        and starts[line.start : line.start + n] == list(range(first, first + n))
        and ends[line.start : line.start + n] == list(range(first + 1, first + n + 1))
    )
    if copied:  # the common case: the line is the source's characters as they were
        return [(text_pos, text_pos + n, first, first + n)]
    runs: list[tuple[int, int, int, int]] = []
    k = 0
    while k < n:
        s = line.start + k
        j = k + 1
        while j < n and starts[line.start + j] == starts[s]:
            j += 1
        if j - k > 1 or ends[s] - starts[s] != 1:
            # A composed character maps as a unit to its base letter plus marks.
            runs.append((text_pos + k, text_pos + j, starts[s], ends[s]))
            k = j
            continue
        while j < n:
            t = line.start + j
            if ends[t] - starts[t] != 1 or starts[t] != starts[t - 1] + 1:
                break
            if j + 1 < n and starts[t + 1] == starts[t]:
                break
            j += 1
        runs.append((text_pos + k, text_pos + j, starts[s], ends[line.start + j - 1]))
        k = j
    return runs


def _prepare(raw: bytes | str, source: str | None) -> tuple[str, str, str, list[int], list[int]]:
    """Decode and normalise; raise EmptyDocumentError on blank input."""
    if isinstance(raw, bytes):
        if not raw.strip():
            raise EmptyDocumentError(
                f"{_describe(source)}: is empty; re-scrape the page or remove it from the input"
            )
        decoded, encoding = decode(raw, source=source)
    else:
        decoded, encoding = raw, "str"
    norm, starts, ends = _normalize_spans(decoded)
    if not norm:
        raise EmptyDocumentError(
            f"{_describe(source)}: holds no text (empty or whitespace only); "
            "re-scrape the page or remove it from the input"
        )
    return decoded, encoding, norm, starts, ends


def clean_page(raw: bytes | str, *, source: str | None = None) -> CleanedArticle:
    """Clean a plain-text scraped news page.

    Finds the title, the byline (date, outlet, author), the body paragraphs and
    the photo captions, and drops site headers, menus, share bars, comment
    widgets, related-article blocks and footers.

    Args:
        raw: The page as bytes (decoded with :func:`decode`) or str.
        source: Where the page came from, used only in error messages.

    Returns:
        The cleaned article; its ``offset_map`` points into the decoded page.

    Raises:
        DecodeError: If the bytes cannot be decoded.
        EmptyDocumentError: If the page holds no text.
        NoArticleError: If nothing that looks like an article body remains.
    """
    _, encoding, norm, starts, ends = _prepare(raw, source)
    parts = _analyse_page(_lines(norm))
    return _build(parts, spans=(starts, ends), encoding=encoding, source=source)


_META_TIME_RE = re.compile(
    r"""<meta[^>]+(?:property|name|itemprop)\s*=\s*["'](?:article:published_time|datePublished|pubdate|publishdate|og:published_time)["'][^>]*>""",
    re.IGNORECASE,
)
_META_CONTENT_RE = re.compile(r"""content\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_JSONLD_TIME_RE = re.compile(r'"datePublished"\s*:\s*"([^"]+)"')
_HTML_GAP = r"(?:\s|&nbsp;|&#160;|&#xa0;|<[^>]*>)+"


def _published_from_html(html: str) -> datetime | None:
    for tag in _META_TIME_RE.finditer(html):
        content = _META_CONTENT_RE.search(tag.group(0))
        if content:
            parsed = _parse_datetime(content.group(1))
            if parsed:
                return parsed[0]
    m = _JSONLD_TIME_RE.search(html)
    if m:
        parsed = _parse_datetime(m.group(1))
        if parsed:
            return parsed[0]
    return None


def _find_in_html(
    html: str, line: str, pos: int, text_pos: int
) -> tuple[list[tuple[int, int, int, int]], int]:
    """Locate a text line in the HTML source word by word; return runs and new cursor."""
    words = line.split(" ")
    if not words or len(words) > 400:
        return [], pos
    pattern = _HTML_GAP.join(f"({re.escape(w)})" for w in words)
    m = re.compile(pattern).search(html, pos) or re.compile(pattern).search(html)
    if m is None:
        return [], pos
    runs = []
    offset = text_pos
    for g, word in enumerate(words, start=1):
        runs.append((offset, offset + len(word), m.start(g), m.end(g)))
        offset += len(word) + 1
    return runs, m.end()


def clean_html(raw: bytes | str, *, source: str | None = None) -> CleanedArticle:
    """Clean an HTML news page: extract the article with trafilatura, then clean it.

    Args:
        raw: The HTML as bytes (decoded with :func:`decode`) or str.
        source: Where the page came from, used only in error messages.

    Returns:
        The cleaned article. ``offset_map`` has one run per word found verbatim in
        the HTML source; words written with entities or split by markup have none.

    Raises:
        DecodeError: If the bytes cannot be decoded.
        EmptyDocumentError: If the page holds no text.
        NoArticleError: If trafilatura finds no article, or nothing of it survives cleaning.
    """
    import trafilatura  # deferred: it takes a second to import and only HTML needs it

    html, encoding, _, _, _ = _prepare(raw, source)
    doc = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False, include_tables=False)
    meta = doc.as_dict() if doc is not None and hasattr(doc, "as_dict") else (doc or {})
    text = meta.get("text") or ""
    if not text.strip():
        raise NoArticleError(
            f"{_describe(source)}: no article body found in the HTML; is this a news page? "
            "Check that the saved HTML contains the article (not a login or consent page)"
        )
    title, _ = normalize(meta.get("title") or "")
    sitename = (meta.get("sitename") or "").strip() or None
    if sitename:
        title = re.sub(rf"\s*[-|–]\s*{re.escape(sitename)}$", "", title)
    norm, _, _ = _normalize_spans(text)
    lines = _lines(norm)
    parts = _Parts(title=_Line(title, 0) if title else None, body=[], captions=[])
    # trafilatura repeats the <h1> as the first line of the text.
    while lines and title and lines[0].text.casefold() == title.casefold():
        lines = lines[1:]
    for line in lines[:3]:
        byline = _parse_byline(line.text) if len(line.text.split()) <= 14 else None
        if byline is not None:
            parts.published, name = byline
            parts.outlet, parts.author = _split_name(name)
            break
    _scan_body(lines, title=title, parts=parts, after_image=_image_followers(lines))
    parts.published = _published_from_html(html) or parts.published
    if parts.published is None and meta.get("date"):
        parsed = _parse_datetime(str(meta["date"]))
        parts.published = parsed[0] if parsed else None
    parts.outlet = parts.outlet or sitename
    if parts.author is None and meta.get("author"):
        parts.author = normalize(str(meta["author"]))[0] or None
    parts.url = parts.url or meta.get("url")
    article = _build(parts, spans=None, encoding=encoding, source=source)
    runs: list[tuple[int, int, int, int]] = []
    cursor = 0
    pos = 0
    for k, line in enumerate(([parts.title] if parts.title else []) + parts.body):
        if k:
            pos += 2
        found, cursor = _find_in_html(html, line.text, cursor, pos)
        runs.extend(found)
        pos += len(line.text)
    return _replace_map(article, runs)


def _replace_map(article: CleanedArticle, runs: list[tuple[int, int, int, int]]) -> CleanedArticle:
    return CleanedArticle(
        title=article.title,
        body=article.body,
        text=article.text,
        published=article.published,
        outlet=article.outlet,
        author=article.author,
        url=article.url,
        captions=article.captions,
        encoding=article.encoding,
        offset_map=tuple(sorted(runs)),
    )


def _coerce_published(value: datetime | str | None, source: str | None) -> datetime | None:
    if value is None or value != value:  # NaN / NaT from a table's empty cell
        return None
    if isinstance(value, datetime):
        # Keep the wall-clock time as written; the zone is Vietnam local time by convention.
        return value.replace(tzinfo=None) if value is not None else None
    if not isinstance(value, str):
        logger.warning("%s: published %r is not a date; left empty", _describe(source), value)
        return None
    parsed = _parse_datetime(value)
    if parsed is None:
        if value.strip():
            logger.warning("%s: cannot read the date %r; published left empty", _describe(source), value)
        return None
    return parsed[0]


def clean_record(
    title: str | None,
    text: str,
    *,
    published: datetime | str | None = None,
    url: str | None = None,
    outlet: str | None = None,
    author: str | None = None,
    source: str | None = None,
) -> CleanedArticle:
    """Clean one row of a table of articles whose title and text are already separate.

    Applies the same NFC and whitespace normalisation as :func:`clean_page` and a
    light furniture removal (share bars, image names, captions, comment and
    related-article blocks), without looking for a title or byline in the text.

    Args:
        title: The headline, if the table has one.
        text: The article text.
        published: A datetime (time zone dropped, wall time kept) or a date string
            such as "2024-07-19 08:30" or "19/07/2024 08:30".
        url: The article URL.
        outlet: The publishing outlet.
        author: The author.
        source: Where the row came from (file and row id), used only in error messages.

    Returns:
        The cleaned article. Its ``offset_map`` points into ``title + "\\n\\n" + text``
        (or ``text`` alone when there is no title).

    Raises:
        EmptyDocumentError: If the text is empty or whitespace only.
        NoArticleError: If nothing that looks like an article body remains.
    """
    if not isinstance(title, str) or not title.strip():
        title = None  # also NaN from an empty cell
    raw = f"{title}\n\n{text}" if title else text
    if not text.strip():
        raise EmptyDocumentError(f"{_describe(source)}: the text column is empty; fill it or drop the row")
    norm, starts, ends = _normalize_spans(raw)
    lines = _lines(norm)
    title_line: _Line | None = None
    if title:
        # The title may itself span lines; join them with spaces (a 1:1 replacement).
        n_title = len(_normalize_spans(title)[0].split("\n"))
        title_lines = lines[:n_title]
        lines = lines[n_title:]
        if len(title_lines) == 1:
            title_line = title_lines[0]
        else:
            # A title must be one line; the joined one has no character map (start -1).
            title_line = _Line(" ".join(line.text for line in title_lines), -1)
    parts = _Parts(title=title_line, body=[], captions=[], url=url, outlet=outlet, author=author)
    parts.published = _coerce_published(published, source)
    _scan_body(lines, title="", parts=parts, after_image=_image_followers(lines), signatures=False)
    if not parts.body:
        raise NoArticleError(
            f"{_describe(source)}: no article body found; is this a news text? Only page "
            "furniture (menus, share bars, captions) remained after cleaning"
        )
    return _build_record(parts, starts, ends)


def _build_record(parts: _Parts, starts: list[int], ends: list[int]) -> CleanedArticle:
    pieces = ([parts.title] if parts.title else []) + parts.body
    runs: list[tuple[int, int, int, int]] = []
    pos = 0
    texts: list[str] = []
    for k, line in enumerate(pieces):
        if k:
            pos += 2
        texts.append(line.text)
        if line.start >= 0:
            runs.extend(_line_runs(line, pos, starts, ends))
        pos += len(line.text)
    text = "\n\n".join(texts)
    title = parts.title.text if parts.title else ""
    return CleanedArticle(
        title=title,
        body=text[len(title) + 2 :] if title else text,
        text=text,
        published=parts.published,
        outlet=parts.outlet,
        author=parts.author,
        url=parts.url,
        captions=tuple(parts.captions),
        encoding="str",
        offset_map=tuple(runs),
    )
