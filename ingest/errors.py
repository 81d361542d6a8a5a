"""Why a file could not be ingested, worded for the curator who has to fix it (statuses for the upload view)."""
from kb_errors import KBError


class IngestError(KBError):
    """A file could not be turned into documents; the message names the file and the reason."""

    status = 422

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason

    def __reduce__(self):
        return (self.__class__, (self.path, self.reason))


class UnsupportedFormat(IngestError):
    status = 415


class EmptyDocument(IngestError):
    status = 422


class EncryptedDocument(IngestError):
    status = 422


class CorruptDocument(IngestError):
    status = 422


class FileTooLarge(IngestError):
    status = 413


class ParseTimeout(IngestError):
    status = 422


class MetadataError(IngestError):
    status = 422
