"""Resolvers: one function per rule, from a regex match and the context to a TIMEX3 value."""

from __future__ import annotations

import re
from datetime import timedelta

from pipeline.dates.values import (
    _adjust_hour,
    _choose_year,
    _Context,
    _norm,
    _number,
    _own_tense,
    _pod_code,
    _roman,
    _safe_date,
    _valid_day,
    _Value,
    _year_for_day,
)
from pipeline.dates.vocabulary import (
    _ANNIVERSARY_LEFT_RE,
    _COUNT_BEFORE_RE,
    _DATE_AFTER_RE,
    _HEDGES,
    _HOLIDAY_NOT_LEFT_RE,
    _HOLIDAYS,
    _LUC_BEFORE_RE,
    _MONTH_WORDS,
    _ORDINAL_LEFT_RE,
    _POD_AFTER_RE,
    _SEASONS,
    _TAIL_FUTURE,
    _TAIL_PAST,
    _TAIL_YEAR,
    _UNIT_AFTER_RE,
    _UNITS,
    _VAGUE_COUNTS,
    _WEEKDAYS,
)

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
