"""The grammar's words and patterns: numbers, months, weekdays, units, parts of day, tense
markers, and the boundaries a mention may not cross."""

from __future__ import annotations

import re

# --- vocabulary -------------------------------------------------------------------------------

_POD = r"sáng|chiều|tối|đêm|trưa"
# Two-word parts of day first: "2 giờ rạng sáng", "chiều tối 22/7", "sáng sớm nay".
_POD_WORDS = rf"rạng\s+sáng|sáng\s+sớm|chiều\s+tối|đêm\s+khuya|{_POD}"
# TIMEX3 parts of day; "rạng sáng" (the small hours) is the morning.
_POD_CODES = {
    "sáng": "MO",
    "rạng sáng": "MO",
    "sáng sớm": "MO",
    "trưa": "MI",
    "chiều": "AF",
    "chiều tối": "EV",
    "tối": "EV",
    "đêm": "NI",
    "đêm khuya": "NI",
}
# A part of day that leads a day ("sáng 18/7", "tối qua"), unless it ends a clock time
# ("8 giờ chiều ngày 18/7", "3 giờ rưỡi chiều ngày mai", "7:30 chiều", "8h30 tối", "8 giờ 30 sáng");
# after any other number it leads ("thắng 2-1 tối qua").
_POD_LEAD = (
    # (the lookahead first: most positions are no part of day, and fail before the lookbehinds)
    r"(?:(?=(?:buổi\s+)?(?:rạng|sáng|chiều|tối|đêm|trưa)\b)"
    r"(?<!giờ\s)(?<!phút\s)(?<!rưỡi\s)(?<!\dh\s)(?<!:\d\d\s)(?<![hg]\d\d\s)(?<!giờ\s\d\s)(?<!giờ\s\d\d\s)"
    rf"(?<!rạng\s)(?<!chiều\s)(?<!sáng\s)(?:buổi\s+)?(?P<pod>{_POD_WORDS})\s+)"
)
_POD_AFTER_RE = re.compile(rf"\s+(?:{_POD})(?!\w)", re.IGNORECASE)
_LUC_BEFORE_RE = re.compile(r"(?<!\w)(?:lúc|đúng)\s+$", re.IGNORECASE)
_DAY = r"(?P<d>3[01]|[12]\d|0?[1-9])"
_MONTH = r"(?P<m>1[0-2]|0?[1-9])"
_YEAR = r"(?P<y>1\d{3}|20\d{2}|2100)"
# Python forbids repeating a group name, hence one year pattern per role.
_Y1 = _YEAR.replace("?P<y>", "?P<y1>")
_Y2 = _YEAR.replace("?P<y>", "?P<y2>")


def _words_before(words: str) -> re.Pattern[str]:
    """Matches where the text searched ends in one of `words` (an alternation) as a whole word,
    with spaces after it: search it on the text left of a mention."""
    return re.compile(rf"(?:^|[^\w])(?:{words})\s*$", re.IGNORECASE)


# Words before a number that make it an address, a document number, a class or a ratio.
_LEFT_STOP_RE = _words_before(
    r"số|mã|mã số|số hiệu|biển số|ngõ|ngách|hẻm|kiệt|phòng|lớp|tầng|lô|căn hộ|nhà|"
    r"đường|quốc lộ|tỉnh lộ|tỷ số|tỉ số|tỷ lệ|tỉ lệ|nghị định|quyết định|thông tư|công văn|chỉ thị|"
    r"nghị quyết|luật|điều|khoản|tờ trình|phiên bản|chuyến bay|thắng|thua|hòa|km"
)
# Units after a bare number that make it a quantity or a fraction ("1/2 triệu", "1/3 số phiếu").
_RIGHT_UNIT_RE = re.compile(
    r"\s*(?:%|phần trăm|triệu|tỷ|tỉ|nghìn|ngàn|trăm|đồng|usd|đô|euro|km|kg|tấn|người|lượt|ha|"
    r"m2|m²|cm|mm|lít|số|căn|chiếc|con|cái|trận|ván|bàn|điểm)(?!\w)",
    re.IGNORECASE,
)
# A bare "1/4" after these words, or before these, is a fraction ("chiếm 1/4 diện tích").
_FRACTION_LEFT_RE = _words_before(r"khoảng|gần|hơn|trên|dưới|chiếm|tương đương|bằng|còn")
_FRACTION_RIGHT_RE = re.compile(r"\s*(?:diện tích|dân số|tổng|lượng|phần|trong số)(?!\w)", re.IGNORECASE)
_BARE_DAY_MONTH_RE = re.compile(r"\d{1,2}/\d{1,2}")
# Anniversaries ("kỷ niệm 80 năm Chiến thắng") count years but are names, not durations.
_ANNIVERSARY_LEFT_RE = _words_before(r"kỷ niệm|chào mừng|mừng|lần thứ|thứ")
_PAST_RE = re.compile(r"(?<!\w)(?:vừa qua|vừa rồi|đã|trước đó|từng)(?!\w)", re.IGNORECASE)
# "tới" is also the verb "to go to" ("tới Moskva"); only "tuần tới", "thời gian tới"… mark the future.
_FUTURE_RE = re.compile(
    r"(?<!\w)(?:sẽ|dự kiến|kế hoạch|sắp|"
    r"(?:tuần|tháng|năm|ngày|thời\s+gian|dịp|kỳ|đợt|giai\s+đoạn)\s+tới)(?!\w)",
    re.IGNORECASE,
)
# A period that ends a sentence is followed by space; the dots in "19.6.2024" are not.
_SENTENCE_END_RE = re.compile(r"[.!?](?=\s|$)|\n")
_DATETIME_GAP_RE = re.compile(r"[ \t]*,?[ \t]*(?:(?:vào lúc|lúc|vào)[ \t]+)?", re.IGNORECASE)
_RANGE_DASH_RE = re.compile(r"[ \t]*[-–—][ \t]*")
_RANGE_WORD_RE = re.compile(r"[ \t]+(?:đến|tới|cho đến)[ \t]+", re.IGNORECASE)
_RANGE_FROM_RE = re.compile(r"(?:^|(?<=[^\w]))từ[ \t]+$", re.IGNORECASE)

_NUMBER_WORDS = {
    "một": 1,
    "hai": 2,
    "ba": 3,
    "bốn": 4,
    "năm": 5,
    "sáu": 6,
    "bảy": 7,
    "tám": 8,
    "chín": 9,
    "mười": 10,
    "mười một": 11,
    "mười hai": 12,
    "mười ba": 13,
    "mười bốn": 14,
    "mười tư": 14,
    "mười lăm": 15,
    "mười sáu": 16,
    "mười bảy": 17,
    "mười tám": 18,
    "mười chín": 19,
    "hai mươi": 20,
}
# Longest first, so "mười lăm" is not read as "mười".
_NUMBER_WORD_ALT = "|".join(w.replace(" ", r"\s+") for w in sorted(_NUMBER_WORDS, key=len, reverse=True))
# Month names are the numbers up to twelve, but April is "tư" (never "bốn"), and the lunar
# names "giêng" and "chạp" are used for January and December too.
_MONTH_WORDS = {w: n for w, n in _NUMBER_WORDS.items() if n <= 12 and w != "bốn"} | {
    "giêng": 1,
    "tư": 4,
    "chạp": 12,
}
_MONTH_WORD_ALT = "|".join(w.replace(" ", r"\s+") for w in sorted(_MONTH_WORDS, key=len, reverse=True))
_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50}
# TIMEX3 modifiers: hedges before a duration, parts of a period before a date.
_HEDGES = {
    "gần": "APPROX",
    "khoảng": "APPROX",
    "chừng": "APPROX",
    "xấp xỉ": "APPROX",
    "hơn": "MORE_THAN",
    "trên": "MORE_THAN",
    "ít nhất": "EQUAL_OR_MORE",
}
_VAGUE_COUNTS = ("vài", "mấy", "dăm", "nhiều")
_PERIOD_PART_RE = re.compile(r"(?<!\w)(?P<part>đầu|giữa|cuối)[ \t]+$", re.IGNORECASE)
_PERIOD_PARTS = {"đầu": "START", "giữa": "MID", "cuối": "END"}
_PERIOD_GRAINS = ("week", "month", "season", "quarter", "year", "decade", "century")
# A day, whole or in part ("sáng 18/7" is "2024-07-18TMO"), can take a clock time or a weekday.
_DAY_GRAINS = ("day", "part_of_day")
_COUNT_BEFORE_RE = re.compile(rf"(?:\d|(?<!\w)(?:{_NUMBER_WORD_ALT}|vài|mấy|nhiều))\s+$", re.IGNORECASE)
_UNIT_AFTER_RE = re.compile(r"\s+(?:ngày|tuần|tháng|năm|giờ|phút|tiếng)(?!\w)", re.IGNORECASE)
# ISO weekday of "thứ Hai" … "Chủ nhật" (and "thứ 2" … "thứ 7").
_WEEKDAYS = {"hai": 1, "ba": 2, "tư": 3, "năm": 4, "sáu": 5, "bảy": 6, "chủ nhật": 7, "chúa nhật": 7}
_WEEKDAYS.update({str(n): n - 1 for n in range(2, 8)})
_WEEKDAY = r"(?P<wd>thứ\s+(?P<wdn>hai|ba|tư|năm|sáu|bảy|[2-7])|chủ\s+nhật|chúa\s+nhật)"
# "thứ ba" is also "third": a bare weekday needs a capital ("thứ Ba"), a part of day, a date
# after it, or a week after it; and never follows a rank ("lần thứ ba", "xếp thứ 5").
_ORDINAL_LEFT_RE = _words_before(
    r"lần|người|hạng|xếp|đứng|vị trí|giải|lớp|tầng|khóa|khoá|kỳ|đợt|vòng|phần|điều|"
    r"con|năm|ngày|tuần|trận|ván|hiệp|số"
)
_DATE_AFTER_RE = re.compile(
    r"[ \t]*[,(]?[ \t]*(?:ngày[ \t]+)?(?:(?:mồng|mùng)[ \t]+)?\d{1,2}(?:[/.-]|[ \t]+tháng[ \t]+)\d{1,2}",
    re.IGNORECASE,
)
_WEEKDAY_DATE_GAP_RE = re.compile(r"[ \t]*(?P<open>[,(])?[ \t]*")

# Duration units: unit word → (ISO designator, multiplier, grain, time part?).
_UNITS: dict[str, tuple[str, int, str, bool]] = {
    "giây": ("S", 1, "second", True),
    "phút": ("M", 1, "minute", True),
    "giờ": ("H", 1, "hour", True),
    "tiếng": ("H", 1, "hour", True),
    "ngày": ("D", 1, "day", False),
    "tuần": ("W", 1, "week", False),
    "tháng": ("M", 1, "month", False),
    "quý": ("M", 3, "quarter", False),
    "năm": ("Y", 1, "year", False),
    "thập kỷ": ("Y", 10, "decade", False),
    "thập niên": ("Y", 10, "decade", False),
    "thế kỷ": ("Y", 100, "century", False),
}

# Seasons: TIMEX3 code and the month each begins in (the Vietnamese calendar's lập xuân, lập
# hạ, lập thu, lập đông); each lasts three months.
_SEASONS = {"xuân": ("SP", 2), "hè": ("SU", 5), "hạ": ("SU", 5), "thu": ("FA", 8), "đông": ("WI", 11)}
# Holidays on a fixed day of the solar calendar (Tết Nguyên đán needs the lunar one).
_HOLIDAYS = {"giáng sinh": (12, 25), "noel": (12, 25), "tết dương lịch": (1, 1)}
_HOLIDAY_ALT = r"giáng\s+sinh|noel|tết\s+dương\s+lịch"
# "ông già Noel" is Santa Claus, "cây thông Noel" a tree, "đêm Giáng sinh" the eve (the 24th).
_HOLIDAY_NOT_LEFT_RE = _words_before(
    r"ông già|cây thông|thiệp|quà|nhạc|bài hát|hang đá|trang trí|đêm|đêm trước"
)
# "ngày đầu tiên của tháng 3", "tuần cuối cùng của tháng 9": one day or week of a month.
_EDGE_RE = re.compile(
    r"(?<!\w)(?P<unit>ngày|tuần)[ \t]+(?P<edge>đầu[ \t]+tiên|cuối[ \t]+cùng)[ \t]+(?:(?:của|trong)[ \t]+)?$",
    re.IGNORECASE,
)
_PLAIN_MONTH_OR_YEAR_RE = re.compile(r"(?:\d{4}|XXXX)(?:-(?:0[1-9]|1[0-2]))?")

# --- boundaries -------------------------------------------------------------------------------

# Not inside a word or a number: "F-16", "3,2", "0912", "15/2018" all fail here.
_LB = r"(?<![\w/])(?<!\w[-.,:])"
# Bylines glue the date to the site name ("Báo Quốc Tế19/07/2024"); a full d/m/yyyy is safe.
_LB_GLUED = r"(?<![\d/])(?<!\d[-.,:])"
_RB = r"(?![\w/%]|[-.,:]\d)"
# The part of day before a date belongs to it, unless it ends a time ("8 giờ chiều ngày 18/7").
_DAY_PREFIX = rf"{_POD_LEAD}?(?:(?P<kw>ngày|hôm)\s+)?(?:(?P<mong>mồng|mùng)\s+)?"
_TAIL = (
    r"(?:\s+(?P<tail>vừa\s+qua|vừa\s+rồi|sắp\s+tới|tới\s+đây|"
    # "tới" is the verb "go to" unless punctuation or a place word ("tại", "ở") follows it
    r"tới(?=[ \t]*(?:[,.;:!?)\]”\"\n]|$)|[ \t]+(?:tại|ở)(?!\w))|"
    r"năm\s+nay|năm\s+ngoái|năm\s+trước(?!\s+đó)|năm\s+sau(?!\s+đó)|năm\s+tới))?"
)
# More words for "the next/this week, month, quarter, year"; a bare "tiếp" only before punctuation
# ("quý tiếp,"), since "năm tiếp tục" is "the year goes on".
_REL_MORE = r"|tiếp\s+theo|kế\s+tiếp|hiện\s+tại|tiếp(?=[ \t]*(?:[,.;:!?)]|$))"
_TAIL_PAST = ("vừa qua", "vừa rồi")
_TAIL_FUTURE = ("sắp tới", "tới đây", "tới")
_TAIL_YEAR = {"năm nay": 0, "năm ngoái": -1, "năm trước": -1, "năm sau": 1, "năm tới": 1}
