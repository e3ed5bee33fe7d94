"""Error hierarchy: every failure the pipeline reports names the file or document and what to do."""

from __future__ import annotations


class PipelineError(Exception):
    """Base class for errors the pipeline reports to its user."""


class InputError(PipelineError):
    """The input cannot be read: missing path, unknown column, unsupported format."""


class DocumentError(PipelineError):
    """One document cannot be processed; the batch records it and goes on."""


class DecodeError(DocumentError):
    """The bytes are binary or in no encoding the pipeline can decode."""


class EmptyDocumentError(DocumentError):
    """The document holds no text at all."""


class NoArticleError(DocumentError):
    """The page has text, but no article body could be found in it."""


class OutputError(PipelineError):
    """The output folder cannot be created or written."""
