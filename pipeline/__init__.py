"""A Vietnamese news pipeline: scraped pages → cleaned articles, words, entities and dates as tables.

Each stage is a function here, text in and result out::

    from pipeline import clean_page, segment, find_dates, annotate, load, render
    article = clean_page(open("data/raw/000_7f6af634dd5a9d66.txt", "rb").read())
    sentences = segment(article.text)
    tables = annotate([article.text])          # all stages, DataFrames out
    tables = load("data/processed")            # the tables of a `make run`
    combine("data/processed", "exports")       # one CSV per table, for spreadsheets
"""

from pipeline.clean import CleanedArticle, clean_html, clean_page, clean_record
from pipeline.dates import DateMention, find_dates
from pipeline.export import combine, load, write_tables
from pipeline.inputs import Columns
from pipeline.ner import entities
from pipeline.process import STAGES, RunSummary, annotate, build_nlp, run
from pipeline.segment import Sentence, Word, segment
from pipeline.viz import render

__all__ = [
    "STAGES",
    "CleanedArticle",
    "Columns",
    "DateMention",
    "RunSummary",
    "Sentence",
    "Word",
    "annotate",
    "build_nlp",
    "clean_html",
    "clean_page",
    "clean_record",
    "combine",
    "entities",
    "find_dates",
    "load",
    "render",
    "run",
    "segment",
    "write_tables",
]
