"""Dates stage: text and an anchor date-time → date/time mentions with TIMEX3-style ISO values."""

from __future__ import annotations

import bisect
import calendar
import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from spacy.language import Language
from spacy.tokens import Doc

__all__ = ["DateMention", "dates_component", "find_dates"]


@dataclass(frozen=True, slots=True)
class DateMention:
    """A date or time expression; `text[start:end] == self.text` in the text that was searched.

    `value` follows TIMEX3: "2024-06-19", "2024-06", "2024", "2024-W28", "2024-Q3", "199"
    (a decade), "19" (a century), "2024-06-19T08:30", "2024-06-19T08:30:15", "P3D", "PT2H";
    a part of day with no clock time is "2024-06-19TMO" (MO, MI, AF, EV, NI; grain
    "part_of_day"), a season "2024-SU" (SP, SU, FA, WI; grain "season"); unknown parts are "X"
    when there was no anchor ("XXXX-06-19"); a range is the ISO interval "1950/1953".
    `anchor` is the anchor in ISO form whenever one was given (the value may not depend on it).
    `mod` is TIMEX3's modifier: `APPROX` ("khoảng", "gần", "chừng" 3 ngày), `MORE_THAN`
    ("hơn", "trên"), `EQUAL_OR_MORE` ("ít nhất"), `START`/`MID`/`END` ("đầu", "giữa",
    "cuối" tháng 6); None for an exact value.
    """

    start: int
    end: int
    text: str
    type: str
    value: str
    grain: str
    range_start: str | None
    range_end: str | None
    anchor: str | None
    mod: str | None = None


@dataclass(frozen=True, slots=True)
class _Value:
    type: str
    value: str
    grain: str
    range_start: str | None = None
    range_end: str | None = None
    uses_anchor: bool = False
    mod: str | None = None
    # TIMEX3 part of day ("MO", "AF"…) that the words gave; a clock time or a date carries it
    # into a merge ("Tối 18/7, lúc 8 giờ" is 20:00).
    part: str | None = None


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

# Words before a number that make it an address, a document number, a class or a ratio.
_LEFT_STOP_RE = re.compile(
    r"(?:^|[^\w])(?:số|mã|mã số|số hiệu|biển số|ngõ|ngách|hẻm|kiệt|phòng|lớp|tầng|lô|căn hộ|nhà|"
    r"đường|quốc lộ|tỉnh lộ|tỷ số|tỉ số|tỷ lệ|tỉ lệ|nghị định|quyết định|thông tư|công văn|chỉ thị|"
    r"nghị quyết|luật|điều|khoản|tờ trình|phiên bản|chuyến bay|thắng|thua|hòa|km)\s*$",
    re.IGNORECASE,
)
# Units after a bare number that make it a quantity or a fraction ("1/2 triệu", "1/3 số phiếu").
_RIGHT_UNIT_RE = re.compile(
    r"\s*(?:%|phần trăm|triệu|tỷ|tỉ|nghìn|ngàn|trăm|đồng|usd|đô|euro|km|kg|tấn|người|lượt|ha|"
    r"m2|m²|cm|mm|lít|số|căn|chiếc|con|cái|trận|ván|bàn|điểm)(?!\w)",
    re.IGNORECASE,
)
# A bare "1/4" after these words, or before these, is a fraction ("chiếm 1/4 diện tích").
_FRACTION_LEFT_RE = re.compile(
    r"(?:^|[^\w])(?:khoảng|gần|hơn|trên|dưới|chiếm|tương đương|bằng|còn)\s*$", re.IGNORECASE
)
_FRACTION_RIGHT_RE = re.compile(r"\s*(?:diện tích|dân số|tổng|lượng|phần|trong số)(?!\w)", re.IGNORECASE)
_BARE_DAY_MONTH_RE = re.compile(r"\d{1,2}/\d{1,2}")
# Anniversaries ("kỷ niệm 80 năm Chiến thắng") count years but are names, not durations.
_ANNIVERSARY_LEFT_RE = re.compile(r"(?:^|[^\w])(?:kỷ niệm|chào mừng|mừng|lần thứ|thứ)\s*$", re.IGNORECASE)
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
_MONTH_WORDS = {
    "giêng": 1,
    "một": 1,
    "hai": 2,
    "ba": 3,
    "tư": 4,
    "năm": 5,
    "sáu": 6,
    "bảy": 7,
    "tám": 8,
    "chín": 9,
    "mười": 10,
    "mười một": 11,
    "mười hai": 12,
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
_ORDINAL_LEFT_RE = re.compile(
    r"(?:^|[^\w])(?:lần|người|hạng|xếp|đứng|vị trí|giải|lớp|tầng|khóa|khoá|kỳ|đợt|vòng|phần|điều|"
    r"con|năm|ngày|tuần|trận|ván|hiệp|số)\s*$",
    re.IGNORECASE,
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
_HOLIDAY_NOT_LEFT_RE = re.compile(
    r"(?:^|[^\w])(?:ông già|cây thông|thiệp|quà|nhạc|bài hát|hang đá|trang trí|đêm|đêm trước)\s*$",
    re.IGNORECASE,
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


# --- context ----------------------------------------------------------------------------------


class _Context:
    """What resolvers need besides their match: the text, the anchor and the sentences."""

    def __init__(self, text: str, anchor: datetime | None) -> None:
        self.text = text
        self.anchor = anchor
        self.anchor_iso = anchor.strftime("%Y-%m-%dT%H:%M") if anchor else None
        self._ends = [m.end() for m in _SENTENCE_END_RE.finditer(text)]

    def sentence(self, start: int, end: int) -> tuple[int, int]:
        """Returns the bounds of the sentence around `text[start:end]`."""
        i = bisect.bisect_right(self._ends, start)
        s = self._ends[i - 1] if i else 0
        j = bisect.bisect_left(self._ends, end)
        e = self._ends[j] if j < len(self._ends) else len(self.text)
        return s, e

    def tense(self, start: int, end: int) -> str | None:
        """Returns "past", "future" or None from markers in the same sentence, nearest first."""
        s, e = self.sentence(start, end)
        best: tuple[int, str] | None = None
        for kind, pattern in (("past", _PAST_RE), ("future", _FUTURE_RE)):
            for m in pattern.finditer(self.text, s, e):
                if m.start() < end and m.end() > start:
                    continue
                distance = m.start() - end if m.start() >= end else start - m.end()
                if best is None or distance < best[0]:
                    best = (distance, kind)
        return best[1] if best else None


def _own_tense(m: re.Match[str], ctx: _Context) -> str | None:
    """Tense from the mention's own words ("hôm", "vừa qua", "tới"), else from its sentence."""
    groups = m.groupdict()
    tail = _norm(groups.get("tail"))
    if tail in _TAIL_PAST:
        return "past"
    if tail in _TAIL_FUTURE:
        return "future"
    if _norm(groups.get("kw")) == "hôm":
        return "past"
    return ctx.tense(m.start(), m.end())


def _norm(s: str | None) -> str:
    return " ".join(s.lower().split()) if s else ""


def _choose_year(keys: list[tuple[int, int]], anchor_key: int, tense: str | None) -> int | None:
    """Picks the year whose occurrence fits the tense; `keys` are (year, comparable position)."""
    if tense == "past":
        past = [k for k in keys if k[1] <= anchor_key]
        return max(past, key=lambda k: k[1])[0] if past else None
    if tense == "future":
        future = [k for k in keys if k[1] >= anchor_key]
        return min(future, key=lambda k: k[1])[0] if future else None
    # News reports the past more often than it announces the future: ties go to the past.
    return min(keys, key=lambda k: (abs(k[1] - anchor_key), k[1] > anchor_key))[0] if keys else None


def _valid_day(month: int, day: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= (29 if month == 2 else 30 if month in (4, 6, 9, 11) else 31)


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _year_for_day(month: int, day: int, m: re.Match[str], ctx: _Context, anchor: datetime) -> int | None:
    """The year of a year-less day/month, from the tail, the tense and the anchor."""
    tail = _norm(m.groupdict().get("tail"))
    if tail in _TAIL_YEAR:
        return anchor.year + _TAIL_YEAR[tail]
    a = anchor.date()
    # ±8 years always holds a leap year, so 29/2 finds a match.
    keys = [
        (y, d.toordinal())
        for y in range(a.year - 8, a.year + 9)
        if (d := _safe_date(y, month, day)) is not None
    ]
    return _choose_year(keys, a.toordinal(), _own_tense(m, ctx))


def _roman(s: str) -> int:
    values = [_ROMAN[c] for c in s.upper()]
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


def _number(s: str) -> int:
    return int(s) if s.isdigit() else _NUMBER_WORDS[_norm(s)]


def _pod_code(pod: str | None) -> str | None:
    """The TIMEX3 part of day of "sáng", "buổi chiều", "rạng sáng"…, None for no words."""
    return _POD_CODES.get(_norm(pod).removeprefix("buổi ")) if pod else None


def _adjust_hour(hour: int, part: str | None) -> int:
    """The 24-hour clock of an hour said with a part of day ("8 giờ tối" is 20:00)."""
    if part in ("AF", "EV") and hour < 12:
        return hour + 12
    if part == "NI":
        return 0 if hour == 12 else hour + 12 if 6 <= hour < 12 else hour
    if part == "MI" and hour < 6:
        return hour + 12
    return hour


def _with_part_of_day(value: _Value, part: str | None) -> _Value:
    """A day said with its part ("sáng 18/7", "tối qua") is that part: TIMEX3 "2024-07-18TMO"."""
    if part is None or value.type != "DATE" or value.grain != "day" or value.range_start is not None:
        return value
    return dataclasses.replace(value, value=f"{value.value}T{part}", grain="part_of_day", part=part)


# --- resolvers --------------------------------------------------------------------------------


def _full_date(m: re.Match[str], ctx: _Context) -> _Value | None:
    d = _safe_date(int(m["y"]), int(m["m"]), int(m["d"]))
    return _Value("DATE", d.isoformat(), "day") if d else None


def _short_year_date(m: re.Match[str], ctx: _Context) -> _Value | None:
    """A two-digit year is in the century that puts it at most ten years after the anchor
    (without an anchor, after 2020: "3/3/17" is 2017, "3/9/91" 1991)."""
    yy = int(m["yy"])
    pivot = ctx.anchor.year if ctx.anchor else 2020
    year = 2000 + yy if 2000 + yy <= pivot + 10 else 1900 + yy
    d = _safe_date(year, int(m["m"]), int(m["d"]))
    return _Value("DATE", d.isoformat(), "day") if d else None


def _named_month(m: re.Match[str], ctx: _Context, *, after_day: bool) -> int | None:
    """The month of "tháng 6", "tháng Sáu" or "tháng giêng"; None when a lower-case word counts
    instead: "năm tháng" (the years), "ba tháng hai ngày", or a day with neither "ngày" nor
    "mồng" before it ("7 tháng ba ngày" is seven months and three days)."""
    word = m.groupdict().get("mw")
    if not word:
        return int(m["m"])
    if not word[0].isupper():
        if after_day:
            if not (m["kw"] or m["mong"]):
                return None
        elif (
            _norm(word) == "năm"
            or _COUNT_BEFORE_RE.search(ctx.text, max(0, m.start() - 12), m.start())
            or _UNIT_AFTER_RE.match(ctx.text, m.end())
        ):
            return None
    return _MONTH_WORDS[_norm(word)]


def _day_month(m: re.Match[str], ctx: _Context) -> _Value | None:
    month, day = _named_month(m, ctx, after_day=True), int(m["d"])
    if month is None or not _valid_day(month, day):
        return None
    if m.groupdict().get("y"):
        d = _safe_date(int(m["y"]), month, day)
        return _Value("DATE", d.isoformat(), "day") if d else None
    if ctx.anchor is None:
        return _Value("DATE", f"XXXX-{month:02d}-{day:02d}", "day")
    year = _year_for_day(month, day, m, ctx, ctx.anchor)
    d = _safe_date(year, month, day) if year is not None else None
    return _Value("DATE", d.isoformat(), "day", uses_anchor=True) if d else None


_LIST_HEAD_RE = re.compile(r"(?<!\w)(?:ngày|hôm)\s+(?:\d{1,2}\s*(?:,|và)\s*)*$", re.IGNORECASE)


def _listed_day(m: re.Match[str], ctx: _Context) -> _Value | None:
    """A bare day before "19/7" is a date only in a list of days: "ngày 18, 19/7"."""
    if m["kw"] or _LIST_HEAD_RE.search(ctx.text, max(0, m.start() - 40), m.start()):
        return _day_month(m, ctx)
    return None


def _day_range(m: re.Match[str], ctx: _Context) -> _Value | None:
    month, d1, d2 = int(m["m"]), int(m["d1"]), int(m["d"])
    if not (d1 < d2 and _valid_day(month, d2)):
        return None
    uses_anchor = False
    if m["y"]:
        year: str | int | None = int(m["y"])
    elif ctx.anchor is None:
        year = "XXXX"
    else:
        year, uses_anchor = _year_for_day(month, d1, m, ctx, ctx.anchor), True
    if year is None or (isinstance(year, int) and not _safe_date(year, month, d2)):
        return None
    a, b = f"{year}-{month:02d}-{d1:02d}", f"{year}-{month:02d}-{d2:02d}"
    return _Value("DATE", f"{a}/{b}", "day", a, b, uses_anchor)


def _month_year(m: re.Match[str], ctx: _Context) -> _Value | None:
    month = _named_month(m, ctx, after_day=False)
    return _Value("DATE", f"{int(m['y']):04d}-{month:02d}", "month") if month else None


def _month(m: re.Match[str], ctx: _Context) -> _Value | None:
    month = _named_month(m, ctx, after_day=False)
    if month is None:
        return None
    if ctx.anchor is None:
        return _Value("DATE", f"XXXX-{month:02d}", "month")
    tail = _norm(m.groupdict().get("tail"))
    if tail in _TAIL_YEAR:
        year: int | None = ctx.anchor.year + _TAIL_YEAR[tail]
    else:
        a = ctx.anchor
        keys = [(y, y * 12 + month) for y in range(a.year - 1, a.year + 2)]
        year = _choose_year(keys, a.year * 12 + a.month, _own_tense(m, ctx))
    return _Value("DATE", f"{year:04d}-{month:02d}", "month", uses_anchor=True)


def _year(m: re.Match[str], ctx: _Context) -> _Value:
    return _Value("DATE", m["y"], "year")


def _year_range(m: re.Match[str], ctx: _Context) -> _Value | None:
    a, b = m["y1"], m["y2"]
    if int(a) >= int(b):
        return None
    return _Value("DATE", f"{a}/{b}", "year", a, b)


_QUARTER_WORDS = {"một": 1, "hai": 2, "ba": 3, "bốn": 4, "tư": 4}


def _quarter(m: re.Match[str], ctx: _Context) -> _Value:
    word = _norm(m["q"])
    q = int(word) if word.isdigit() else _QUARTER_WORDS.get(word) or _roman(m["q"])
    if m["y"]:
        year = m["y"]
    elif ctx.anchor is None:
        return _Value("DATE", f"XXXX-Q{q}", "quarter")
    else:
        year = f"{ctx.anchor.year + _TAIL_YEAR.get(_norm(m['tail']), 0):04d}"
        return _Value("DATE", f"{year}-Q{q}", "quarter", uses_anchor=True)
    return _Value("DATE", f"{year}-Q{q}", "quarter")


def _relative_quarter(m: re.Match[str], ctx: _Context) -> _Value:
    """ "quý này", "quý tới", "quý trước": the anchor's quarter, the next, the one before."""
    if ctx.anchor is None:
        return _Value("DATE", "XXXX-QX", "quarter")
    n = ctx.anchor.year * 4 + (ctx.anchor.month - 1) // 3 + _REL_OFFSET[_norm(m["rel"])]
    return _Value("DATE", f"{n // 4:04d}-Q{n % 4 + 1}", "quarter", uses_anchor=True)


def _decade(m: re.Match[str], ctx: _Context) -> _Value:
    digits = m["dec"]
    # "thập niên 90" means the 1990s in current news.
    full = digits if len(digits) == 4 else f"19{digits}"
    return _Value("DATE", full[:3], "decade")


def _century(m: re.Match[str], ctx: _Context) -> _Value | None:
    c = m["c"]
    n = int(c) if c.isdigit() else _roman(c)
    return _Value("DATE", f"{n - 1:02d}", "century") if 1 <= n <= 21 else None


def _season(m: re.Match[str], ctx: _Context) -> _Value:
    """ "mùa hè năm nay" = "2024-SU". A season is named by the year it begins in, so winter
    (November to January) is last year's in January. "này" is the nearest season of that name
    (the one under way, or the one just over rather than one further away); "tới" the next to
    begin; "vừa qua" the last to have ended."""
    code, first = _SEASONS[_norm(m["season"])]
    if m["y"]:
        return _Value("DATE", f"{m['y']}-{code}", "season")
    if ctx.anchor is None:
        return _Value("DATE", f"XXXX-{code}", "season")
    a = ctx.anchor
    now = a.year * 12 + a.month - 1
    begun = a.year if a.month >= first else a.year - 1  # the latest start on or before the anchor
    under_way = (a.month - first) % 12 < 3

    def months_away(year: int) -> int:
        start = year * 12 + first - 1
        return max(0, start - now, now - (start + 2))

    rel = _norm(m["rel"])
    if m["yrel"]:
        year = a.year + _REL_OFFSET[_norm(m["yrel"])]
    elif rel in ("này", "nay"):
        year = min((begun, begun + 1), key=months_away)  # a tie goes to the past
    elif rel in ("tới", "sắp tới"):
        year = begun + 1
    else:
        year = begun - 1 if under_way else begun
    return _Value("DATE", f"{year:04d}-{code}", "season", uses_anchor=True)


def _holiday(m: re.Match[str], ctx: _Context) -> _Value | None:
    """ "Giáng sinh", "Noel", "Tết Dương lịch": their day, in the year said or the one that
    fits the tense, as for "ngày 25/12"."""
    if _HOLIDAY_NOT_LEFT_RE.search(ctx.text, max(0, m.start() - 20), m.start()):
        return None
    month, day = _HOLIDAYS[_norm(m["hol"])]
    if m["y"]:
        return _Value("DATE", f"{m['y']}-{month:02d}-{day:02d}", "day")
    if ctx.anchor is None:
        return _Value("DATE", f"XXXX-{month:02d}-{day:02d}", "day")
    year = _year_for_day(month, day, m, ctx, ctx.anchor)
    return _Value("DATE", f"{year:04d}-{month:02d}-{day:02d}", "day", uses_anchor=True)


def _clock(m: re.Match[str], ctx: _Context) -> _Value | None:
    groups = m.groupdict()
    part = _pod_code(groups.get("tpod"))
    hour = _adjust_hour(_number(m["h"]), part)
    minute = groups.get("mi")
    if groups.get("half"):  # "3 giờ rưỡi" = 3:30
        minute = "30"
    elif groups.get("to"):  # "11 giờ kém 15" = 10:45
        if not 0 < int(groups["to"]) < 60:
            return None
        hour, minute = (hour - 1) % 24, str(60 - int(groups["to"]))
    if minute is not None and int(minute) > 59:
        return None
    clock = f"{hour:02d}:{int(minute or 0):02d}"
    grain = "minute" if minute is not None else "hour"
    if groups.get("s"):  # "8 giờ 30 phút 15 giây", "15:23:24"
        clock, grain = f"{clock}:{int(groups['s']):02d}", "second"
    if ctx.anchor is None:
        return _Value("TIME", f"XXXX-XX-XXT{clock}", grain, part=part)
    offset = _DAY_OFFSET[_norm(groups.get("tday"))] if groups.get("tday") else 0
    if groups.get("tday") and part == "NI" and hour < 6:  # "1 giờ đêm qua" is after midnight
        offset += 1
    day = ctx.anchor.date() + timedelta(days=offset)
    return _Value("TIME", f"{day.isoformat()}T{clock}", grain, uses_anchor=True, part=part)


def _clock_words(m: re.Match[str], ctx: _Context) -> _Value | None:
    # "8 giờ" alone is as often a duration; it is a clock time with minutes, a part of day,
    # "lúc"/"đúng" before it, or midnight ("từ 0 giờ ngày 1/7", never a duration).
    before = ctx.text[max(0, m.start() - 8) : m.start()]
    exact = m["mi"] or m["half"] or m["to"] or m["tpod"] or m["h"].strip("0") == ""
    if not exact and not _LUC_BEFORE_RE.search(before):
        return None
    return _clock(m, ctx)


_DAY_OFFSET = {"hôm kia": -2, "hôm qua": -1, "qua": -1, "hôm nay": 0, "nay": 0, "mai": 1, "kia": 2}


def _relative_day(m: re.Match[str], ctx: _Context) -> _Value:
    if ctx.anchor is None:
        return _Value("DATE", "XXXX-XX-XX", "day")
    # "ngày hôm qua" = "hôm qua", "ngày mai" = "mai", "ngày kia" = "kia" (the day after tomorrow),
    # the southern "bữa nay" = "nay"
    rel = _norm(m["rel"]).removeprefix("ngày ").removeprefix("bữa ")
    d = ctx.anchor.date() + timedelta(days=_DAY_OFFSET[rel])
    return _Value("DATE", d.isoformat(), "day", uses_anchor=True)


_REL_OFFSET = {
    "trước": -1,
    "qua": -1,
    "ngoái": -1,
    "này": 0,
    "nay": 0,
    "hiện tại": 0,
    "tới": 1,
    "sau": 1,
    "tiếp theo": 1,
    "kế tiếp": 1,
    "tiếp": 1,
}


def _relative_week(m: re.Match[str], ctx: _Context) -> _Value:
    if ctx.anchor is None:
        return _Value("DATE", "XXXX-WXX", "week")
    d = ctx.anchor.date() + timedelta(weeks=_REL_OFFSET[_norm(m["rel"])])
    year, week, _ = d.isocalendar()
    return _Value("DATE", f"{year:04d}-W{week:02d}", "week", uses_anchor=True)


def _relative_month(m: re.Match[str], ctx: _Context) -> _Value:
    if ctx.anchor is None:
        return _Value("DATE", "XXXX-XX", "month")
    n = ctx.anchor.year * 12 + ctx.anchor.month - 1 + _REL_OFFSET[_norm(m["rel"])]
    return _Value("DATE", f"{n // 12:04d}-{n % 12 + 1:02d}", "month", uses_anchor=True)


def _relative_year(m: re.Match[str], ctx: _Context) -> _Value:
    if ctx.anchor is None:
        return _Value("DATE", "XXXX", "year")
    year = ctx.anchor.year + _REL_OFFSET[_norm(m["rel"])]
    return _Value("DATE", f"{year:04d}", "year", uses_anchor=True)


def _months_of_year(m: re.Match[str], ctx: _Context) -> _Value | None:
    """ "6 tháng đầu năm 2024" = 2024-H1; "9 tháng đầu năm" = 2024-01/2024-09; "3 tháng cuối
    năm" = 2024-10/2024-12. Without a year, the anchor's year (or the one "nay/ngoái" says)."""
    n = _number(m["n"])
    if not 1 <= n <= 11:
        return None
    if m["y"]:
        year: int | str = int(m["y"])
    elif ctx.anchor is None:
        year = "XXXX"
    else:
        year = ctx.anchor.year + _REL_OFFSET.get(_norm(m["rel"]), 0)
    uses_anchor = not m["y"] and ctx.anchor is not None
    first = _norm(m["part"]) == "đầu"
    if n == 6:
        return _Value("DATE", f"{year}-H{1 if first else 2}", "month", uses_anchor=uses_anchor)
    a, b = (f"{year}-01", f"{year}-{n:02d}") if first else (f"{year}-{13 - n:02d}", f"{year}-12")
    return _Value("DATE", f"{a}/{b}", "month", a, b, uses_anchor)


def _weekday_number(m: re.Match[str]) -> int:
    return _WEEKDAYS[_norm(m["wdn"] or m["wd"])]


def _weekday_of_week(m: re.Match[str], ctx: _Context) -> _Value:
    """ "thứ Hai tuần trước": that weekday in the week before, this week or the next."""
    weekday = _weekday_number(m)
    if ctx.anchor is None:
        return _Value("DATE", f"XXXX-WXX-{weekday}", "day")
    a = ctx.anchor.date()
    monday = a - timedelta(days=a.isoweekday() - 1) + timedelta(weeks=_REL_OFFSET[_norm(m["rel"])])
    return _Value("DATE", (monday + timedelta(days=weekday - 1)).isoformat(), "day", uses_anchor=True)


def _weekday(m: re.Match[str], ctx: _Context) -> _Value | None:
    """A weekday on its own: the latest such day on or before the anchor, or the next one
    after it when the sentence speaks of the future. A date right after it ("thứ Năm
    (19/6)") gives the value instead (see `_merge_weekday`)."""
    word = m["wdn"] or m["wd"]
    dated = _DATE_AFTER_RE.match(ctx.text, m.end()) is not None
    # "thứ ba vừa rồi", "thứ sáu tới": a tense tail makes a lower-case weekday a day.
    said = m["pod"] or word[0].isupper() or _norm(m["tail"]) in (*_TAIL_PAST, *_TAIL_FUTURE)
    if not (dated or said or _norm(m["wd"]) in ("chủ nhật", "chúa nhật")):
        return None
    if _ORDINAL_LEFT_RE.search(ctx.text, max(0, m.start() - 12), m.start()):
        return None
    weekday = _weekday_number(m)
    if ctx.anchor is None:
        return _Value("DATE", f"XXXX-WXX-{weekday}", "day")
    a = ctx.anchor.date()
    back = (a.isoweekday() - weekday) % 7
    day = a - timedelta(days=back)
    tail = _norm(m["tail"])
    # "thứ Sáu tới" said on a Friday is next week's; "thứ Sáu vừa qua", last week's.
    if _own_tense(m, ctx) == "future" and (back or tail in _TAIL_FUTURE):
        day += timedelta(weeks=1)
    elif tail in _TAIL_PAST and not back:
        day -= timedelta(weeks=1)
    return _Value("DATE", day.isoformat(), "day", uses_anchor=True)


def _duration(m: re.Match[str], ctx: _Context) -> _Value | None:
    unit = _norm(m["unit"]).removesuffix(" đồng hồ")
    number = _norm(m["n"])
    before = ctx.text[max(0, m.start() - 20) : m.start()]
    if _ANNIVERSARY_LEFT_RE.search(before):
        return None
    after = ctx.text[m.end() : m.end() + 2].lstrip(" ")
    if unit == "năm" and not m["tail"] and after[:1].isupper():
        return None
    # "khoảng 8 giờ chiều" and "lúc 8 giờ" are clock times, left to the time rules.
    if unit in ("giờ", "phút") and _POD_AFTER_RE.match(ctx.text, m.end()):
        return None
    if number == "năm" and unit == "tháng":  # "năm tháng" is "the years", not five months
        return None
    designator, factor, grain, is_time = _UNITS[unit]
    mod = _HEDGES.get(_norm(m["hedge"]))
    if number == "nhiều" and not m["tail"]:  # "nhiều ngày nghỉ" counts days off; "nhiều năm qua" is a span
        return None
    if number in _VAGUE_COUNTS:  # "vài ngày": a few days, TIMEX3 "PXD"
        return _Value("DURATION", f"P{'T' if is_time else ''}X{designator}", grain, mod=mod)
    if "," in number:  # "1,5 năm" = P1.5Y; a decimal quarter or decade is left alone
        if factor != 1:
            return None
        amount = number.replace(",", ".").rstrip("0").rstrip(".")
        return _Value("DURATION", f"P{'T' if is_time else ''}{amount}{designator}", grain, mod=mod)
    n = _number(number) * factor
    if n == 0:
        return None
    return _Value("DURATION", f"P{'T' if is_time else ''}{n}{designator}", grain, mod=mod)


def _set(m: re.Match[str], ctx: _Context) -> _Value:
    designator, factor, grain, is_time = _UNITS[_norm(m["unit"])]
    return _Value("SET", f"P{'T' if is_time else ''}{factor}{designator}", grain)


# --- the rule table ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Rule:
    """One pattern and the function that turns its match into a value (or rejects it)."""

    name: str
    pattern: re.Pattern[str]
    resolve: Callable[[re.Match[str], _Context], _Value | None]
    # A cheap pattern every match contains: a text without it skips the rule's full scan.
    needs: re.Pattern[str] | None = None


# What each rule's matches must contain (a digit shape or a word), by rule name.
_NEEDS = {
    "time_colon": r"\d:\d",
    "time_h": r"\dh",
    "time_g": r"\dg\d",
    "time_words": r"giờ",
    "date_dmy": r"\d[/.-]\d{1,2}[/.-]\d{4}",
    "date_dmyy": r"\d/\d{1,2}/\d\d",
    "date_day_range": r"\d\s*[-–]\s*\d{1,2}/\d",
    "date_day_range_words": r"(?:đến|tới)\s+(?:ngày\s+)?\d{1,2}/\d",
    "date_day_list": r"\d\s*(?:,|và)\s*\d",
    "date_dm": r"\d/\d",
    "date_d_thang_m": r"tháng",
    "months_of_year": r"tháng",
    "month_year": r"tháng",
    "month_year_bare": r"\d/\d{4}",
    "month": r"tháng",
    "year": r"\d{4}",
    "year_range": r"\d{4}\s*[-–]\s*\d{4}",
    "year_range_words": r"năm\s+\d{4}",
    "quarter": r"quý",
    "decade": r"thập|những",
    "century": r"thế",
    "season": r"mùa",
    "holiday": r"giáng|noel|tết",
    "relative_day": r"hôm|ngày|bữa",
    "relative_pod": r"sáng|chiều|tối|đêm|trưa",
    "weekday_of_week": r"tuần",
    "weekday": r"thứ|chủ|chúa",
    "relative_week": r"tuần",
    "relative_month": r"tháng",
    "relative_quarter": r"quý",
    "relative_year": r"năm",
    "set": r"hàng|hằng|mỗi",
}


def _rule(
    name: str,
    body: str,
    resolve: Callable[[re.Match[str], _Context], _Value | None],
    *,
    glued: bool = False,
) -> _Rule:
    pattern = re.compile((_LB_GLUED if glued else _LB) + body + _RB, re.IGNORECASE)
    needs = re.compile(_NEEDS[name], re.IGNORECASE) if name in _NEEDS else None
    return _Rule(name, pattern, resolve, needs)


# "21h tối qua": the part of day, and the day it belongs to.
_TIME_POD = rf"(?:\s+(?P<tpod>{_POD_WORDS})(?:\s+(?P<tday>nay|qua|mai)(?!\w))?)?"
# Hours in words, "một" to "mười hai" ("ba giờ rưỡi chiều").
_HOUR_WORD_ALT = "|".join(
    w.replace(" ", r"\s+") for w in sorted(_NUMBER_WORDS, key=len, reverse=True) if _NUMBER_WORDS[w] <= 12
)
_DURATION_UNIT = (
    r"giây|phút|tiếng(?:\s+đồng\s+hồ)?|giờ(?:\s+đồng\s+hồ)?|ngày|tuần|tháng|quý|năm"
    r"|thập\s+kỷ|thập\s+niên|thế\s+kỷ"
)

# Order breaks ties between equally long matches: earlier wins. Times come first so that
# "8h30 chiều" keeps its part of day.
_RULES: tuple[_Rule, ...] = (
    _rule("time_colon", rf"(?P<h>2[0-3]|[01]?\d):(?P<mi>[0-5]\d)(?::(?P<s>[0-5]\d))?{_TIME_POD}", _clock),
    _rule("time_h", rf"(?P<h>2[0-3]|[01]?\d)h(?:(?P<mi>[0-5]\d)(?:ph|p|')?)?{_TIME_POD}", _clock),
    # "10g45"; a bare "10g" is ten grams.
    _rule("time_g", rf"(?P<h>2[0-3]|[01]?\d)g(?P<mi>[0-5]\d){_TIME_POD}", _clock),
    _rule(
        "time_words",
        rf"(?P<h>2[0-3]|[01]?\d|{_HOUR_WORD_ALT})\s+giờ"
        rf"(?:\s+(?P<mi>[0-5]?\d)(?:\s+phút(?:\s+(?P<s>[0-5]?\d)\s+giây)?)?|\s+(?P<half>rưỡi)"
        rf"|\s+kém\s+(?P<to>[0-5]?\d)(?:\s+phút)?)?{_TIME_POD}",
        _clock_words,
    ),
    _rule("date_dmy", rf"{_DAY_PREFIX}{_DAY}(?P<sep>[/.-]){_MONTH}(?P=sep){_YEAR}", _full_date, glued=True),
    # "3/3/17": a two-digit year, slashes only.
    _rule("date_dmyy", rf"{_DAY_PREFIX}{_DAY}/{_MONTH}/(?P<yy>\d{{2}})", _short_year_date),
    _rule(
        "date_day_range",
        rf"{_DAY_PREFIX}(?P<d1>3[01]|[12]\d|0?[1-9])\s*[-–]\s*{_DAY}/{_MONTH}(?:/{_YEAR})?{_TAIL}",
        _day_range,
    ),
    _rule(
        "date_day_range_words",
        rf"từ\s+(?:ngày\s+)?(?P<d1>3[01]|[12]\d|0?[1-9])\s+(?:đến|tới)\s+(?:ngày\s+)?{_DAY}/{_MONTH}"
        rf"(?:/{_YEAR})?{_TAIL}",
        _day_range,
    ),
    # "các ngày 18, 19/7", "ngày 18 và 19/7": each day of a list is a date of the month after it.
    _rule(
        "date_day_list",
        rf"(?:các\s+)?{_DAY_PREFIX}{_DAY}(?=\s*(?:,|và)\s*(?:(?:3[01]|[12]\d|0?[1-9])\s*(?:,|và)\s*)*"
        rf"(?:3[01]|[12]\d|0?[1-9])/{_MONTH}(?:/{_YEAR})?(?!\d))",
        _listed_day,
    ),
    _rule("date_dm", rf"{_DAY_PREFIX}{_DAY}/{_MONTH}(?:\s+năm\s+{_YEAR})?{_TAIL}", _day_month),
    _rule(
        "date_d_thang_m",
        rf"{_DAY_PREFIX}{_DAY}\s+tháng\s+(?:{_MONTH}|(?P<mw>{_MONTH_WORD_ALT}))(?:\s*,?\s*năm\s+{_YEAR})?{_TAIL}",
        _day_month,
    ),
    _rule(
        "months_of_year",
        rf"(?P<n>\d{{1,2}}|{_NUMBER_WORD_ALT})\s+tháng\s+(?P<part>đầu|cuối)\s+năm"
        rf"(?:\s+(?:{_YEAR}|(?P<rel>nay|ngoái|trước|tới|sau)))?",
        _months_of_year,
    ),
    _rule(
        "month_year",
        rf"tháng\s+(?:{_MONTH}(?:\s*[/-]\s*|\s+năm\s+)|(?P<mw>{_MONTH_WORD_ALT})\s+năm\s+){_YEAR}",
        _month_year,
    ),
    _rule("month_year_bare", rf"{_MONTH}/{_YEAR}", _month_year),
    _rule(
        "month",
        rf"tháng\s+(?:{_MONTH}|(?P<mw>{_MONTH_WORD_ALT}))(?!\s*[/\d]){_TAIL}",
        _month,
    ),
    _rule("year", rf"(?:năm|SN)\s+{_YEAR}", _year),
    _rule("year_range", rf"(?:(?:năm|giai\s+đoạn)\s+)?{_Y1}\s*[-–]\s*{_Y2}", _year_range),
    _rule(
        "year_range_words",
        rf"(?:từ\s+)?năm\s+{_Y1}\s+(?:đến|tới)\s+(?:năm\s+)?{_Y2}",
        _year_range,
    ),
    _rule(
        "quarter",
        rf"quý\s+(?P<q>IV|I{{1,3}}|[1-4]|một|hai|ba|bốn|tư)"
        rf"(?:(?:\s*[/-]\s*|\s+(?:của\s+)?năm\s+){_YEAR}|{_TAIL})",
        _quarter,
    ),
    _rule("decade", r"(?:thập\s+(?:niên|kỷ)|những\s+năm)\s+(?P<dec>(?:1\d|20)?\d0)s?", _decade),
    _rule("century", r"thế\s+kỷ\s+(?:thứ\s+)?(?P<c>\d{1,2}|[IVXL]+)", _century),
    _rule(
        "season",
        rf"mùa\s+(?P<season>xuân|hè|hạ|thu|đông)\s+(?:(?:năm\s+)?{_YEAR}|năm\s+(?P<yrel>nay|ngoái|trước|tới|sau)"
        r"|(?P<rel>này|nay|tới|sắp\s+tới|vừa\s+qua|vừa\s+rồi|trước|qua)(?!\s+(?:đó|nữa)))",
        _season,
    ),
    _rule(
        "holiday", rf"(?:(?:ngày|lễ)\s+)?(?P<hol>{_HOLIDAY_ALT})(?:\s+(?:năm\s+)?{_YEAR}|{_TAIL})", _holiday
    ),
    _rule(
        "relative_day",
        rf"{_POD_LEAD}?(?P<rel>(?:ngày\s+)?hôm\s+(?:qua|nay|kia)|ngày\s+(?:mai|kia)|bữa\s+(?:nay|qua))",
        _relative_day,
    ),
    _rule(
        "relative_pod",
        rf"{_POD_LEAD}(?P<rel>nay|qua|mai)",
        _relative_day,
    ),
    _rule(
        "weekday_of_week",
        rf"{_POD_LEAD}?{_WEEKDAY}\s+(?:của\s+)?tuần\s+(?P<rel>trước|qua|này|tới|sau{_REL_MORE})(?!\s+(?:đó|nữa))",
        _weekday_of_week,
    ),
    _rule("weekday", rf"{_POD_LEAD}?{_WEEKDAY}{_TAIL}", _weekday),
    _rule(
        "relative_week", rf"tuần\s+(?P<rel>trước|qua|này|tới|sau{_REL_MORE})(?!\s+(?:đó|nữa))", _relative_week
    ),
    _rule(
        "relative_month",
        # "năm tháng qua đi": "năm tháng" is "the years", not last month.
        rf"(?<!năm\s)tháng\s+(?P<rel>trước|qua|này|tới|sau{_REL_MORE})(?!\s+(?:đó|nữa))",
        _relative_month,
    ),
    _rule(
        "relative_quarter",
        rf"quý\s+(?P<rel>trước|này|nay|tới|sau{_REL_MORE})(?!\s+(?:đó|nữa))",
        _relative_quarter,
    ),
    _rule(
        "relative_year",
        rf"năm\s+(?P<rel>nay|ngoái|trước|tới|sau{_REL_MORE})(?!\s+(?:đó|nữa))",
        _relative_year,
    ),
    _rule(
        "duration",
        rf"(?:(?P<hedge>gần|khoảng|hơn|trên|chừng|xấp\s+xỉ|ít\s+nhất)\s+)?"
        rf"(?P<n>\d{{1,3}}(?:,\d{{1,2}})?|{_NUMBER_WORD_ALT}|vài|mấy|dăm|nhiều)"
        rf"\s+(?P<unit>{_DURATION_UNIT})(?!\s*[/\d])"
        r"(?:\s+(?P<tail>vừa\s+qua|vừa\s+rồi|gần\s+đây|qua|tới|tiếp\s+theo|kế\s+tiếp|trước|sau|nữa|liên\s+tiếp|liền))?",
        _duration,
    ),
    _rule(
        "set",
        r"(?:hàng|hằng|mỗi)\s+(?P<unit>ngày|tuần|tháng|quý|năm|giờ)(?!\s+(?:trời|nay|qua|\d))",
        _set,
    ),
)


# --- matching ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Candidate:
    start: int
    end: int
    priority: int
    value: _Value


def _bad_context(text: str, start: int, end: int) -> bool:
    """True when a bare number sits where it is an address, a document number or a quantity."""
    if not text[start].isdigit():
        return False
    if _LEFT_STOP_RE.search(text[max(0, start - 25) : start]):
        return True
    if text[end - 1].isdigit() and _RIGHT_UNIT_RE.match(text, end):
        return True
    return _BARE_DAY_MONTH_RE.fullmatch(text, start, end) is not None and bool(
        _FRACTION_LEFT_RE.search(text[max(0, start - 25) : start]) or _FRACTION_RIGHT_RE.match(text, end)
    )


def _candidates(ctx: _Context) -> list[_Candidate]:
    found = []
    for priority, rule in enumerate(_RULES):
        if rule.needs is not None and rule.needs.search(ctx.text) is None:
            continue
        for m in rule.pattern.finditer(ctx.text):
            start, end = m.span()
            if start == end or _bad_context(ctx.text, start, end):
                continue
            try:
                value = rule.resolve(m, ctx)
            except (ValueError, OverflowError):
                # An anchor near date.min/date.max cannot be shifted; the mention is dropped.
                value = None
            if value is not None:
                value = _with_part_of_day(value, _pod_code(m.groupdict().get("pod")))
                found.append(_Candidate(start, end, priority, value))
    return found


def _select(candidates: list[_Candidate]) -> list[_Candidate]:
    """Longest match wins; equal lengths go to the earlier start, then the earlier rule."""
    chosen: list[_Candidate] = []
    for c in sorted(candidates, key=lambda c: (c.start - c.end, c.start, c.priority)):
        if all(c.end <= o.start or c.start >= o.end for o in chosen):
            chosen.append(c)
    return sorted(chosen, key=lambda c: c.start)


def _merge_datetime(a: _Candidate, b: _Candidate, text: str) -> _Candidate | None:
    """Joins a day and a clock time next to each other ("30/11/2024 12:24", "8h30 ngày 18/7")."""
    if not _DATETIME_GAP_RE.fullmatch(text, a.end, b.start):
        return None
    day, clock = (a, b) if a.value.type == "DATE" else (b, a)
    if not (day.value.type == "DATE" and day.value.grain in _DAY_GRAINS and clock.value.type == "TIME"):
        return None
    if day.value.range_start is not None:
        return None
    hour, rest = clock.value.value.split("T")[1].split(":", 1)
    if clock.value.part is None:  # "Tối 18/7, lúc 8 giờ": the day's part of day sets the clock
        hour = f"{_adjust_hour(int(hour), day.value.part):02d}"
    value = _Value(
        "TIME",
        f"{day.value.value.split('T')[0]}T{hour}:{rest}",
        clock.value.grain,
        uses_anchor=day.value.uses_anchor,
        part=clock.value.part or day.value.part,
    )
    return _Candidate(a.start, b.end, a.priority, value)


def _merge_range(a: _Candidate, b: _Candidate, text: str) -> _Candidate | None:
    """Joins "từ A đến B" and "A - B" into one interval."""
    va, vb = a.value, b.value
    if va.type != vb.type or va.type not in ("DATE", "TIME") or va.range_start or vb.range_start:
        return None
    start = a.start
    if _RANGE_DASH_RE.fullmatch(text, a.end, b.start):
        if va.grain != vb.grain:
            return None
        before = _RANGE_FROM_RE.search(text, max(0, a.start - 10), a.start)
    elif _RANGE_WORD_RE.fullmatch(text, a.end, b.start):
        before = _RANGE_FROM_RE.search(text, max(0, a.start - 10), a.start)
        if before is None:
            return None
    else:
        return None
    if before is not None:
        start = before.start()
    if va.uses_anchor and not vb.uses_anchor:
        va = _year_from(va, vb)
    value = _Value(
        va.type,
        f"{va.value}/{vb.value}",
        va.grain,
        va.value,
        vb.value,
        va.uses_anchor or vb.uses_anchor,
    )
    return _Candidate(start, b.end, a.priority, value)


def _merge_weekday(a: _Candidate, b: _Candidate, text: str) -> _Candidate | None:
    """A weekday before its date ("thứ Năm (19/6)", "Chủ nhật, 19/6") is one mention with the
    date's value; the closing bracket comes along."""
    if not (a.value.grain in _DAY_GRAINS and _RULES[a.priority].name == "weekday"):
        return None
    gap = _WEEKDAY_DATE_GAP_RE.fullmatch(text, a.end, b.start)
    if gap is None or b.value.type != "DATE" or b.value.grain not in _DAY_GRAINS:
        return None
    end = b.end + 1 if gap["open"] == "(" and text[b.end : b.end + 1] == ")" else b.end
    # "sáng thứ Hai (15/7)" is the morning of 15 July.
    value = b.value if b.value.part else _with_part_of_day(b.value, a.value.part)
    return _Candidate(a.start, end, b.priority, value)


def _with_period_part(c: _Candidate, text: str) -> _Candidate:
    """ "đầu/giữa/cuối" before a period ("cuối tháng 6") joins it as the TIMEX3 `mod`."""
    if c.value.type != "DATE" or c.value.grain not in _PERIOD_GRAINS or c.value.mod:
        return c
    part = _PERIOD_PART_RE.search(text, max(0, c.start - 8), c.start)
    if part is None:
        return c
    value = dataclasses.replace(c.value, mod=_PERIOD_PARTS[part["part"].lower()])
    return _Candidate(part.start(), c.end, c.priority, value)


def _with_edge(c: _Candidate, text: str) -> _Candidate:
    """ "ngày đầu tiên/cuối cùng của" a month or year is its first or last day; "tuần đầu tiên
    của" a month is the first week that begins in it, "tuần cuối cùng" the last that ends in it."""
    v = c.value
    edge = _EDGE_RE.search(text, max(0, c.start - 30), c.start)
    # Only a plain month or year: not "2024-H1", a range or "cuối tháng 6".
    if edge is None or v.type != "DATE" or v.mod or not _PLAIN_MONTH_OR_YEAR_RE.fullmatch(v.value):
        return c
    first, by_day = _norm(edge["edge"]) == "đầu tiên", _norm(edge["unit"]) == "ngày"
    year = int(v.value[:4]) if v.value[:4].isdigit() else None
    if len(v.value) == 4:
        if year is None or not by_day:
            return c
        value = f"{year:04d}-01-01" if first else f"{year:04d}-12-31"
    else:
        month = int(v.value[5:7])
        if year is None and not (by_day and (first or month != 2)):
            return c  # no week and no last day of February without a year
        days = calendar.monthrange(year or 2001, month)[1]
        if by_day:
            value = f"{v.value}-{1 if first else days:02d}"
        else:
            one = date(year or 2001, month, 1 if first else days)
            # The first Monday on or after the 1st; the last Sunday on or before the last day.
            day = (
                one + timedelta(days=(8 - one.isoweekday()) % 7)
                if first
                else one - timedelta(days=one.isoweekday() % 7)
            )
            iso_year, week, _ = day.isocalendar()
            value = f"{iso_year:04d}-W{week:02d}"
    grain = "day" if by_day else "week"
    return _Candidate(edge.start(), c.end, c.priority, dataclasses.replace(v, value=value, grain=grain))


def _year_from(first: _Value, last: _Value) -> _Value:
    """The start of a range written without its year takes the end's year ("từ 18/7 đến
    20/9/2024"), or the year before when it would otherwise come after the end."""
    if first.grain not in (*_DAY_GRAINS, "month") or not (
        first.value[:4].isdigit() and last.value[:4].isdigit()
    ):
        return first
    year = int(last.value[:4])
    value = f"{year:04d}{first.value[4:]}"
    if value > last.value[: len(value)]:
        value = f"{year - 1:04d}{first.value[4:]}"
    return dataclasses.replace(first, value=value)


def _merge(chosen: list[_Candidate], text: str) -> list[_Candidate]:
    out: list[_Candidate] = []
    for c in chosen:
        if out:
            joined = (
                _merge_weekday(out[-1], c, text)
                or _merge_datetime(out[-1], c, text)
                or _merge_range(out[-1], c, text)
            )
            if joined is not None:
                out[-1] = joined
                continue
        out.append(c)
    return out


def find_dates(text: str, *, anchor: datetime | date | None = None) -> list[DateMention]:
    """Finds date, time, duration and set expressions in Vietnamese text.

    Year-less dates ("ngày 18/7", "tháng 6") take the year that fits the tense of their
    sentence: past markers ("vừa qua", "đã", "hôm") pick the latest occurrence on or before
    the anchor, future markers ("sẽ", "tới", "dự kiến") the earliest on or after it, and
    with no marker the nearest occurrence wins, ties going to the past.

    Args:
        text: Running text, e.g. a whole article; it is searched as given.
        anchor: The publication date-time that relative and year-less expressions refer to.
            Without one, unknown parts of a value are "X" ("XXXX-06-19", "XXXX").

    Returns:
        Mentions sorted by start, non-overlapping (the longest match wins), with offsets into
        `text`.
    """
    if isinstance(anchor, datetime):
        when: datetime | None = anchor.replace(tzinfo=None)
    elif isinstance(anchor, date):
        when = datetime(anchor.year, anchor.month, anchor.day)
    else:
        when = None
    ctx = _Context(text, when)
    chosen = _merge([_with_edge(_with_period_part(c, text), text) for c in _select(_candidates(ctx))], text)
    return [
        DateMention(
            start=c.start,
            end=c.end,
            text=text[c.start : c.end],
            type=c.value.type,
            value=c.value.value,
            grain=c.value.grain,
            range_start=c.value.range_start,
            range_end=c.value.range_end,
            anchor=ctx.anchor_iso,
            mod=c.value.mod,
        )
        for c in chosen
    ]


@Language.component("vi_news_dates")
def dates_component(doc: Doc) -> Doc:
    """spaCy component: `doc._.dates` from the text, resolved against `doc._.anchor`."""
    from pipeline.segment import doc_text  # (the dates engine itself needs no tokenizer)

    doc._.dates = find_dates(doc_text(doc), anchor=doc._.anchor)
    return doc


for _name in ("dates", "anchor"):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=None)
