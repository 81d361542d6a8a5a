"""Why a file could not be ingested, worded for the curator who has to fix it."""


class IngestError(Exception):
    """A file could not be turned into documents; the message names the file and the reason."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason

    def __reduce__(self):
        return (self.__class__, (self.path, self.reason))


class UnsupportedFormat(IngestError):
    pass


class EmptyDocument(IngestError):
    pass


class EncryptedDocument(IngestError):
    pass


class CorruptDocument(IngestError):
    pass


class FileTooLarge(IngestError):
    pass


class ParseTimeout(IngestError):
    pass


class MetadataError(IngestError):
    pass
