"""The rule table: one pattern and one resolver per kind of expression, in priority order."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from pipeline.dates.resolvers import (
    _century,
    _clock,
    _clock_words,
    _day_month,
    _day_range,
    _decade,
    _duration,
    _full_date,
    _holiday,
    _listed_day,
    _month,
    _month_year,
    _months_of_year,
    _quarter,
    _relative_day,
    _relative_month,
    _relative_quarter,
    _relative_week,
    _relative_year,
    _season,
    _set,
    _short_year_date,
    _weekday,
    _weekday_of_week,
    _year,
    _year_range,
)
from pipeline.dates.values import _Context, _Value
from pipeline.dates.vocabulary import (
    _DAY,
    _DAY_PREFIX,
    _HOLIDAY_ALT,
    _LB,
    _LB_GLUED,
    _MONTH,
    _MONTH_WORD_ALT,
    _NUMBER_WORD_ALT,
    _NUMBER_WORDS,
    _POD_LEAD,
    _POD_WORDS,
    _RB,
    _REL_MORE,
    _TAIL,
    _WEEKDAY,
    _Y1,
    _Y2,
    _YEAR,
)

# --- the rule table ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Rule:
    """One pattern and the function that turns its match into a value (or rejects it)."""

    name: str
    pattern: re.Pattern[str]
    resolve: Callable[[re.Match[str], _Context], _Value | None]
    # A cheap pattern every match contains, lowered: only lines where it matches are scanned.
    needs: re.Pattern[str] | None = None


# What each rule's matches must contain, lowered (a digit shape or a word), by rule name.
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
    "duration": r"giây|phút|tiếng|giờ|ngày|tuần|tháng|quý|năm|thập|thế",
}


def _rule(
    name: str,
    body: str,
    resolve: Callable[[re.Match[str], _Context], _Value | None],
    *,
    glued: bool = False,
) -> _Rule:
    pattern = re.compile((_LB_GLUED if glued else _LB) + body + _RB, re.IGNORECASE)
    needs = re.compile(_NEEDS[name]) if name in _NEEDS else None
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

if _unknown := set(_NEEDS) - {rule.name for rule in _RULES}:  # a renamed rule would lose its prefilter
    raise RuntimeError(f"_NEEDS names no rule {sorted(_unknown)}")
