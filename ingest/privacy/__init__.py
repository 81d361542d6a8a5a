"""Privacy screen: find personal identifiers in extracted text before chunking.

    report = screen_text(text, allowlist=Allowlist.load(path), config=ScreenConfig.load(None))
    if not report.clean: ...quarantine...; redact(text, report)
"""
from .screen import (
    KINDS,
    Allowlist,
    Finding,
    ScreenConfig,
    ScreenReport,
    luhn_valid,
    mask,
    ohip_valid,
    redact,
    screen_text,
    sin_valid,
)

__all__ = [
    "KINDS",
    "Allowlist",
    "Finding",
    "ScreenConfig",
    "ScreenReport",
    "luhn_valid",
    "mask",
    "ohip_valid",
    "redact",
    "screen_text",
    "sin_valid",
]
