"""Errors the index raises, each with the HTTP status the web app answers with; all derive from kb_errors.KBError."""
from kb_errors import KBError

__all__ = ["KBError", "KBEmpty", "KBLocked", "DocumentNotFound", "ModelMismatch", "CorruptIndex", "QueryError"]


class KBEmpty(KBError):
    """No generation has been published yet."""

    status = 503


class KBLocked(KBError):
    """Another writer holds the knowledge base's write lock."""

    status = 409


class DocumentNotFound(KBError):
    """No stored document has that id."""

    status = 404


class ModelMismatch(KBError):
    """The index was built with a different embedding model than the one configured."""

    status = 503


class CorruptIndex(KBError):
    """A generation's files do not match the checksums in its manifest."""

    status = 500


class QueryError(KBError):
    """The query is missing, empty or too long."""

    status = 400
