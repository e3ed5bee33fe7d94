"""Matching: run the rules, keep the longest non-overlapping mentions, then join neighbours
(a weekday and its date, a day and its clock time, the two ends of a range)."""

from __future__ import annotations

import bisect
import calendar
import dataclasses
import re
from dataclasses import dataclass
from datetime import date, timedelta

from pipeline.dates.rules import _RULES
from pipeline.dates.values import _adjust_hour, _Context, _norm, _pod_code, _Value, _with_part_of_day
from pipeline.dates.vocabulary import (
    _BARE_DAY_MONTH_RE,
    _DATETIME_GAP_RE,
    _DAY_GRAINS,
    _EDGE_RE,
    _FRACTION_LEFT_RE,
    _FRACTION_RIGHT_RE,
    _LEFT_STOP_RE,
    _PERIOD_GRAINS,
    _PERIOD_PART_RE,
    _PERIOD_PARTS,
    _PLAIN_MONTH_OR_YEAR_RE,
    _RANGE_DASH_RE,
    _RANGE_FROM_RE,
    _RANGE_WORD_RE,
    _RIGHT_UNIT_RE,
    _WEEKDAY_DATE_GAP_RE,
)

# --- matching ---------------------------------------------------------------------------------

_LINE_RE = re.compile(r"[^\n]+")
_DIGIT_RE = re.compile(r"\d")


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
    text = ctx.text
    lines = [(m.start(), m.end()) for m in _LINE_RE.finditer(text)]
    # A mention never crosses a line break: each rule scans only the lines holding its trigger.
    # Triggers are lower case, searched once per line at most in the lowered text (several
    # rules share one); a text whose length lowering changes is scanned whole.
    lowered = text.lower()
    triggered: dict[re.Pattern[str], list[tuple[int, int]]] = {}
    digit_lines = None
    for priority, rule in enumerate(_RULES):
        if rule.needs is None or len(lowered) != len(text):
            regions = lines
        elif (regions := triggered.get(rule.needs)) is None:
            if rule.needs.pattern.startswith(r"\d"):  # few lines hold digits: search those alone
                if digit_lines is None:
                    digit_lines = _lines_with(_DIGIT_RE, lowered, lines)
                regions = [(a, b) for a, b in digit_lines if rule.needs.search(lowered, a, b)]
            else:
                regions = _lines_with(rule.needs, lowered, lines)
            triggered[rule.needs] = regions
        for m in (m for a, b in regions for m in rule.pattern.finditer(text, a, b)):
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


def _lines_with(trigger: re.Pattern[str], text: str, lines: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The `lines` (spans of `text`, in order) where `trigger` matches."""
    found = []
    starts = [a for a, _ in lines]
    position = 0
    while (m := trigger.search(text, position)) is not None:
        line = lines[bisect.bisect_right(starts, m.start()) - 1]
        found.append(line)
        position = line[1]
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
