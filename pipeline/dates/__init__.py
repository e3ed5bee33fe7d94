"""Dates stage: text and an anchor date-time → date/time mentions with TIMEX3-style ISO values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from spacy.language import Language
from spacy.tokens import Doc

from pipeline.dates.matching import _candidates, _merge, _select, _with_edge, _with_period_part
from pipeline.dates.values import _Context

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
