"""Errors the index raises; the CLI and web app turn them into messages, never tracebacks."""


class KBError(Exception):
    """Base class: the message is meant for a curator or operator to act on."""


class KBEmpty(KBError):
    """No generation has been published yet."""


class KBLocked(KBError):
    """Another writer holds the knowledge base's write lock."""


class DocumentNotFound(KBError):
    """No stored document has that id."""


class ModelMismatch(KBError):
    """The index was built with a different embedding model than the one configured."""


class CorruptIndex(KBError):
    """A generation's files do not match the checksums in its manifest."""


class QueryError(KBError):
    """The query is missing, empty or too long."""
