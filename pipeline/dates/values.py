"""A value under construction (TIMEX3 type, value, grain, modifier) and the context resolvers
read: the text, the anchor, the sentence and its tense."""

from __future__ import annotations

import bisect
import dataclasses
import re
from dataclasses import dataclass
from datetime import date, datetime

from pipeline.dates.vocabulary import (
    _FUTURE_RE,
    _NUMBER_WORDS,
    _PAST_RE,
    _POD_CODES,
    _ROMAN,
    _SENTENCE_END_RE,
    _TAIL_FUTURE,
    _TAIL_PAST,
    _TAIL_YEAR,
)


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
